"""loginWithPassword, registerBusiness and registerEnterprise."""

from __future__ import annotations

from auth.contacts import looks_like_email, parse_email, parse_phone
from auth.email_tokens import CONFIRMATION_TTL
from auth.message_limits import address_key
from auth.passwords import (
    PasswordCheck,
    check_password,
    hash_password,
    must_change_password,
    password_problem,
    tries_key,
)
from auth.rate_limits import Limit
from auth.sms_codes import CodeCheck, check_code, consume_code
from models import Account, AccountKind, LoginMethod, SmsPurpose, queries
from resolvers.auth.common import (
    CODE_ERRORS,
    client_key,
    policy_error,
    rate_limited,
    record_failed_login,
    signed_in,
)
from resolvers.auth.results import AuthResult
from resolvers.context import RequestContext, log_security
from resolvers.errors import UserError, UserErrorCode, user_error
from resolvers.settings.contacts import CONFIRMATION_BODY, send_email_token

REGISTRATIONS_PER_ADDRESS = Limit("register-business-address", 10, 3600)
INVALID_CREDENTIALS = user_error(
    UserErrorCode.INVALID_CREDENTIALS, "The login or the password is not right."
)


async def login_with_password(
    ctx: RequestContext, login: str, password: str, code: str | None = None
) -> AuthResult:
    """Known and unknown logins cost the same: one count of the try, one Argon2
    verification (against a dummy hash when there is no password to check), one answer.

    A login locked by failed tries still signs its owner in with `code`: a LOGIN code
    sent to the login's phone (requestSmsCode) or address (requestEmailCode) proves a
    second factor, so the limits that a stranger's guesses filled do not apply. Staff
    sign in with `loginStaff`, never here.
    """
    raw = login.strip()
    account: Account | None = None
    normalized = parse_email(raw) if looks_like_email(raw) else parse_phone(raw)
    if normalized is not None:
        account = await (
            queries.account_by_email(ctx.session, normalized)
            if looks_like_email(raw)
            else queries.account_by_phone(ctx.session, normalized)
        )
    proof = None
    if code is not None:
        if normalized is None:
            return AuthResult(user_errors=[_on_field(CODE_ERRORS[CodeCheck.INVALID], "code")])
        check, proof = await check_code(
            ctx.scope, recipient=normalized, purpose=SmsPurpose.LOGIN, code=code, now=ctx.now()
        )
        if check is not CodeCheck.OK or proof is None:
            return AuthResult(user_errors=[_on_field(CODE_ERRORS[check], "code")])
    key = tries_key("login", (normalized or raw).lower())
    stored = account.password_hash if account is not None else None
    outcome = await check_password(
        ctx.auth.limiter,
        key,
        stored,
        password,
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
        return AuthResult(user_errors=[rate_limited(outcome.retry_after_seconds)])
    if outcome.check is PasswordCheck.WRONG or account is None:
        if account is not None:
            await record_failed_login(ctx, account, LoginMethod.PASSWORD)
        else:
            log_security(ctx, "sign_in", "failure", actor_kind="unknown login")
        return AuthResult(user_errors=[INVALID_CREDENTIALS])
    if proof is not None and not await consume_code(ctx.session, proof, ctx.now()):
        return AuthResult(user_errors=[_on_field(CODE_ERRORS[CodeCheck.INVALID], "code")])
    result = await signed_in(ctx, account, LoginMethod.PASSWORD)
    result.must_change_password = result.tokens is not None and (
        account.password_set_by_other or must_change_password(password)
    )
    return result


def _new_credentials(email: str, password: str) -> tuple[str | None, list[UserError]]:
    errors: list[UserError] = []
    parsed = parse_email(email)
    if parsed is None:
        errors.append(
            user_error(UserErrorCode.INVALID_EMAIL, "This is not an e-mail address.", "email")
        )
    problem = password_problem(password)
    if problem is not None:
        errors.append(user_error(UserErrorCode.WEAK_PASSWORD, problem, "password"))
    return parsed, errors


def _name_error(value: str, field: str, limit: int = 200) -> UserError | None:
    if not value.strip() or len(value) > limit:
        return user_error(UserErrorCode.INVALID_INPUT, f"Give 1 to {limit} characters.", field)
    return None


async def register_business(
    ctx: RequestContext,
    email: str,
    business_name: str,
    ur_token: str,
    password: str,
    accept_policy_version: str,
) -> AuthResult:
    # ALREADY_EXISTS tells whether an address signs somebody in: asked at most 10 times an
    # hour from one client address (registerEnterprise shares the count), so that
    # addresses cannot be tried at scale.
    counted = await ctx.auth.limiter.hit(
        REGISTRATIONS_PER_ADDRESS, address_key(ctx.client_address or "unknown")
    )
    if not counted.allowed:
        return AuthResult(user_errors=[_too_many_registrations(counted.retry_after_seconds)])
    parsed, errors = _new_credentials(email, password)
    for problem in (
        _name_error(business_name, "businessName"),
        _name_error(ur_token, "urToken", 64),
        await policy_error(ctx, accept_policy_version),
    ):
        if problem is not None:
            errors.append(problem)
    if not errors and parsed is not None and await queries.email_taken(ctx.session, parsed):
        errors.append(_already_registered("email"))
    if errors or parsed is None:
        return AuthResult(user_errors=errors)
    now = ctx.now()
    account = Account(
        kind=AccountKind.BUSINESS,
        display_name=business_name.strip()[:60],
        business_name=business_name.strip(),
        ur_token=ur_token.strip(),
        created_at=now,
        password_hash=await hash_password(password),
        password_changed_at=now,
        accepted_policy_version=accept_policy_version,
        accepted_policy_at=now,
    )
    return await _registered(ctx, account, parsed)


async def _registered(ctx: RequestContext, account: Account, email: str) -> AuthResult:
    """Store a new account whose address waits for its token, and sign it in.

    The address is unproven until the token mailed to it comes back (confirmEmail): till
    then it signs nobody in and blocks nobody else from registering or binding it. The
    registration itself signs the account in.
    """
    account.unproven_email = email
    refusal = await send_email_token(
        ctx,
        account,
        email,
        purpose="CONFIRM_EMAIL",
        ttl=CONFIRMATION_TTL,
        body=CONFIRMATION_BODY,
        asked_by=account.id,
    )
    if refusal is not None:
        return AuthResult(user_errors=[refusal])
    ctx.session.add(account)
    await ctx.session.flush()
    return await signed_in(ctx, account, LoginMethod.PASSWORD, is_new=True)


def _too_many_registrations(retry_after_seconds: int) -> UserError:
    return user_error(
        UserErrorCode.RATE_LIMITED,
        f"Too many registrations; try again in {retry_after_seconds} s.",
    )


def _already_registered(field: str) -> UserError:
    return user_error(
        UserErrorCode.ALREADY_EXISTS, f"This {field} is bound to another account.", field
    )


async def register_enterprise(
    ctx: RequestContext,
    company_name: str,
    email: str,
    phone: str,
    sms_code: str,
    password: str,
    accept_policy_version: str,
) -> AuthResult:
    counted = await ctx.auth.limiter.hit(
        REGISTRATIONS_PER_ADDRESS, address_key(ctx.client_address or "unknown")
    )
    if not counted.allowed:
        return AuthResult(user_errors=[_too_many_registrations(counted.retry_after_seconds)])
    parsed_email, errors = _new_credentials(email, password)
    parsed_phone = parse_phone(phone)
    if parsed_phone is None:
        errors.append(
            user_error(UserErrorCode.INVALID_PHONE, "This is not a valid phone number.", "phone")
        )
    for problem in (
        _name_error(company_name, "companyName"),
        await policy_error(ctx, accept_policy_version),
    ):
        if problem is not None:
            errors.append(problem)
    if errors or parsed_email is None or parsed_phone is None:
        return AuthResult(user_errors=errors)
    # The code first: only the phone's holder learns whether the phone is registered.
    now = ctx.now()
    check, row = await check_code(
        ctx.scope, recipient=parsed_phone, purpose=SmsPurpose.BIND_PHONE, code=sms_code, now=now
    )
    if check is not CodeCheck.OK or row is None:
        return AuthResult(user_errors=[_on_field(CODE_ERRORS[check], "smsCode")])
    if await queries.email_taken(ctx.session, parsed_email):
        errors.append(_already_registered("email"))
    if await queries.account_by_phone(ctx.session, parsed_phone):
        errors.append(_already_registered("phone"))
    if errors:
        return AuthResult(user_errors=errors)
    if not await consume_code(ctx.session, row, now):
        return AuthResult(user_errors=[_on_field(CODE_ERRORS[CodeCheck.INVALID], "smsCode")])
    account = Account(
        kind=AccountKind.ENTERPRISE,
        display_name=company_name.strip()[:60],
        company_name=company_name.strip(),
        created_at=now,
        password_hash=await hash_password(password),
        password_changed_at=now,
        accepted_policy_version=accept_policy_version,
        accepted_policy_at=now,
    )
    account.phone = parsed_phone  # proven by its code
    return await _registered(ctx, account, parsed_email)


def _on_field(error: UserError, field: str) -> UserError:
    return UserError(code=error.code, message=error.message, field=(field,))
