"""Sessions, sign-in history and the access log of an account."""

from __future__ import annotations

from auth import sessions
from models import AccessLogEntry, Account, AuthSession, LoginEvent, queries
from resolvers.accounts.access import require_relation
from resolvers.context import RequestContext
from resolvers.pagination import Page, check_first, decode_cursor, page_from_keyset


async def account_sessions(ctx: RequestContext, account: Account) -> list[AuthSession]:
    require_relation(ctx, account)
    return await sessions.live_sessions(ctx.session, account.id, ctx.now())


async def login_history(
    ctx: RequestContext, account: Account, first: int | None, after: str | None
) -> Page[LoginEvent]:
    require_relation(ctx, account)
    position = decode_cursor(after) if after else None
    page = await queries.login_events_page(
        ctx.session, account.id, first=check_first(first), after=position
    )
    return page_from_keyset(page, after=after)


async def access_log(
    ctx: RequestContext, account: Account, first: int | None, after: str | None
) -> Page[AccessLogEntry]:
    require_relation(ctx, account)
    position = decode_cursor(after) if after else None
    page = await queries.access_log_page(
        ctx.session, account.id, first=check_first(first), after=position
    )
    return page_from_keyset(page, after=after)
