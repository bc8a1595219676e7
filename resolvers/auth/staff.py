"""Staff sign in with their own mutation and two factors: a password and a TOTP code.

Staff never sign in through `loginWithPassword`, and staff and accounts never share a
sign-in address, so nobody can register a staff member's address to shadow them.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Protocol

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth import sessions
from auth.contacts import parse_email
from auth.passwords import (
    PasswordCheck,
    check_password,
    must_change_password,
    settle_password_tries,
    tries_key,
)
from auth.totp import TOTP_TRIES, accepted_step
from models import StaffMember, queries
from resolvers.auth.common import client_key, rate_limited
from resolvers.auth.results import SignedIn
from resolvers.context import RequestContext, log_security
from resolvers.errors import Refused, UserErrorCode, user_error

INVALID_STAFF_CREDENTIALS = user_error(
    UserErrorCode.INVALID_CREDENTIALS, "The e-mail, the password or the code is not right."
)
STAFF_DISABLED = user_error(UserErrorCode.ACCOUNT_DISABLED, "This staff member is disabled.")


class SecondFactor(StrEnum):
    RIGHT = "RIGHT"
    WRONG = "WRONG"
    RATE_LIMITED = "RATE_LIMITED"


async def check_totp(
    ctx: RequestContext, staff: StaffMember, code: str
) -> tuple[SecondFactor, int]:
    """RIGHT once per code; the try is counted before the code is checked, and the step
    it belongs to is recorded for good, so that no code works twice."""
    limiter = ctx.auth.limiter
    key = tries_key("login", (staff.email or "").lower())
    counted = await limiter.hit(TOTP_TRIES, key)
    if not counted.allowed:
        return SecondFactor.RATE_LIMITED, counted.retry_after_seconds
    secret = staff.totp_secret
    step = accepted_step(secret, code, ctx.now(), staff.totp_last_step) if secret else None
    if step is None:
        return SecondFactor.WRONG, 0

    async def take(db: AsyncSession) -> bool:
        taken = await db.execute(
            update(StaffMember)
            .where(
                StaffMember.id == staff.id,
                or_(StaffMember.totp_last_step.is_(None), StaffMember.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]

    if not await ctx.scope.record_for_good(take):
        return SecondFactor.WRONG, 0  # another request took this code first
    await limiter.clear(TOTP_TRIES, key)
    return SecondFactor.RIGHT, 0


class StaffSignIn(Protocol):
    """What a staff sign-in takes (loginStaff's input has these fields)."""

    email: str
    password: str
    totp: str


async def login_staff(ctx: RequestContext, sign_in: StaffSignIn) -> SignedIn:
    """The password, then the TOTP code; one answer for every way of being wrong.

    A right password with a wrong (or locked) code is a failed sign-in like a wrong
    password, counted and answered alike: the tries are settled only when both factors
    are right, so nothing tells a guesser that the password alone was right.
    """
    raw = sign_in.email.strip()
    address = parse_email(raw)
    staff = await queries.staff_by_email(ctx.session, address) if address else None
    # Per login and client: staff have a second factor, so a stranger's wrong passwords
    # from elsewhere must not lock the owner out; the code's own tries (counted only
    # after a right password) guard the second factor.
    key = tries_key("login", f"{(address or raw).lower()} {client_key(ctx) or ''}")
    outcome = await check_password(
        ctx.auth.limiter,
        key,
        staff.password_hash if staff else None,
        sign_in.password,
        client=client_key(ctx),
        settle=False,
    )

    def log(
        event: str, outcome_name: str, session_id: uuid.UUID | None = None, **details: str
    ) -> None:
        log_security(
            ctx,
            event,
            outcome_name,
            actor_kind="staff",
            actor_id=staff.id if staff else None,
            session_id=session_id,
            **details,
        )

    if outcome.check is PasswordCheck.RATE_LIMITED:
        log("staff_sign_in_locked", "refused")
        raise Refused(rate_limited(outcome.retry_after_seconds))
    if outcome.check is PasswordCheck.WRONG or staff is None:
        log("staff_sign_in", "failure", factor="password")
        raise Refused(INVALID_STAFF_CREDENTIALS)
    second, _ = await check_totp(ctx, staff, sign_in.totp)
    if second is SecondFactor.RATE_LIMITED:
        log("staff_sign_in_locked", "refused", factor="totp")
        raise Refused(INVALID_STAFF_CREDENTIALS)
    if second is SecondFactor.WRONG:
        log("staff_sign_in", "failure", factor="totp")
        raise Refused(INVALID_STAFF_CREDENTIALS)
    await settle_password_tries(ctx.auth.limiter, key, client_key(ctx))
    if staff.disabled_at is not None:
        log("staff_sign_in", "refused", reason="disabled")
        raise Refused(STAFF_DISABLED)
    tokens = await sessions.open_session(
        ctx.session, ctx.auth.tokens, now=ctx.now(), staff_id=staff.id, user_agent=ctx.user_agent
    )
    log("staff_sign_in", "success", session_id=tokens.session_id)
    return SignedIn(tokens=tokens, must_change_password=must_change_password(sign_in.password))
