"""Field-level read rules for account fields
(docs/spec/masking-and-viewers.md#reading-account-fields)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from auth.errors import Forbidden, Unauthenticated
from auth.relations import MANAGING, Relation
from models import Account, EnterprisePermission, StaffMember, StaffRole
from resolvers.context import RequestContext
from resolvers.errors import Refused, UserError, UserErrorCode, user_error

SELF_AND_STAFF = frozenset({Relation.SELF, Relation.STAFF})
# What an enterprise manager may read of a sub-account beyond the always-public fields.
WITH_MANAGER = frozenset({Relation.SELF, Relation.STAFF, Relation.ENTERPRISE_MANAGER})


@dataclass(frozen=True)
class ReadRule:
    """Who may read a field of an account: the viewer's relations to it, and the members
    of its enterprise that hold one of `member_permissions`."""

    name: str
    relations: frozenset[Relation]
    member_permissions: tuple[EnterprisePermission, ...] = ()

    def allows(self, ctx: RequestContext, account: Account) -> bool:
        relation = ctx.relation_to(account)
        if relation in self.relations:
            return True
        return (
            relation is Relation.ENTERPRISE_MEMBER
            and ctx.viewer is not None
            and ctx.viewer.may(*self.member_permissions)
        )


# The rules of docs/spec/masking-and-viewers.md#reading-account-fields, by name.
EVERYONE_WHO_REACHES = ReadRule(
    "everyone who reaches the account", frozenset(Relation) - {Relation.OTHER}
)
OWNER_AND_STAFF = ReadRule("the owner and staff", SELF_AND_STAFF)
OWNER_STAFF_AND_MANAGERS = ReadRule(
    "the owner, staff and the managers of its enterprise", WITH_MANAGER
)
BILLING = ReadRule(
    "the owner, staff and the enterprise's members with MANAGE_BILLING",
    SELF_AND_STAFF,
    (EnterprisePermission.MANAGE_BILLING,),
)
SUB_ACCOUNT_LISTERS = ReadRule(
    "the enterprise, staff and its members who manage or view sub-accounts",
    SELF_AND_STAFF,
    MANAGING,
)


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


STAFF_STEP_UP_REQUIRED = user_error(
    UserErrorCode.STEP_UP_REQUIRED, "Confirm it is you (elevateSession with totp), then try again."
)


def require_staff_step_up(ctx: RequestContext) -> None:
    """A staff action that acts on a person's data for good (docs/spec/rights.md#staff-step-up):
    STEP_UP_REQUIRED unless the staff session stepped up with its authenticator in the last
    5 minutes, so that a stolen staff access token alone ends no account."""
    if ctx.viewer is None or not ctx.viewer.is_elevated(ctx.now()):
        raise Refused(STAFF_STEP_UP_REQUIRED)


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


async def referenced_staff_member(
    ctx: RequestContext, staff_id: uuid.UUID | None
) -> StaffMember | None:
    """The staff member a row names (who published, recorded or handled it): read by
    staff only, FORBIDDEN at the field's path for everyone else; none when it names none."""
    await require_staff_reader(ctx)
    if staff_id is None:
        return None
    return await ctx.loaders.staff_by_id.load(staff_id)
