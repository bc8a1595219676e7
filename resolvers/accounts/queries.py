"""Reading accounts, scoped to what the viewer may reach."""

from __future__ import annotations

import uuid

from auth.relations import may_reach, relation_to
from models import Account, StaffMember
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
