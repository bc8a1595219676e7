"""Field-level read rules for account fields
(docs/spec/masking-and-viewers.md#reading-account-fields)."""

from __future__ import annotations

from auth.errors import Forbidden, Unauthenticated
from auth.relations import Relation, relation_to
from models import Account, EnterprisePermission, StaffMember, StaffRole
from resolvers.context import RequestContext
from resolvers.errors import Refused, UserError, UserErrorCode, user_error

SELF_AND_STAFF = frozenset({Relation.SELF, Relation.STAFF})
# What an enterprise manager may read of a sub-account beyond the always-public fields.
WITH_MANAGER = frozenset({Relation.SELF, Relation.STAFF, Relation.ENTERPRISE_MANAGER})


def require_relation(
    ctx: RequestContext, account: Account, allowed: frozenset[Relation] = SELF_AND_STAFF
) -> Relation:
    relation = relation_to(ctx.viewer, account)
    if relation not in allowed:
        raise Forbidden("You may not read this field.")
    return relation


def require_account(ctx: RequestContext) -> Account:
    """The signed-in account acting on itself; staff and anonymous callers may not."""
    if ctx.viewer is None:
        raise Unauthenticated("Sign in first.")
    if ctx.viewer_account is None:
        raise Forbidden("Only an account may do this.")
    return ctx.viewer_account


def step_up_error(ctx: RequestContext) -> UserError | None:
    """STEP_UP_REQUIRED unless the session stepped up in the last 5 minutes."""
    if ctx.viewer is not None and ctx.viewer.is_elevated(ctx.now()):
        return None
    return user_error(
        UserErrorCode.STEP_UP_REQUIRED, "Confirm it is you (elevateSession), then try again."
    )


def require_step_up(ctx: RequestContext) -> None:
    """Refuses with STEP_UP_REQUIRED unless the session stepped up in the last 5 minutes."""
    missing = step_up_error(ctx)
    if missing is not None:
        raise Refused(missing)


def require_billing_reader(ctx: RequestContext, account: Account) -> None:
    """Bank cards: the owner and staff; a sub-account of the enterprise with MANAGE_BILLING."""
    relation = relation_to(ctx.viewer, account)
    if relation in SELF_AND_STAFF:
        return
    if (
        relation is Relation.ENTERPRISE_MEMBER
        and ctx.viewer is not None
        and ctx.viewer.may(EnterprisePermission.MANAGE_BILLING)
    ):
        return
    raise Forbidden("You may not read this field.")


async def require_staff(ctx: RequestContext, *roles: StaffRole) -> StaffMember:
    """The signed-in staff member holding one of `roles`; FORBIDDEN for everyone else."""
    if ctx.viewer is None:
        raise Unauthenticated("Sign in first.")
    staff = (
        await ctx.session.get(StaffMember, ctx.viewer.staff_id)
        if ctx.viewer.staff_id is not None
        else None
    )
    if staff is None or staff.role not in roles:
        raise Forbidden("Your role may not do this.")
    return staff


async def require_staff_reader(ctx: RequestContext) -> StaffMember:
    """A field only staff read: FORBIDDEN at its path for everyone else."""
    if ctx.viewer is None:
        raise Unauthenticated("Sign in first.")
    staff = (
        await ctx.loaders.staff_by_id.load(ctx.viewer.staff_id)
        if ctx.viewer.staff_id is not None
        else None
    )
    if staff is None:
        raise Forbidden("You may not read this field.")
    return staff
