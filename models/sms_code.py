"""One-time SMS codes, kept only as keyed hashes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from models.account import enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey


class SmsPurpose(StrEnum):
    LOGIN = "LOGIN"
    BIND_PHONE = "BIND_PHONE"
    STEP_UP = "STEP_UP"
    GUARDIAN_CONSENT = "GUARDIAN_CONSENT"
    # Proves the phone of someone filing a rights request without an account.
    DATA_REQUEST = "DATA_REQUEST"


class SmsCode(UUIDPrimaryKey, Base):
    __tablename__ = "sms_codes"
    __table_args__ = (Index("ix_sms_codes_phone_purpose", "phone_index", "purpose", "created_at"),)

    phone_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    purpose: Mapped[SmsPurpose] = mapped_column(enum_column(SmsPurpose, "sms_purpose"))
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
