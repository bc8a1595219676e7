"""createSubAccount, updateSubAccount, setSubAccountStatus, deleteSubAccount."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from auth.contacts import parse_email, parse_phone
from auth.email_tokens import INVITATION_TTL
from auth.errors import Forbidden, Unauthenticated
from auth.passwords import hash_password
from auth.sessions import revoke_account_sessions
from models import (
    Account,
    AccountKind,
    AccountStatus,
    EnterprisePermission,
    NotificationKind,
    SubAccountRole,
    queries,
)
from resolvers.accounts.access import require_step_up
from resolvers.accounts.erasure import erase_account
from resolvers.context import RequestContext, log_security
from resolvers.errors import (
    INVALID_EMAIL,
    INVALID_PHONE,
    Refused,
    UserError,
    UserErrorCode,
    refused,
    user_error,
    weak_password,
)
from resolvers.global_id import key_of
from resolvers.messaging.email import send_email_token

NAME_LIMIT = 30
NOT_FOUND = user_error(UserErrorCode.NOT_FOUND, "No such sub-account.", "id")


@dataclass(frozen=True)
class Manager:
    """Who manages sub-accounts in this request, and what it may grant."""

    enterprise: Account
    acting_sub_account_id: uuid.UUID | None
    grantable: frozenset[EnterprisePermission]


async def manager(ctx: RequestContext) -> Manager:
    """The enterprise itself, or one of its sub-accounts with MANAGE_SUB_ACCOUNTS."""
    viewer, account = ctx.viewer, ctx.viewer_account
    if viewer is None:
        raise Unauthenticated("Sign in first.")
    if account is not None and account.kind is AccountKind.ENTERPRISE:
        return Manager(account, None, frozenset(EnterprisePermission))
    if (
        account is not None
        and account.kind is AccountKind.SUB_ACCOUNT
        and account.enterprise_id is not None
        and viewer.may(EnterprisePermission.MANAGE_SUB_ACCOUNTS)
    ):
        enterprise = await ctx.loaders.account_by_id.load(account.enterprise_id)
        if enterprise is not None:
            held = frozenset(EnterprisePermission(p) for p in account.permissions)
            return Manager(enterprise, account.id, held)
    raise Forbidden("Only the enterprise and its sub-account managers may do this.")


def _check_grant(acting: Manager, permissions: list[EnterprisePermission] | None) -> None:
    """Nobody grants a permission it lacks."""
    if permissions is not None and not set(permissions) <= acting.grantable:
        raise Forbidden("You may not grant a permission you do not hold.")


async def _target(ctx: RequestContext, acting: Manager, target_id: str) -> Account | None:
    """The live sub-account of the acting enterprise that `target_id` (a global ID) names.

    A sub-account aiming at itself or at its enterprise is refused, not told "not found".
    """
    if (
        acting.acting_sub_account_id is not None
        and key_of(target_id, "EnterpriseAccount") == acting.enterprise.id
    ):
        raise Forbidden("A sub-account may not change the enterprise account.")
    sub_account_id = key_of(target_id, "SubAccount")
    if sub_account_id is None:
        return None
    if sub_account_id == acting.acting_sub_account_id:
        raise Forbidden("A sub-account may not change or remove itself.")
    target: Account | None = await ctx.loaders.account_by_id.load(sub_account_id)
    if (
        target is None
        or target.kind is not AccountKind.SUB_ACCOUNT
        or target.enterprise_id != acting.enterprise.id
        or target.status is AccountStatus.CANCELLED
    ):
        return None
    return target


def _name_error(display_name: str) -> UserError | None:
    if 1 <= len(display_name.strip()) <= NAME_LIMIT:
        return None
    return user_error(
        UserErrorCode.INVALID_INPUT, f"Give 1 to {NAME_LIMIT} characters.", "displayName"
    )


@dataclass
class NewSubAccount:
    """What creating a sub-account takes: createSubAccount's input is one."""

    display_name: str
    email: str
    phone: str
    password: str
    role: SubAccountRole
    permissions: list[EnterprisePermission]


