"""requestSmsCode and loginWithSms."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from auth.senders import Sender
from auth.sms_codes import CodeCheck, Issued, check_code, issue_code
from models import Account, AccountKind, AccountStatus, LoginMethod, SmsPurpose, queries
from models.account import new_display_name
from resolvers.auth.common import (
    new_individual_status,
    record_failed_login,
    signed_in,
)
from resolvers.auth.results import SignedIn
from resolvers.codes import use_code
from resolvers.context import RequestContext
from resolvers.errors import (
    CODE_ERRORS,
    Refused,
    UserErrorCode,
    asked_too_soon,
    refused,
    valid_email,
    valid_phone,
)


class CodeRequest(Protocol):
    """What asking for an SMS code takes (requestSmsCode's input has these fields)."""

    phone: str | None
    purpose: SmsPurpose


async def request_sms_code(ctx: RequestContext, request: CodeRequest) -> Issued:
    if request.purpose is SmsPurpose.STEP_UP:
        # To the bound phone of the signed-in account; the input names none.
        account = ctx.viewer_account
        target = account.phone if account is not None else None
        if target is None:
            raise refused(
                UserErrorCode.CONTACT_REQUIRED,
                "Step-up by SMS needs a signed-in account with a bound phone.",
            )
    else:
        target = valid_phone(request.phone or "")
    return await _send_code(ctx, target, request.purpose, ctx.auth.sms)


async def _send_code(
    ctx: RequestContext, recipient: str, purpose: SmsPurpose, sender: Sender
) -> Issued:
    """The code sent; RATE_LIMITED, with how long to wait, when it is asked too soon."""
    issued = await issue_code(
        ctx.scope,
        recipient=recipient,
        purpose=purpose,
        now=ctx.now(),
        limiter=ctx.auth.limiter,
        sender=sender,
        client_address=ctx.client_address,
    )
    if not issued.sent:
        raise asked_too_soon(issued.retry_after_seconds)
    return issued


async def request_email_code(ctx: RequestContext, email: str) -> Issued:
    """A LOGIN code by e-mail, within the e-mail limits; the same answer whether or not
    the address signs anybody in (a code for nobody's address opens nothing)."""
    address = valid_email(email)
    return await _send_code(ctx, address, SmsPurpose.LOGIN, ctx.auth.email)


class SmsSignIn(Protocol):
    """What signing in with an SMS code takes (loginWithSms's input has these fields);
    the birth date and the policy version count only when the phone registers."""

    phone: str
    code: str
    birth_date: date | None
    accept_policy_version: str | None


async def login_with_sms(ctx: RequestContext, sign_in: SmsSignIn) -> SignedIn:
    parsed = valid_phone(sign_in.phone)
    now = ctx.now()
    account = await queries.account_by_phone(ctx.session, parsed)
    check, row = await check_code(
        ctx.scope, recipient=parsed, purpose=SmsPurpose.LOGIN, code=sign_in.code, now=now
    )
    if check is not CodeCheck.OK or row is None:
        if account is not None:
            await record_failed_login(ctx, account, LoginMethod.SMS_CODE)
        raise Refused(CODE_ERRORS[check])

    status = AccountStatus.ACTIVE
    if account is None:
        # Registration: a refused one leaves the code usable for another try.
        status = await new_individual_status(
            ctx, sign_in.accept_policy_version, sign_in.birth_date, now.date()
        )
    await use_code(ctx, row, now)
    if account is not None:
        return await signed_in(ctx, account, LoginMethod.SMS_CODE)
    account = Account(
        kind=AccountKind.INDIVIDUAL,
        status=status,
        display_name=new_display_name(),
        created_at=now,
        birth_date=sign_in.birth_date,
        accepted_policy_version=sign_in.accept_policy_version,
        accepted_policy_at=now,
    )
    account.phone = parsed
    ctx.session.add(account)
    await ctx.session.flush()
    return await signed_in(ctx, account, LoginMethod.SMS_CODE, is_new=True)
