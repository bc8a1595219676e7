"""Sessions: open, authenticate every request, rotate refresh tokens, revoke, elevate."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.security_log import security_event
from auth.tokens import REFRESH_TOKEN_TTL, InvalidToken, TokenIssuer
from auth.viewer import Viewer
from models import Account, AccountStatus, AuthSession, StaffMember, display
from models.unit_of_work import RequestScope

STEP_UP_TTL = timedelta(minutes=5)
# last_used_at is written at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
LIVE_STATUSES = (AccountStatus.ACTIVE, AccountStatus.PENDING_GUARDIAN_CONSENT)


@dataclass(frozen=True)
class Lifetime:
    """How long a session lives: at most `absolute` from its sign-in, whatever refreshes
    it, and never once unused for `idle`."""

    absolute: timedelta
    idle: timedelta


PEOPLE = Lifetime(absolute=timedelta(days=30), idle=timedelta(days=7))
STAFF = Lifetime(absolute=timedelta(hours=12), idle=timedelta(hours=1))


def lifetime(session: AuthSession) -> Lifetime:
    return STAFF if session.staff_id is not None else PEOPLE


def is_live_account(account: Account | None) -> bool:
    """Whether `account` exists and may still be used (not disabled, cancelled or deleted)."""
    return account is not None and account.status in LIVE_STATUSES


def is_live(session: AuthSession, now: datetime) -> bool:
    """Not revoked, within its absolute lifetime and its idle limit."""
    limits = lifetime(session)
    return (
        session.revoked_at is None
        and now < session.refresh_expires_at
        and now < session.created_at + limits.absolute
        and now - session.last_used_at < limits.idle
    )


def _refresh_expiry(session: AuthSession, now: datetime) -> datetime:
    """A refresh token never outlives its session's absolute lifetime."""
    return min(now + REFRESH_TOKEN_TTL, session.created_at + lifetime(session).absolute)


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    session_id: uuid.UUID


