"""Platform staff: privacy officers and support, created with the CLI."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.account import enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey
from models.encryption import Encrypted


class StaffRole(StrEnum):
    PRIVACY_OFFICER = "PRIVACY_OFFICER"
    SUPPORT = "SUPPORT"


class StaffMember(UUIDPrimaryKey, Base):
    __tablename__ = "staff_members"

    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole, "staff_role"))
    email_sealed: Mapped[bytes] = mapped_column("email", LargeBinary)
    email_index: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    email = Encrypted("email_sealed", index="email_index", normalize=str.lower)
    password_hash: Mapped[str] = mapped_column(String(200))
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The second factor: an RFC 6238 secret (sealed), and the last time step a code was
    # accepted for, so that no code works twice.
    totp_secret_sealed: Mapped[bytes | None] = mapped_column("totp_secret", LargeBinary)
    totp_secret = Encrypted("totp_secret_sealed")
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
