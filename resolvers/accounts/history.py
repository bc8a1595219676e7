"""Sessions, sign-in history and the access log of an account."""

from __future__ import annotations

from auth.sessions import is_live
from models import AccessLogEntry, Account, AuthSession, LoginEvent
from resolvers.context import RequestContext
from resolvers.pagination import Listing

# Read through the request's loaders: listing N accounts with their sessions and
# histories costs one statement for each, whatever N.


async def account_sessions(ctx: RequestContext, account: Account) -> list[AuthSession]:
    """Live sessions, newest first: not revoked, within their lifetime and idle limit."""
    now = ctx.now()
    unrevoked = await ctx.loaders.sessions_by_account.load(account.id)
    return [row for row in unrevoked if is_live(row, now)]


def login_history(ctx: RequestContext, account: Account) -> Listing[LoginEvent]:
    return ctx.loaders.login_events_page_by_account.listing(
        ctx.loaders.login_event_count_by_account, account.id
    )


def access_log(ctx: RequestContext, account: Account) -> Listing[AccessLogEntry]:
    return ctx.loaders.access_log_page_by_account.listing(
        ctx.loaders.access_log_count_by_account, account.id
    )
