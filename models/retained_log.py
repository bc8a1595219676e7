"""Sign-in history and access log of a cancelled account, kept pseudonymised.

Network-security law asks that access records be kept for six months. When an account
is cancelled, its sign-in events and access-log entries move here under a random
pseudonym that nothing else holds: no account, no request, no sensitive value (the IP
address is kept masked, the user agent not at all), and `retention run` deletes them six
months after the cancellation.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, UUIDPrimaryKey


class RetainedKind(StrEnum):
    SIGN_IN = "SIGN_IN"
    VIEW = "VIEW"  # an access-log entry


class RetainedLog(UUIDPrimaryKey, Base):
    __tablename__ = "retained_logs"
    __table_args__ = (Index("ix_retained_logs_retained", "retained_at"),)

    pseudonym: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # SIGN_IN: how, whether it worked, the masked network.
    method: Mapped[str | None] = mapped_column(String(32))
    success: Mapped[bool | None] = mapped_column(Boolean)
    network: Mapped[str | None] = mapped_column(String(64))
    # VIEW: who looked (staff by name; the holder and managers by role only) at which kind.
    actor_kind: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str | None] = mapped_column(String(100))
    field: Mapped[str | None] = mapped_column(String(32))
    clear: Mapped[bool | None] = mapped_column(Boolean)
    retained_at: Mapped[datetime] = mapped_column(UTCDateTime())
