"""Reading accounts, scoped to what the viewer may reach."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from auth.relations import may_reach
from models import Account, BankCard, DataRequest, StaffMember
from resolvers.accounts.access import OWNER_AND_STAFF
from resolvers.context import RequestContext


async def readable_account(ctx: RequestContext, account_id: uuid.UUID) -> Account | None:
    """The account when the viewer may reach it; None exactly as for a missing one."""
    account: Account | None = await ctx.loaders.account_by_id.load(account_id)
    if account is None or not may_reach(ctx.relation_to(account)):
        return None
    return account


async def viewer_account(ctx: RequestContext) -> Account | None:
    if ctx.viewer is None or ctx.viewer.account_id is None:
        return None
    return await readable_account(ctx, ctx.viewer.account_id)


async def enterprise_of(ctx: RequestContext, sub_account: Account) -> Account:
    """The enterprise a sub-account belongs to (the foreign key guarantees one)."""
    if sub_account.enterprise_id is None:
        raise LookupError(f"sub-account {sub_account.id} has no enterprise")
    enterprise: Account | None = await ctx.loaders.account_by_id.load(sub_account.enterprise_id)
    if enterprise is None:
        raise LookupError(f"enterprise {sub_account.enterprise_id} is missing")
    return enterprise


async def viewer_staff(ctx: RequestContext) -> StaffMember | None:
    if ctx.viewer is None or ctx.viewer.staff_id is None:
        return None
    return await ctx.session.get(StaffMember, ctx.viewer.staff_id)


async def staff_account(ctx: RequestContext, account_id: uuid.UUID) -> Account | None:
    """Any account, its cancelled shell included, for staff; None for everyone else."""
    if ctx.viewer is None or ctx.viewer.staff_id is None:
        return None
    account: Account | None = await ctx.loaders.account_by_id.load(account_id)
    return account


async def readable_accounts(ctx: RequestContext, keys: Sequence[uuid.UUID]) -> list[Account | None]:
    """`readable_account` of each key, read in one statement."""
    return list(await asyncio.gather(*(readable_account(ctx, key) for key in keys)))


async def _owner_readable(
    ctx: RequestContext, rows: Sequence[BankCard | DataRequest | None]
) -> list[bool]:
    """Whether the viewer may read each row as its owner's own data: the owner, or staff
    (a row whose account was erased only staff). One statement for the owners."""
    owner_ids = [row.account_id for row in rows if row is not None and row.account_id]
    owners = {
        owner.id: owner for owner in await readable_accounts(ctx, owner_ids) if owner is not None
    }
    staff = ctx.viewer is not None and ctx.viewer.staff_id is not None
    readable = []
    for row in rows:
        owner = owners.get(row.account_id) if row is not None and row.account_id else None
        if row is None:
            readable.append(False)
        elif owner is None:
            readable.append(staff and row.account_id is None)
        else:
            readable.append(OWNER_AND_STAFF.allows(ctx, owner))
    return readable


async def readable_bank_cards(
    ctx: RequestContext, keys: Sequence[uuid.UUID]
) -> list[tuple[BankCard, Account] | None]:
    """Each card with its owner, where the viewer is the owner or staff."""
    cards: list[BankCard | None] = await ctx.loaders.bank_card_by_id.load_many(list(keys))
    readable = await _owner_readable(ctx, cards)
    found: list[tuple[BankCard, Account] | None] = []
    for card, ok in zip(cards, readable, strict=True):
        # The owners were read (and cached by the loader) to decide.
        owner = await ctx.loaders.account_by_id.load(card.account_id) if card and ok else None
        found.append((card, owner) if card is not None and owner is not None else None)
    return found


async def readable_data_requests(
    ctx: RequestContext, keys: Sequence[uuid.UUID]
) -> list[DataRequest | None]:
    """Each rights request its maker or staff may read, as the account's `dataRequests`."""
    requests: list[DataRequest | None] = await ctx.loaders.data_request_by_id.load_many(list(keys))
    readable = await _owner_readable(ctx, requests)
    return [request if ok else None for request, ok in zip(requests, readable, strict=True)]
