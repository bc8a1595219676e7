"""refreshSession, logout, revokeSession, elevateSession."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from auth import sessions
from auth.errors import Unauthenticated
from auth.passwords import PasswordCheck, check_password, tries_key
from auth.sms_codes import CodeCheck, check_code, consume_code
from auth.tokens import InvalidToken
from auth.viewer import Viewer
from models import Account, AuthSession, SmsPurpose, StaffMember
from resolvers.auth.common import client_key, login_keys, rate_limited
from resolvers.auth.results import SignedIn
from resolvers.auth.staff import SecondFactor, check_totp
from resolvers.context import RequestContext, log_security
from resolvers.errors import CODE_ERRORS, Refused, UserErrorCode, on_field, refused


def require_viewer(ctx: RequestContext) -> Viewer:
    if ctx.viewer is None:
        raise Unauthenticated("Sign in first.")
    return ctx.viewer


async def refresh_session(ctx: RequestContext, refresh_token: str) -> SignedIn:
    try:
        session, tokens = await sessions.rotate_refresh_token(
            ctx.session,
            ctx.auth.tokens,
            refresh_token,
            ctx.now(),
            client_address=ctx.client_address,
        )
    except InvalidToken:
        raise refused(
            UserErrorCode.INVALID_CREDENTIALS,
            "The refresh token is not valid; sign in again.",
            "refreshToken",
        ) from None
    account = await ctx.session.get(Account, session.account_id) if session.account_id else None
    return SignedIn(tokens=tokens, account=account)


async def logout(ctx: RequestContext) -> None:
    viewer = require_viewer(ctx)
    await sessions.revoke_session(ctx.session, viewer.session_id, ctx.now())


async def revoke_other_sessions(ctx: RequestContext) -> None:
    """Sign out everywhere else: every session of the viewer but the one asking ends."""
    viewer = require_viewer(ctx)
    await sessions.revoke_other_sessions(ctx.session, viewer, ctx.now())


async def revoke_session(ctx: RequestContext, session_id: uuid.UUID | None) -> None:
    viewer = require_viewer(ctx)
    target = await ctx.session.get(AuthSession, session_id) if session_id else None
    owned = target is not None and (
        (viewer.account_id is not None and target.account_id == viewer.account_id)
        or (viewer.staff_id is not None and target.staff_id == viewer.staff_id)
    )
    if target is None or not owned:
        raise refused(UserErrorCode.NOT_FOUND, "No such session.", "id")
    await sessions.revoke_session(ctx.session, target.id, ctx.now())


class StepUpProof(Protocol):
    """The proofs of a step-up with a code or a password (elevateSession's input has
    these fields); exactly one is given."""

    sms_code: str | None
    password: str | None
    totp: str | None


async def elevate_session(ctx: RequestContext, proof: StepUpProof) -> datetime:
    """Step-up for 5 minutes, until the time returned: an account with a STEP_UP code
    sent to its bound phone or its password; a staff member with the code of its
    authenticator (TOTP) only."""
    viewer = require_viewer(ctx)
    now = ctx.now()
    if sum(given is not None for given in (proof.sms_code, proof.password, proof.totp)) != 1:
        raise refused(UserErrorCode.INVALID_INPUT, "Give one of smsCode, password or totp.")
    if viewer.staff_id is not None:
        await _check_totp(ctx, viewer, proof.totp)
    elif proof.totp is not None:
        raise refused(
            UserErrorCode.INVALID_INPUT, "Only staff step up with an authenticator.", "totp"
        )
    elif proof.password is not None:
        await _check_password(ctx, viewer, proof.password)
    else:
        await _check_step_up_code(ctx, proof.sms_code, now)
    return await sessions.elevate(ctx.session, viewer.session_id, now)


async def _check_totp(ctx: RequestContext, viewer: Viewer, totp: str | None) -> None:
    staff = await ctx.session.get(StaffMember, viewer.staff_id)
    if totp is None or staff is None:
        raise refused(
            UserErrorCode.INVALID_INPUT,
            "Staff step up with the code of their authenticator.",
            "totp",
        )
    second, retry_after = await check_totp(ctx, staff, totp)
    if second is SecondFactor.RATE_LIMITED:
        log_security(ctx, "step_up_locked", "refused", factor="totp")
        raise Refused(rate_limited(retry_after, "totp"))
    if second is SecondFactor.WRONG:
        log_security(ctx, "step_up", "failure", factor="totp")
        raise refused(UserErrorCode.INVALID_CODE, "The code is not right.", "totp")


async def _check_password(ctx: RequestContext, viewer: Viewer, password: str) -> None:
    account = ctx.viewer_account
    # The same count as signing in: a stolen token buys no extra guesses.
    outcome = await check_password(
        ctx.auth.limiter,
        login_keys(account)
        if account is not None
        else tries_key("account", str(viewer.account_id)),
        account.password_hash if account is not None else None,
        password,
        client=client_key(ctx),
    )
    if outcome.check is PasswordCheck.RATE_LIMITED:
        raise Refused(rate_limited(outcome.retry_after_seconds, "password"))
    if outcome.check is PasswordCheck.WRONG:
        log_security(ctx, "step_up", "failure", factor="password")
        raise refused(UserErrorCode.INVALID_CREDENTIALS, "The password is not right.", "password")


async def _check_step_up_code(ctx: RequestContext, sms_code: str | None, now: datetime) -> None:
    account = ctx.viewer_account
    phone = account.phone if account is not None else None
    if phone is None or sms_code is None:
        raise refused(UserErrorCode.CONTACT_REQUIRED, "There is no bound phone to send a code to.")
    check, row = await check_code(
        ctx.scope, recipient=phone, purpose=SmsPurpose.STEP_UP, code=sms_code, now=now
    )
    if check is not CodeCheck.OK or row is None or not await consume_code(ctx.session, row, now):
        log_security(ctx, "step_up", "failure", factor="sms")
        raise Refused(
            on_field(
                CODE_ERRORS[check if check is not CodeCheck.OK else CodeCheck.INVALID], "smsCode"
            )
        )
