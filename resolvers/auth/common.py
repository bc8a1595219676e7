"""Steps the sign-in use cases share."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from auth import sessions
from auth.message_limits import address_key
from auth.minors import AgeGroup, age_group
from auth.passwords import PasswordCheck, check_password, tries_key
from models import Account, AccountStatus, LoginEvent, LoginMethod, queries
from resolvers.auth.results import SignedIn
from resolvers.context import RequestContext, log_security
from resolvers.errors import Refused, UserError, UserErrorCode, refused, user_error


def login_keys(account: Account) -> list[str]:
    """The keys of every login an account signs in with (its proven phone and address):
    checking its password counts against each, as signing in with either would."""
    logins = [login.lower() for login in (account.phone, account.email) if login is not None]
    if not logins:
        return [tries_key("account", str(account.id))]
    return [tries_key("login", login) for login in logins]


def client_key(ctx: RequestContext) -> str | None:
    """The client address as rate limits key it, when the request has one."""
    return address_key(ctx.client_address) if ctx.client_address else None


def rate_limited(retry_after_seconds: int, *field: str) -> UserError:
    """RATE_LIMITED for a password that was tried too often (however it was asked)."""
    return user_error(
        UserErrorCode.RATE_LIMITED,
        f"Too many failed sign-ins; try again in {retry_after_seconds} s.",
        *field,
    )


async def current_password_error(
    ctx: RequestContext, key: str | list[str], stored: str | None, given: str | None
) -> UserError | None:
    """None when `given` is the current password; else why not (counted like every
    password check, so a stolen token buys no extra guesses)."""
    outcome = await check_password(
        ctx.auth.limiter, key, stored, given or "", client=client_key(ctx)
    )
    if outcome.check is PasswordCheck.RATE_LIMITED:
        log_security(ctx, "password_change_locked", "refused")
        return rate_limited(outcome.retry_after_seconds, "currentPassword")
    if outcome.check is PasswordCheck.WRONG or given is None:
        return user_error(
            UserErrorCode.INVALID_CREDENTIALS,
            "The current password is not right.",
            "currentPassword",
        )
    return None


async def policy_error(ctx: RequestContext, accepted: str | None) -> UserError | None:
    """POLICY_NOT_ACCEPTED unless `accepted` is the current policy version."""
    current = await queries.current_policy(ctx.session, ctx.now().date())
    if current is None or accepted != current.version:
        return user_error(
            UserErrorCode.POLICY_NOT_ACCEPTED,
            "Registration needs the current privacy policy version accepted.",
            "acceptPolicyVersion",
        )
    return None


async def new_individual_status(
    ctx: RequestContext, accepted: str | None, birth_date: date | None, today: date
) -> AccountStatus:
    """The status a person registering starts in: refused without the current policy
    accepted, under 14 (MINOR_UNDER_14) or born in the future; 14 to 17 wait for a
    guardian's consent."""
    refusal = await policy_error(ctx, accepted)
    if refusal is not None:
        raise Refused(refusal)
    if birth_date is None:
        return AccountStatus.ACTIVE
    if birth_date > today:
        raise refused(UserErrorCode.INVALID_INPUT, "The birth date is in the future.", "birthDate")
    group = age_group(birth_date, today)
    if group is AgeGroup.UNDER_14:
        raise refused(
            UserErrorCode.MINOR_UNDER_14, "Children under 14 may not register.", "birthDate"
        )
    if group is AgeGroup.MINOR:
        return AccountStatus.PENDING_GUARDIAN_CONSENT
    return AccountStatus.ACTIVE


def _login_event(
    ctx: RequestContext, account: Account, method: LoginMethod, *, success: bool
) -> LoginEvent:
    event = LoginEvent(
        account_id=account.id,
        created_at=ctx.now(),
        method=method,
        success=success,
        user_agent=(ctx.user_agent or "")[:300] or None,
    )
    event.ip_address = ctx.client_address
    return event


def record_login(
    ctx: RequestContext, account: Account, method: LoginMethod, *, success: bool
) -> None:
    """A sign-in attempt, written with the unit of work that answers it."""
    ctx.session.add(_login_event(ctx, account, method, success=success))


async def record_failed_login(ctx: RequestContext, account: Account, method: LoginMethod) -> None:
    """A failed proof of identity, recorded for good before it is answered: the
    account's holder sees every failed try, whatever happens to the rest of the request."""
    event = _login_event(ctx, account, method, success=False)

    async def store(db: AsyncSession) -> None:
        db.add(event)
        await db.flush()

    await ctx.scope.record_for_good(store)
    log_security(
        ctx, "sign_in", "failure", actor_kind="account", actor_id=account.id, method=method.value
    )


async def signed_in(
    ctx: RequestContext, account: Account, method: LoginMethod, *, is_new: bool = False
) -> SignedIn:
    """Open a session for an account whose credentials checked out."""
    if account.status is AccountStatus.DISABLED:
        record_login(ctx, account, method, success=False)
        raise refused(UserErrorCode.ACCOUNT_DISABLED, "This account is disabled.")
    now = ctx.now()
    record_login(ctx, account, method, success=True)
    account.last_login_at = now
    tokens = await sessions.open_session(
        ctx.session, ctx.auth.tokens, now=now, account_id=account.id, user_agent=ctx.user_agent
    )
    return SignedIn(tokens=tokens, account=account, is_new_account=is_new)
