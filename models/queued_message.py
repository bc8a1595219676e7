"""SMS and e-mail messages written with the change they announce, delivered afterwards.

A message is queued in the unit of work of its change, so it exists exactly when the
change does; `xiamo-gateway messages deliver` sends it through the SMS and e-mail
senders, within their limits, and retries it until it is sent or gives up. Once sent,
the recipient's phone or address is erased from the row: the record of the delivery
stays, the contact does not.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference, enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey
from models.encryption import Encrypted


class MessageChannel(StrEnum):
    SMS = "SMS"
    EMAIL = "EMAIL"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"  # given up after the last try


class QueuedMessage(UUIDPrimaryKey, Base):
    __tablename__ = "queued_messages"
    __table_args__ = (Index("ix_queued_messages_due", "status", "next_attempt_at"),)

    # The account it tells, when it tells one (a requester without an account has none).
    account_id: Mapped[uuid.UUID | None] = account_reference(index=True)
    data_request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_requests.id", ondelete="SET NULL")
    )
    channel: Mapped[MessageChannel] = mapped_column(enum_column(MessageChannel, "message_channel"))
    recipient_sealed: Mapped[bytes | None] = mapped_column("recipient", LargeBinary)
    recipient = Encrypted("recipient_sealed")
    purpose: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A worker holds the message until then; another takes it over after.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
