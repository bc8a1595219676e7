"""bindPhone, bindEmail and confirmEmail."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from auth.contacts import parse_email, parse_phone
from auth.senders import OutgoingMessage
from auth.sms_codes import CodeCheck, check_code, consume_code
from models import EmailConfirmation, SmsPurpose, queries
from models.encryption import indexer
from resolvers.accounts.access import require_account, step_up_error
from resolvers.auth.common import CODE_ERRORS
from resolvers.auth.results import OkResult
from resolvers.context import RequestContext
from resolvers.errors import UserError, UserErrorCode, user_error
from resolvers.settings.results import AccountResult, failed

CONFIRMATION_TTL = timedelta(hours=24)


def _on(error: UserError, field: str) -> UserError:
    return UserError(code=error.code, message=error.message, field=(field,))


def _taken(field: str) -> UserError:
    return user_error(
        UserErrorCode.ALREADY_EXISTS, f"This {field} is bound to another account.", field
    )


async def bind_phone(ctx: RequestContext, phone: str, code: str) -> AccountResult:
    """Bind a phone proven by a BIND_PHONE code; replacing a bound one needs step-up."""
    account = require_account(ctx)
    parsed = parse_phone(phone)
    if parsed is None:
        return failed(
            user_error(UserErrorCode.INVALID_PHONE, "This is not a valid phone number.", "phone")
        )
    if account.phone is not None:
        missing_step_up = step_up_error(ctx)
        if missing_step_up is not None:
            return failed(missing_step_up)
    holder = await queries.account_by_phone(ctx.session, parsed)
    if holder is not None and holder.id != account.id:
        return failed(_taken("phone"))
    now = ctx.now()
    check, row = await check_code(
        ctx.scope, phone=parsed, purpose=SmsPurpose.BIND_PHONE, code=code, now=now
    )
    if check is not CodeCheck.OK or row is None:
        return failed(_on(CODE_ERRORS[check], "code"))
    if not await consume_code(ctx.session, row, now):
        return failed(_on(CODE_ERRORS[CodeCheck.INVALID], "code"))
    account.phone = parsed
    await ctx.session.flush()
    return AccountResult(account=account)


def _token_hash(token: str) -> bytes:
    return indexer().index("email.confirmation", token)


async def bind_email(ctx: RequestContext, email: str) -> OkResult:
    """Send a one-time confirmation token (24 h) to the address; confirmEmail binds it."""
    account = require_account(ctx)
    parsed = parse_email(email)
    if parsed is None:
        return OkResult(
            user_errors=[
                user_error(UserErrorCode.INVALID_EMAIL, "This is not an e-mail address.", "email")
            ]
        )
    holder = await queries.account_by_email(ctx.session, parsed)
    if holder is not None and holder.id != account.id:
        return OkResult(user_errors=[_taken("email")])
    now = ctx.now()
    token = secrets.token_urlsafe(24)
    confirmation = EmailConfirmation(
        account_id=account.id,
        token_hash=_token_hash(token),
        created_at=now,
        expires_at=now + CONFIRMATION_TTL,
    )
    confirmation.email = parsed
    ctx.session.add(confirmation)
    await ctx.session.flush()
    await ctx.auth.email.send(
        OutgoingMessage(
            to=parsed,
            channel="email",
            purpose="CONFIRM_EMAIL",
            code=token,
            body=(
                "Confirm this address for your account with the token below within 24 hours.\n\n"
                f"{token}\n"
            ),
            sent_at=now,
        )
    )
    return OkResult(ok=True)


async def confirm_email(ctx: RequestContext, token: str) -> AccountResult:
    account = require_account(ctx)
    now = ctx.now()
    confirmation = (
        await ctx.session.scalars(
            select(EmailConfirmation).where(EmailConfirmation.token_hash == _token_hash(token))
        )
    ).first()
    if confirmation is None or confirmation.account_id != account.id or confirmation.used_at:
        return failed(user_error(UserErrorCode.INVALID_CODE, "This token is not valid.", "token"))
    if now >= confirmation.expires_at:
        return failed(
            user_error(UserErrorCode.CODE_EXPIRED, "This token has expired; ask again.", "token")
        )
    address = confirmation.email
    if address is None:
        return failed(user_error(UserErrorCode.INVALID_CODE, "This token is not valid.", "token"))
    holder = await queries.account_by_email(ctx.session, address)
    if holder is not None and holder.id != account.id:
        return failed(_taken("email"))
    confirmation.used_at = now
    account.email = address
    account.email_verified_at = now
    await ctx.session.flush()
    return AccountResult(account=account)
