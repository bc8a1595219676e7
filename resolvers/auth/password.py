"""loginWithPassword, registerBusiness and registerEnterprise."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from auth.contacts import looks_like_email, parse_email, parse_phone
from auth.message_limits import address_key
from auth.passwords import (
    PasswordCheck,
    check_password,
    hash_password,
    must_change_password,
    tries_key,
)
from auth.rate_limits import Limit
from auth.sms_codes import CodeCheck
from models import Account, AccountKind, LoginMethod, SmsPurpose, queries
from resolvers.auth.common import (
    client_key,
    policy_error,
    rate_limited,
    record_failed_login,
    signed_in,
)
from resolvers.auth.results import SignedIn
from resolvers.codes import checked_code, use_code
from resolvers.context import RequestContext, log_security
from resolvers.errors import (
    CODE_ERRORS,
    INVALID_EMAIL,
    INVALID_PHONE,
    Refused,
    UserError,
    UserErrorCode,
    refused,
    user_error,
    weak_password,
)
from resolvers.messaging.email import send_confirmation

REGISTRATIONS_PER_ADDRESS = Limit("register-business-address", 10, 3600)
INVALID_CREDENTIALS = user_error(
    UserErrorCode.INVALID_CREDENTIALS, "The login or the password is not right."
)


class PasswordSignIn(Protocol):
    """What signing in with a password takes (loginWithPassword's input has these fields)."""

    login: str
    password: str
    code: str | None


async def login_with_password(ctx: RequestContext, sign_in: PasswordSignIn) -> SignedIn:
    """Known and unknown logins cost the same: one count of the try, one Argon2
    verification (against a dummy hash when there is no password to check), one answer.

    A login locked by failed tries still signs its owner in with `code`: a LOGIN code
    sent to the login's phone (requestSmsCode) or address (requestEmailCode) proves a
    second factor, so the limits that a stranger's guesses filled do not apply. Staff
    sign in with `loginStaff`, never here.
    """
    raw = sign_in.login.strip()
    account: Account | None = None
    normalized = parse_email(raw) if looks_like_email(raw) else parse_phone(raw)
    if normalized is not None:
        account = await (
            queries.account_by_email(ctx.session, normalized)
            if looks_like_email(raw)
            else queries.account_by_phone(ctx.session, normalized)
        )
    proof = None
    if sign_in.code is not None:
        if normalized is None:
            raise Refused(CODE_ERRORS[CodeCheck.INVALID])
        proof = await checked_code(
            ctx, recipient=normalized, purpose=SmsPurpose.LOGIN, code=sign_in.code, now=ctx.now()
        )
    key = tries_key("login", (normalized or raw).lower())
    stored = account.password_hash if account is not None else None
    outcome = await check_password(
        ctx.auth.limiter,
        key,
        stored,
        sign_in.password,
        client=client_key(ctx),
        second_factor=proof is not None,
    )
    if outcome.check is PasswordCheck.RATE_LIMITED:
        log_security(
            ctx,
            "sign_in_locked",
            "refused",
            actor_kind="account",
            actor_id=account.id if account else None,
        )
        raise Refused(rate_limited(outcome.retry_after_seconds))
    if outcome.check is PasswordCheck.WRONG or account is None:
        if account is not None:
            await record_failed_login(ctx, account, LoginMethod.PASSWORD)
        else:
            log_security(ctx, "sign_in", "failure", actor_kind="unknown login")
        raise Refused(INVALID_CREDENTIALS)
    if proof is not None:
        await use_code(ctx, proof, ctx.now())
    signed = await signed_in(ctx, account, LoginMethod.PASSWORD)
    signed.must_change_password = account.password_set_by_other or must_change_password(
        sign_in.password
    )
    return signed


class Registration(Protocol):
    """What every registration with an address and a password takes."""

    email: str
    password: str
    accept_policy_version: str


class BusinessRegistration(Registration, Protocol):
    """registerBusiness's input."""

    business_name: str
    ur_token: str


class EnterpriseRegistration(Registration, Protocol):
    """registerEnterprise's input: the phone is proven by a BIND_PHONE code."""

    company_name: str
    phone: str
    sms_code: str


async def _registration_errors(
    ctx: RequestContext, registration: Registration, *problems: UserError | None
) -> tuple[str | None, list[UserError]]:
    """The address parsed, and everything wrong with the registration, in the order of
    its input: the address, the password, the other `problems`, the policy version.

    ALREADY_EXISTS tells whether an address signs somebody in: a registration is asked
    at most 10 times an hour from one client address (both registrations share the
    count), so that addresses cannot be tried at scale.
    """
    counted = await ctx.auth.limiter.hit(
        REGISTRATIONS_PER_ADDRESS, address_key(ctx.client_address or "unknown")
    )
    if not counted.allowed:
        raise refused(
            UserErrorCode.RATE_LIMITED,
            f"Too many registrations; try again in {counted.retry_after_seconds} s.",
        )
    errors: list[UserError] = []
    email = parse_email(registration.email)
    if email is None:
        errors.append(INVALID_EMAIL)
    errors.extend(e for e in (weak_password(registration.password), *problems) if e is not None)
    refusal = await policy_error(ctx, registration.accept_policy_version)
    if refusal is not None:
        errors.append(refusal)
    return email, errors


def _name_error(value: str, field: str, limit: int = 200) -> UserError | None:
    if not value.strip() or len(value) > limit:
        return user_error(UserErrorCode.INVALID_INPUT, f"Give 1 to {limit} characters.", field)
    return None


async def register_business(ctx: RequestContext, registration: BusinessRegistration) -> SignedIn:
    email, errors = await _registration_errors(
        ctx,
        registration,
        _name_error(registration.business_name, "businessName"),
        _name_error(registration.ur_token, "urToken", 64),
    )
    if errors or email is None:
        raise Refused(*errors)
    if await queries.email_taken(ctx.session, email):
        raise Refused(_already_registered("email"))
    account = Account(
        kind=AccountKind.BUSINESS,
        display_name=registration.business_name.strip()[:60],
        business_name=registration.business_name.strip(),
        ur_token=registration.ur_token.strip(),
    )
    return await _registered(ctx, account, registration, email, ctx.now())


async def _registered(
    ctx: RequestContext,
    account: Account,
    registration: Registration,
    email: str,
    now: datetime,
) -> SignedIn:
    """Store a new account, with the registration's password and policy version, whose
    address waits for its token, and sign it in.

    The address is unproven until the token mailed to it comes back (confirmEmail): till
    then it signs nobody in and blocks nobody else from registering or binding it. The
    registration itself signs the account in.
    """
    account.created_at = now
    account.password_hash = await hash_password(registration.password)
    account.password_changed_at = now
    account.accepted_policy_version = registration.accept_policy_version
    account.accepted_policy_at = now
    account.unproven_email = email
    refusal = await send_confirmation(ctx, account, email)
    if refusal is not None:
        raise Refused(refusal)
    ctx.session.add(account)
    await ctx.session.flush()
    return await signed_in(ctx, account, LoginMethod.PASSWORD, is_new=True)


def _already_registered(field: str) -> UserError:
    return user_error(
        UserErrorCode.ALREADY_EXISTS, f"This {field} is bound to another account.", field
    )


async def register_enterprise(
    ctx: RequestContext, registration: EnterpriseRegistration
) -> SignedIn:
    phone = parse_phone(registration.phone)
    email, errors = await _registration_errors(
        ctx,
        registration,
        INVALID_PHONE if phone is None else None,
        _name_error(registration.company_name, "companyName"),
    )
    if errors or email is None or phone is None:
        raise Refused(*errors)
    # The code first: only the phone's holder learns whether the phone is registered.
    now = ctx.now()
    row = await checked_code(
        ctx,
        recipient=phone,
        purpose=SmsPurpose.BIND_PHONE,
        code=registration.sms_code,
        now=now,
        field="smsCode",
    )
    taken: list[UserError] = []
    if await queries.email_taken(ctx.session, email):
        taken.append(_already_registered("email"))
    if await queries.account_by_phone(ctx.session, phone):
        taken.append(_already_registered("phone"))
    if taken:
        raise Refused(*taken)
    await use_code(ctx, row, now, field="smsCode")
    account = Account(
        kind=AccountKind.ENTERPRISE,
        display_name=registration.company_name.strip()[:60],
        company_name=registration.company_name.strip(),
    )
    account.phone = phone  # proven by its code
    return await _registered(ctx, account, registration, email, now)
