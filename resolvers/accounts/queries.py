"""Reading accounts, scoped to what the viewer may reach."""

from __future__ import annotations

import uuid

from auth.relations import may_reach, relation_to
from models import Account, AccountStatus, BankCard, ConsentPurpose, StaffMember
from resolvers.accounts.access import SELF_AND_STAFF
from resolvers.consents.record import is_granted
from resolvers.context import RequestContext


async def readable_account(ctx: RequestContext, account_id: uuid.UUID) -> Account | None:
    """The account when the viewer may reach it; None exactly as for a missing one."""
    account: Account | None = await ctx.loaders.account_by_id.load(account_id)
    if account is None or not may_reach(relation_to(ctx.viewer, account)):
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


async def readable_bank_card(
    ctx: RequestContext, card_id: uuid.UUID
) -> tuple[BankCard, Account] | None:
    card = await ctx.session.get(BankCard, card_id)
    if card is None:
        return None
    account = await readable_account(ctx, card.account_id)
    if account is None or relation_to(ctx.viewer, account) not in SELF_AND_STAFF:
        return None
    return card, account


async def public_account(ctx: RequestContext, account_id: uuid.UUID) -> Account | None:
    """The account whose owner made its profile public (PUBLIC_PROFILE); None otherwise."""
    account: Account | None = await ctx.loaders.account_by_id.load(account_id)
    if account is None or account.status is not AccountStatus.ACTIVE:
        return None
    if not await is_granted(ctx, account, ConsentPurpose.PUBLIC_PROFILE):
        return None
    return account
