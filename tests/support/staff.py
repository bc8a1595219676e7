"""Staff members as the `staff create` command makes them: a name, a role, an e-mail
address, a password hash and an authenticator (tests/helpers.py STAFF_TOTP_SECRET).

Every test that needs a staff row makes it here, so that all staff are enrolled alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import StaffMember, StaffRole
from tests.helpers import STAFF_TOTP_SECRET
from tests.support.passwords import FAST_HASHER

STAFF_PASSWORD = "staff-Password-9"  # noqa: S105 (a test staff member's password)
STAFF_NAMES = {StaffRole.PRIVACY_OFFICER: "Officer Li", StaffRole.SUPPORT: "Support Wang"}


async def create_staff(
    db: AsyncSession,
    now: datetime,
    role: StaffRole = StaffRole.PRIVACY_OFFICER,
    *,
    name: str | None = None,
    email: str | None = None,
    password: str = STAFF_PASSWORD,
) -> StaffMember:
    """A staff member of `role`, flushed (not committed); named after the role unless
    told, at `<role>@corp.example` unless told."""
    staff = StaffMember(
        name=name or STAFF_NAMES[role],
        role=role,
        password_hash=FAST_HASHER.hash(password),
        created_at=now,
    )
    staff.email = email or f"{role.value.lower()}@corp.example"
    staff.totp_secret = STAFF_TOTP_SECRET
    db.add(staff)
    await db.flush()
    return staff
