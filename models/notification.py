"""Notifications to an account: policy changes, rights requests, security incidents."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference
from models.base import Base, UTCDateTime, UUIDPrimaryKey


class NotificationKind:
    POLICY_UPDATED = "POLICY_UPDATED"
    DATA_REQUEST_UPDATED = "DATA_REQUEST_UPDATED"
    SECURITY_INCIDENT = "SECURITY_INCIDENT"
    SIGN_IN_METHOD_CHANGED = "SIGN_IN_METHOD_CHANGED"
    SUB_ACCOUNT_CHANGED = "SUB_ACCOUNT_CHANGED"
    GUARDIAN_CONSENT = "GUARDIAN_CONSENT"


class Notification(UUIDPrimaryKey, Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_account_created", "account_id", "created_at", "id"),)

    account_id: Mapped[uuid.UUID] = account_reference()
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
