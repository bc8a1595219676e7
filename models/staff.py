"""Platform staff: privacy officers and support, created with the CLI."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import LargeBinary, String
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
