"""Real-name and student verifications: one of each per account, the latest submission."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference, enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey
from models.encryption import Encrypted


class VerificationStatus(StrEnum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"


class VerificationColumns(UUIDPrimaryKey):
    """The columns both verifications have: one row per account, holding its latest
    submission and the outcome.

    The sealed name and ID number are read through `Encrypted` attributes that each
    model declares itself: what they seal is bound to the model's own table.
    """

    account_id: Mapped[uuid.UUID] = account_reference(unique=True)
    status: Mapped[VerificationStatus] = mapped_column(
        enum_column(VerificationStatus, "verification_status")
    )
    real_name_sealed: Mapped[bytes] = mapped_column("real_name", LargeBinary)
    id_number_sealed: Mapped[bytes] = mapped_column("id_number", LargeBinary)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(String(200))


class RealNameVerification(VerificationColumns, Base):
    __tablename__ = "real_name_verifications"

    real_name = Encrypted("real_name_sealed")
    id_number = Encrypted("id_number_sealed")


class StudentVerification(VerificationColumns, Base):
    __tablename__ = "student_verifications"

    real_name = Encrypted("real_name_sealed")
    id_number = Encrypted("id_number_sealed")
    verification_code_sealed: Mapped[bytes] = mapped_column("verification_code", LargeBinary)
    verification_code = Encrypted("verification_code_sealed")
    school: Mapped[str] = mapped_column(String(100))
    major: Mapped[str] = mapped_column(String(100))
    enrolled_on: Mapped[date] = mapped_column(Date)
    graduates_on: Mapped[date] = mapped_column(Date)
