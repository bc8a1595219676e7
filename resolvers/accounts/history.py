"""Sessions, sign-in history and the access log of an account."""

from __future__ import annotations

from auth.sessions import is_live
from models import AccessLogEntry, Account, AuthSession, LoginEvent
from resolvers.accounts.access import require_relation
from resolvers.context import RequestContext
from resolvers.loaders import PageRequest
from resolvers.pagination import Page, check_first, decode_cursor, page_from_keyset

# Read through the request's loaders: listing N accounts with their sessions and
# histories costs one statement for each, whatever N.


async def account_sessions(ctx: RequestContext, account: Account) -> list[AuthSession]:
    """Live sessions, newest first: not revoked, within their lifetime and idle limit."""
    require_relation(ctx, account)
    now = ctx.now()
    unrevoked = await ctx.loaders.sessions_by_account.load(account.id)
    return [row for row in unrevoked if is_live(row, now)]


async def login_history(
    ctx: RequestContext, account: Account, first: int | None, after: str | None
) -> Page[LoginEvent]:
    require_relation(ctx, account)
    position = decode_cursor(after) if after else None
    page = await ctx.loaders.login_events_page_by_account.load(
        PageRequest(account.id, check_first(first), position)
    )
    return page_from_keyset(page, after=after)


async def access_log(
    ctx: RequestContext, account: Account, first: int | None, after: str | None
) -> Page[AccessLogEntry]:
    require_relation(ctx, account)
    position = decode_cursor(after) if after else None
    page = await ctx.loaders.access_log_page_by_account.load(
        PageRequest(account.id, check_first(first), position)
    )
    return page_from_keyset(page, after=after)
