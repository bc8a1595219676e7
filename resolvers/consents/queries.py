"""Reading an account's consents, device permissions, notifications and search history;
the accounts whose owners made their profile public."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from auth.errors import Forbidden
from auth.relations import Relation
from models import (
    Account,
    AccountStatus,
    ConsentPurpose,
    DevicePermission,
    Notification,
    SearchEntry,
    SensitiveKind,
)
from resolvers.consents.record import ConsentState, consent_states, is_granted
from resolvers.context import RequestContext
from resolvers.masking.reveal import staff_request
from resolvers.pagination import Listing


async def consents(ctx: RequestContext, account: Account) -> list[ConsentState]:
    """Every purpose, granted or not, in the enum's order."""
    return await consent_states(ctx, account)


async def consent(ctx: RequestContext, account: Account, purpose: ConsentPurpose) -> ConsentState:
    """The purpose's consent as it reads now."""
    return next(state for state in await consents(ctx, account) if state.purpose is purpose)


async def device_permissions(ctx: RequestContext, account: Account) -> list[DevicePermission]:
    return await ctx.loaders.device_permissions_by_account.load(account.id)


def notifications(ctx: RequestContext, account: Account) -> Listing[Notification]:
    return ctx.loaders.notifications_page_by_account.listing(
        ctx.loaders.notification_count_by_account, account.id
    )


async def search_history(ctx: RequestContext, account: Account) -> Listing[SearchEntry]:
    """Every entry is a search query: staff without a request that needs them are
    refused the list, not each entry."""
    if (
        ctx.relation_to(account) is Relation.STAFF
        and await staff_request(ctx, account, SensitiveKind.SEARCH_QUERY) is None
    ):
        raise Forbidden("You may not read this field.")
    return ctx.loaders.search_history_page_by_account.listing(
        ctx.loaders.search_history_count_by_account, account.id
    )


async def public_accounts(ctx: RequestContext, keys: Sequence[uuid.UUID]) -> list[Account | None]:
    return list(await asyncio.gather(*(public_account(ctx, key) for key in keys)))


async def public_account(ctx: RequestContext, account_id: uuid.UUID) -> Account | None:
    """The account whose owner made its profile public (PUBLIC_PROFILE); None otherwise."""
    account: Account | None = await ctx.loaders.account_by_id.load(account_id)
    if account is None or account.status is not AccountStatus.ACTIVE:
        return None
    if not await is_granted(ctx, account, ConsentPurpose.PUBLIC_PROFILE):
        return None
    return account