class SubAccountChanges(Protocol):
    """What changing a sub-account takes: the fields given change, None leaves one."""

    @property
    def id(self) -> str: ...
    @property
    def display_name(self) -> str | None: ...
    @property
    def role(self) -> SubAccountRole | None: ...
    @property
    def permissions(self) -> list[EnterprisePermission] | None: ...


INVITATION_BODY = (
    "{enterprise} invites you to its account on the platform. Confirm this address with "
    "the token below within 7 days; then sign in with it and the password you were "
    "given.\n\n{{token}}\n"
)


async def create_sub_account(ctx: RequestContext, new: NewSubAccount) -> Account:
    """A sub-account whose phone and e-mail, typed by the manager, are unproven: an
    invitation token goes to the e-mail; once confirmed it signs in with that address
    and the password set here, and its phone counts once its holder binds it."""
    acting = await manager(ctx)
    _check_grant(acting, new.permissions)
    # A new sub-account is a new way into the enterprise: never left to a stolen token.
    require_step_up(ctx)
    email, phone = parse_email(new.email), parse_phone(new.phone)
    found = (
        _name_error(new.display_name),
        INVALID_EMAIL if email is None else None,
        INVALID_PHONE if phone is None else None,
        weak_password(new.password),
    )
    errors = [e for e in found if e is not None]
    if errors or email is None or phone is None:
        raise Refused(*errors)
    # One creation at a time per enterprise: the cap counts what a concurrent one added.
    await queries.lock_account(ctx.session, acting.enterprise.id)
    errors = await _used_in_enterprise(ctx, acting.enterprise, email, phone)
    if errors:
        raise Refused(*errors)
    limit = ctx.limits.max_sub_accounts
    if await queries.count_sub_accounts(ctx.session, acting.enterprise.id) >= limit:
        raise refused(
            UserErrorCode.LIMIT_REACHED, f"An enterprise has at most {limit} sub-accounts."
        )
    now = ctx.now()
    sub_account = Account(
        kind=AccountKind.SUB_ACCOUNT,
        display_name=new.display_name.strip(),
        created_at=now,
        enterprise_id=acting.enterprise.id,
        role=new.role,
        permissions=sorted({p.value for p in new.permissions}),
        password_hash=await hash_password(new.password),
        password_changed_at=now,
        password_set_by_other=True,
        accepted_policy_version=acting.enterprise.accepted_policy_version,
        accepted_policy_at=acting.enterprise.accepted_policy_at,
    )
    sub_account.unproven_email = email
    sub_account.unproven_phone = phone
    refusal = await send_email_token(
        ctx,
        sub_account,
        email,
        purpose="SUB_ACCOUNT_INVITATION",
        ttl=INVITATION_TTL,
        body=INVITATION_BODY.format(enterprise=acting.enterprise.display_name),
        asked_by=acting.acting_sub_account_id or acting.enterprise.id,
    )
    if refusal is not None:
        raise Refused(refusal)
    ctx.session.add(sub_account)
    await ctx.session.flush()
    await _tell_the_enterprise(ctx, acting, sub_account, "created")
    return sub_account


async def _used_in_enterprise(
    ctx: RequestContext, enterprise: Account, email: str, phone: str
) -> list[UserError]:
    """ALREADY_EXISTS for a contact another live sub-account of this enterprise has:
    nothing is said about accounts outside it."""
    errors: list[UserError] = []
    if await queries.enterprise_contact_in_use(ctx.session, enterprise.id, email=email):
        errors.append(
            user_error(
                UserErrorCode.ALREADY_EXISTS,
                "Another sub-account of this enterprise has this email.",
                "email",
            )
        )
    if await queries.enterprise_contact_in_use(ctx.session, enterprise.id, phone=phone):
        errors.append(
            user_error(
                UserErrorCode.ALREADY_EXISTS,
                "Another sub-account of this enterprise has this phone.",
                "phone",
            )
        )
    return errors


