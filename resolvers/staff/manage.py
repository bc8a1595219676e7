"""Creating, enrolling, disabling staff and resetting their password (the `staff` CLI).

Each operation runs in the caller's transaction and answers either its result or the
one-line reason it was refused. Disabling a staff member, resetting its password or
its authenticator ends every session it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.contacts import parse_email
from auth.passwords import hash_password, password_problem
from auth.security_log import security_event
from auth.totp import new_secret, provisioning_uri
from models import AuthSession, StaffMember, StaffRole, queries


class StaffError(Exception):
    """Why a staff operation was refused, in one line."""


@dataclass(frozen=True)
class Enrolled:
    """A staff member and the `otpauth://` URI of its new authenticator secret."""

    member: StaffMember
    totp_uri: str


def _log(event: str, member: StaffMember) -> None:
    """Operators act from the command line: the log names the staff member acted on."""
    security_event(event, "success", actor_kind="operator", subject_id=str(member.id))


async def _end_sessions(session: AsyncSession, member: StaffMember, now: datetime) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.staff_id == member.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def _address(email: str) -> str:
    address = parse_email(email)
    if address is None:
        raise StaffError(f"{email!r} is not an e-mail address")
    return address


async def _member(session: AsyncSession, email: str) -> StaffMember:
    member = await queries.staff_by_email(session, _address(email))
    if member is None:
        raise StaffError("no staff member has this e-mail address")
    return member


def _enrol(member: StaffMember) -> Enrolled:
    secret = new_secret()
    member.totp_secret = secret
    member.totp_last_step = None
    return Enrolled(member, provisioning_uri(secret, member.email or ""))


async def create_staff(
    session: AsyncSession, *, name: str, email: str, role: StaffRole, password: str, now: datetime
) -> Enrolled:
    address = _address(email)
    if not name.strip():
        raise StaffError("give a name")
    problem = password_problem(password)
    if problem is not None:
        raise StaffError(problem)
    # Staff and accounts never share a sign-in address.
    if await queries.email_taken(session, address):
        raise StaffError("this e-mail address already signs somebody in")
    member = StaffMember(
        name=name.strip()[:100],
        role=role,
        password_hash=await hash_password(password),
        password_changed_at=now,
        created_at=now,
    )
    member.email = address
    enrolled = _enrol(member)
    session.add(member)
    await session.flush()
    _log("staff_created", member)
    return enrolled


async def reset_totp(session: AsyncSession, *, email: str, now: datetime) -> Enrolled:
    member = await _member(session, email)
    enrolled = _enrol(member)
    await _end_sessions(session, member, now)
    _log("staff_totp_reset", member)
    return enrolled


async def disable_staff(session: AsyncSession, *, email: str, now: datetime) -> StaffMember:
    member = await _member(session, email)
    member.disabled_at = member.disabled_at or now
    await _end_sessions(session, member, now)
    _log("staff_disabled", member)
    return member


async def reset_staff_password(
    session: AsyncSession, *, email: str, password: str, now: datetime
) -> StaffMember:
    member = await _member(session, email)
    problem = password_problem(password)
    if problem is not None:
        raise StaffError(problem)
    member.password_hash = await hash_password(password)
    member.password_changed_at = now
    await _end_sessions(session, member, now)
    _log("staff_password_reset", member)
    return member
