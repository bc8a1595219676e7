"""Every sign-in attempt on a known account."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference, enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey
from models.encryption import Encrypted


class LoginMethod(StrEnum):
    SMS_CODE = "SMS_CODE"
    PASSWORD = "PASSWORD"  # noqa: S105 (a sign-in method, not a secret)
    WECHAT = "WECHAT"


class LoginEvent(UUIDPrimaryKey, Base):
    __tablename__ = "login_events"
    __table_args__ = (Index("ix_login_events_account_created", "account_id", "created_at", "id"),)

    account_id: Mapped[uuid.UUID] = account_reference()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    method: Mapped[LoginMethod] = mapped_column(enum_column(LoginMethod, "login_method"))
    success: Mapped[bool] = mapped_column(Boolean)
    ip_sealed: Mapped[bytes | None] = mapped_column("ip_address", LargeBinary)
    ip_address = Encrypted("ip_sealed")
    user_agent: Mapped[str | None] = mapped_column(String(300))