async def open_session(
    db: AsyncSession,
    tokens: TokenIssuer,
    *,
    now: datetime,
    account_id: uuid.UUID | None = None,
    staff_id: uuid.UUID | None = None,
    user_agent: str | None = None,
) -> IssuedTokens:
    session = AuthSession(
        account_id=account_id,
        staff_id=staff_id,
        refresh_secret_hash=b"",
        created_at=now,
        last_used_at=now,
        refresh_expires_at=now,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.refresh_expires_at = _refresh_expiry(session, now)
    refresh = tokens.new_refresh_token(session.id)
    session.refresh_secret_hash = tokens.refresh_secret_hash(refresh.secret)
    db.add(session)
    await db.flush()
    access, expires_at = tokens.access_token(session.id, now)
    return IssuedTokens(access, expires_at, str(refresh), session.id)


# The session and its account in one statement, built once: every request sends it.
SESSION_WITH_ACCOUNT = (
    select(AuthSession, Account)
    .outerjoin(Account, Account.id == AuthSession.account_id)
    .where(AuthSession.id == bindparam("session_id"))
)


async def _require_live_holder(
    db: AsyncSession, session: AuthSession, account: Account | None
) -> None:
    """InvalidToken unless whoever holds `session` may still use it: its account (given)
    live, or its staff member not disabled."""
    if session.account_id is not None:
        if not is_live_account(account):
            raise InvalidToken
        return
    staff = await db.get(StaffMember, session.staff_id) if session.staff_id else None
    if staff is None or staff.disabled_at is not None:
        raise InvalidToken


async def authenticate(
    scope: RequestScope, tokens: TokenIssuer, bearer: str, now: datetime
) -> tuple[Viewer, Account | None]:
    """The viewer of a valid access token whose session is live; InvalidToken otherwise.

    The session row is read on every request, so revoking a session, disabling or
    cancelling an account takes effect at once, before the token expires. Its
    `last_used_at` is brought up to date before the response, outside every unit of
    work of the request.
    """
    db = scope.session
    claims = tokens.verify_access(bearer, now)
    found = await display.rows(db, SESSION_WITH_ACCOUNT, {"session_id": claims.session_id})
    if not found:
        raise InvalidToken
    ((session, account),) = found
    if not is_live(session, now):
        raise InvalidToken
    await _require_live_holder(db, session, account)
    if now - session.last_used_at >= LAST_USED_RESOLUTION:
        scope.before_response(
            update(AuthSession)
            .where(AuthSession.id == session.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False),
            required=False,
        )
    viewer = Viewer(
        session_id=session.id,
        account_id=session.account_id,
        staff_id=session.staff_id,
        elevated_until=session.elevated_until,
        enterprise_id=account.enterprise_id if account is not None else None,
        permissions=frozenset(account.permissions or ()) if account is not None else frozenset(),
    )
    return viewer, account


async def rotate_refresh_token(
    db: AsyncSession,
    tokens: TokenIssuer,
    presented: str,
    now: datetime,
    *,
    client_address: str | None = None,
) -> tuple[AuthSession, IssuedTokens]:
    """New tokens for a current refresh token; a rotated one revokes the whole session.

    The rotation is one conditional UPDATE on the hash it replaces: of several requests
    presenting one refresh token at once, one rotates it and every other finds it
    rotated, which is a copy in use, and revokes the session.
    """
    parsed = tokens.parse_refresh_token(presented)
    session = await db.get(AuthSession, parsed.session_id)
    if session is None or not is_live(session, now):
        raise InvalidToken
    if not tokens.refresh_secret_matches(session.refresh_secret_hash, parsed.secret):
        await _revoke_for_reuse(db, session, now, client_address)
    account = await db.get(Account, session.account_id) if session.account_id else None
    await _require_live_holder(db, session, account)
    refresh = tokens.new_refresh_token(session.id)
    rotated = await db.execute(
        update(AuthSession)
        .where(
            AuthSession.id == session.id,
            AuthSession.refresh_secret_hash == session.refresh_secret_hash,
            AuthSession.revoked_at.is_(None),
        )
        .values(
            refresh_secret_hash=tokens.refresh_secret_hash(refresh.secret),
            last_used_at=now,
            refresh_expires_at=_refresh_expiry(session, now),
        )
        .execution_options(synchronize_session="fetch")
    )
    if not rotated.rowcount:  # type: ignore[attr-defined]
        await _revoke_for_reuse(db, session, now, client_address)
    access, expires_at = tokens.access_token(session.id, now)
    return session, IssuedTokens(access, expires_at, str(refresh), session.id)


async def _revoke_for_reuse(
    db: AsyncSession, session: AuthSession, now: datetime, client_address: str | None
) -> NoReturn:
    """A rotated refresh token came back: someone holds a copy. End the session for all."""
    await revoke_session(db, session.id, now)
    security_event(
        "refresh_token_reused",
        "session_revoked",
        actor_kind="staff" if session.staff_id else "account",
        actor_id=session.staff_id or session.account_id,
        session_id=session.id,
        client_address=client_address,
    )
    raise InvalidToken


async def revoke_session(db: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
    await db.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )


async def revoke_other_sessions(db: AsyncSession, viewer: Viewer, now: datetime) -> None:
    """End every live session of the viewer (an account or a staff member) but this one."""
    holder = (
        AuthSession.account_id == viewer.account_id
        if viewer.account_id is not None
        else AuthSession.staff_id == viewer.staff_id
    )
    await db.execute(
        update(AuthSession)
        .where(holder, AuthSession.id != viewer.session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )


async def revoke_account_sessions(
    db: AsyncSession, account_id: uuid.UUID, now: datetime, *, keep: uuid.UUID | None = None
) -> None:
    """End every live session of the account, but `keep` when given."""
    statement = update(AuthSession).where(
        AuthSession.account_id == account_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    await db.execute(
        statement.values(revoked_at=now).execution_options(synchronize_session="fetch")
    )


async def elevate(db: AsyncSession, session_id: uuid.UUID, now: datetime) -> datetime:
    until = now + STEP_UP_TTL
    session = await db.get(AuthSession, session_id)
    if session is None:
        raise InvalidToken
    session.elevated_until = until
    return until
