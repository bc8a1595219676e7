"""Staff members as the `staff create` command makes them: a name, a role, an e-mail
address, a password hash and an authenticator (tests/helpers.py STAFF_TOTP_SECRET)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import StaffMember, StaffRole
from tests.helpers import STAFF_TOTP_SECRET


async def create_staff(
    db: AsyncSession,
    now: datetime,
    *,
    role: StaffRole = StaffRole.PRIVACY_OFFICER,
    name: str = "Officer Li",
    email: str = "li@corp.example",
    password_hash: str,
) -> StaffMember:
    staff = StaffMember(name=name, role=role, password_hash=password_hash, created_at=now)
    staff.email = email
    staff.totp_secret = STAFF_TOTP_SECRET
    db.add(staff)
    await db.flush()
    return staff