def _peer_check(acting: Manager, target: Account) -> None:
    """Nobody acts on a peer holding a permission the actor lacks (the enterprise holds
    every permission)."""
    held = {EnterprisePermission(p) for p in target.permissions}
    if not held <= acting.grantable:
        raise Forbidden("You may not act on a sub-account holding a permission you lack.")


async def _tell_the_enterprise(
    ctx: RequestContext, acting: Manager, target: Account, what: str
) -> None:
    """The enterprise account hears of every change to its sub-accounts' standing."""
    actor = ctx.viewer_account
    # The display name is the actor's own free text: the ID says who it really was.
    by = (
        f"by {actor.display_name} (sub-account {actor.id})"
        if acting.acting_sub_account_id is not None and actor is not None
        else "by the enterprise account"
    )
    await queries.notify_accounts(
        ctx.session,
        [acting.enterprise.id],
        kind=NotificationKind.SUB_ACCOUNT_CHANGED,
        title=f"Sub-account {what}",
        body=f"{target.display_name} was {what} {by} at {ctx.now():%Y-%m-%d %H:%M} UTC.",
        now=ctx.now(),
    )


async def update_sub_account(ctx: RequestContext, changes: SubAccountChanges) -> Account:
    """A new name needs nothing more; a new role or new permissions need step-up and
    are told to the enterprise."""
    display_name, role, permissions = changes.display_name, changes.role, changes.permissions
    acting = await manager(ctx)
    _check_grant(acting, permissions)
    target = await _target(ctx, acting, changes.id)
    if target is None:
        raise Refused(NOT_FOUND)
    _peer_check(acting, target)
    changes_standing = role is not None or permissions is not None
    if changes_standing:
        require_step_up(ctx)
    if display_name is not None:
        problem = _name_error(display_name)
        if problem is not None:
            raise Refused(problem)
        target.display_name = display_name.strip()
    if role is not None:
        target.role = role
    if permissions is not None:
        target.permissions = sorted({p.value for p in permissions})
    if changes_standing:
        await _tell_the_enterprise(ctx, acting, target, "given a new role or permissions")
    await ctx.session.flush()
    return target


async def set_sub_account_status(
    ctx: RequestContext, target_id: str, status: AccountStatus
) -> Account:
    """Disabling or enabling needs step-up and is told to the enterprise."""
    acting = await manager(ctx)
    if status not in (AccountStatus.ACTIVE, AccountStatus.DISABLED):
        raise refused(UserErrorCode.INVALID_INPUT, "A sub-account is ACTIVE or DISABLED.", "status")
    target = await _target(ctx, acting, target_id)
    if target is None:
        raise Refused(NOT_FOUND)
    _peer_check(acting, target)
    require_step_up(ctx)
    target.status = status
    if status is AccountStatus.DISABLED:
        # Its sessions end now; every request also checks the account's status.
        await revoke_account_sessions(ctx.session, target.id, ctx.now())
    await _tell_the_enterprise(
        ctx, acting, target, "disabled" if status is AccountStatus.DISABLED else "enabled"
    )
    await ctx.session.flush()
    return target


async def delete_sub_account(ctx: RequestContext, target_id: str) -> None:
    """Erase the sub-account's personal data as cancellation does; frees its phone and
    e-mail. It ends an account: step-up, and the enterprise is told."""
    acting = await manager(ctx)
    target = await _target(ctx, acting, target_id)
    if target is None:
        raise Refused(NOT_FOUND)
    _peer_check(acting, target)
    require_step_up(ctx)
    await _tell_the_enterprise(ctx, acting, target, "deleted")
    await erase_account(ctx, target)
    log_security(ctx, "sub_account_erased", "success", subject_id=str(target.id))
