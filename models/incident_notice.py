"""Who was told of a security incident, and over which channels (one record each)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference, enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey


class NoticeChannel(StrEnum):
    IN_APP = "IN_APP"
    SMS = "SMS"
    EMAIL = "EMAIL"


class NoticeDeliveryStatus(StrEnum):
    """IN_APP notices are SENT at once; SMS and e-mail follow their queued message."""

    SENT = "SENT"
    QUEUED = "QUEUED"
    NO_CONTACT = "NO_CONTACT"  # no phone or address of that kind on the account


class IncidentRecipient(UUIDPrimaryKey, Base):
    """One account an incident affected, told at `created_at`."""

    __tablename__ = "security_incident_recipients"
    __table_args__ = (
        UniqueConstraint("incident_id", "account_id"),
        Index("ix_security_incident_recipients_account", "account_id", "created_at", "id"),
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("security_incidents.id", ondelete="CASCADE")
    )
    account_id: Mapped[uuid.UUID] = account_reference()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncidentDelivery(UUIDPrimaryKey, Base):
    """The notice to one recipient over one channel."""

    __tablename__ = "security_incident_deliveries"
    __table_args__ = (UniqueConstraint("recipient_id", "channel"),)

    recipient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("security_incident_recipients.id", ondelete="CASCADE")
    )
    # Kept for the person's export and for cancellation, which erases the account's rows.
    account_id: Mapped[uuid.UUID] = account_reference(index=True)
    channel: Mapped[NoticeChannel] = mapped_column(enum_column(NoticeChannel, "notice_channel"))
    status: Mapped[NoticeDeliveryStatus] = mapped_column(
        enum_column(NoticeDeliveryStatus, "notice_delivery_status")
    )
    queued_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("queued_messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
