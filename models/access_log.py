"""Every clear-text reveal of a sensitive value, and every staff read of one masked: who
saw what of whom, when and why."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference, enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey
from models.sensitive import SensitiveKind


class ActorKind(StrEnum):
    SELF = "SELF"
    ENTERPRISE_MANAGER = "ENTERPRISE_MANAGER"
    STAFF = "STAFF"


class AccessLogEntry(UUIDPrimaryKey, Base):
    __tablename__ = "access_log_entries"
    __table_args__ = (Index("ix_access_log_subject_created", "subject_id", "created_at", "id"),)

    # None for what a verified request's requester gave: they hold no account.
    subject_id: Mapped[uuid.UUID | None] = account_reference()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_kind: Mapped[ActorKind] = mapped_column(enum_column(ActorKind, "actor_kind"))
    actor_name: Mapped[str] = mapped_column(String(100))
    field: Mapped[SensitiveKind] = mapped_column(enum_column(SensitiveKind, "sensitive_kind"))
    reason: Mapped[str | None] = mapped_column(String(200))
    # False for a staff member's read of the masked value.
    clear: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
