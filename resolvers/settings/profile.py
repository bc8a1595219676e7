"""updateProfile and setPassword, for accounts and staff."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from auth import sessions
from auth.passwords import hash_password, tries_key
from auth.senders import OutgoingMessage
from auth.sessions import revoke_account_sessions
from models import Account, StaffMember
from resolvers.accounts.access import require_account, require_step_up
from resolvers.auth.common import current_password_error, login_keys
from resolvers.context import RequestContext, log_security
from resolvers.errors import Refused, UserError, UserErrorCode, user_error, weak_password
from resolvers.settings.notices import NOTICE, BoundBefore, sign_in_method_changed


class ProfileChanges(Protocol):
    """Only the fields given change; None leaves a field as it is.

    Lengths and characters were checked with the schema's input rules; what is left is
    what a value must mean.
    """

    display_name: str | None
    avatar_url: str | None
    bio: str | None
    industry: str | None
    position: str | None
    company_size: str | None
    needs: list[str] | None


def _is_web_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises for a port that is not one)
    except ValueError:  # an unclosed IPv6 host, a port that is not a number
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _problems(changes: ProfileChanges) -> list[UserError]:
    problems = []
    if changes.display_name is not None and not changes.display_name.strip():
        problems.append(
            user_error(UserErrorCode.INVALID_INPUT, "Give 1 to 30 characters.", "displayName")
        )
    if changes.avatar_url and not _is_web_url(changes.avatar_url):
        problems.append(
            user_error(UserErrorCode.INVALID_INPUT, "Give an http(s) URL.", "avatarUrl")
        )
    if changes.needs is not None and not all(need.strip() for need in changes.needs):
        problems.append(
            user_error(UserErrorCode.INVALID_INPUT, "Give 1 to 50 characters.", "needs")
        )
    return problems


async def update_profile(ctx: RequestContext, changes: ProfileChanges) -> Account:
    account = require_account(ctx)
    problems = _problems(changes)
    if problems:
        raise Refused(*problems)
    if changes.display_name is not None:
        account.display_name = changes.display_name.strip()
    if changes.avatar_url is not None:
        account.avatar_url = changes.avatar_url or None
    for attribute in ("bio", "industry", "position", "company_size"):
        value = getattr(changes, attribute)
        if value is not None:
            setattr(account, attribute, value.strip() or None)
    if changes.needs is not None:
        account.needs = [need.strip() for need in changes.needs]
    await ctx.session.flush()
    return account


class PasswordChange(Protocol):
    """What changing a password takes (setPassword's input has these fields)."""

    current_password: str | None
    new_password: str


async def _check_current_password(
    ctx: RequestContext, key: str | list[str], stored: str | None, given: str | None
) -> None:
    wrong = await current_password_error(ctx, key, stored, given)
    if wrong is not None:
        raise Refused(wrong)


async def _new_password_hash(new_password: str) -> str:
    """The hash of a new password that meets the rules; WEAK_PASSWORD otherwise."""
    weak = weak_password(new_password, "newPassword")
    if weak is not None:
        raise Refused(weak)
    return await hash_password(new_password)


async def set_staff_password(ctx: RequestContext, change: PasswordChange) -> None:
    """A staff member changes its own password: from a session stepped up with the
    authenticator, with the current password (counted like every password check). Its
    other sessions end; this one stays."""
    viewer = ctx.viewer
    staff = await ctx.session.get(StaffMember, viewer.staff_id) if viewer else None
    if viewer is None or staff is None:
        raise LookupError("set_staff_password needs a staff viewer")
    require_step_up(ctx)
    key = tries_key("login", (staff.email or "").lower())
    await _check_current_password(ctx, key, staff.password_hash, change.current_password)
    staff.password_hash = await _new_password_hash(change.new_password)
    now = ctx.now()
    staff.password_changed_at = now
    await sessions.revoke_other_sessions(ctx.session, viewer, now)
    if staff.email is not None:
        await ctx.auth.email.send(
            OutgoingMessage(
                to=staff.email,
                channel="email",
                purpose="SECURITY_NOTICE",
                code=None,
                body=NOTICE.format(what="staff password", when=now),
                sent_at=now,
            )
        )
    log_security(ctx, "sign_in_method_changed", "success", method="staff password")


async def set_password(ctx: RequestContext, change: PasswordChange) -> Account:
    """Needs the current password, or a step-up when the account has none yet.

    A new password ends every other session of the account at once: whoever signed in
    with the old one (or holds a stolen token) is out; the current session stays.
    """
    account = require_account(ctx)
    if account.password_hash is not None:
        await _check_current_password(
            ctx, login_keys(account), account.password_hash, change.current_password
        )
    else:
        require_step_up(ctx)
    account.password_hash = await _new_password_hash(change.new_password)
    now = ctx.now()
    account.password_changed_at = now
    account.password_set_by_other = False
    viewer = ctx.viewer
    await revoke_account_sessions(
        ctx.session, account.id, now, keep=viewer.session_id if viewer is not None else None
    )
    await sign_in_method_changed(ctx, account, "password", BoundBefore.of(account))
    await ctx.session.flush()
    return account
