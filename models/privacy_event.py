"""The transactional outbox of privacy events (consents, restrictions, cancellations,
erasures, request outcomes), written in the unit of work of the change they describe.

`sequence` orders every event; the events of one account are delivered in that order.
Writers of an account's events hold the account's row lock while writing, so an
account's events are numbered in the order their transactions commit.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference
from models.base import Base, UTCDateTime

# SQLite numbers rows itself only in an INTEGER PRIMARY KEY.
SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


class PrivacyEvent(Base):
    __tablename__ = "privacy_events"
    __table_args__ = (
        Index("ix_privacy_events_pending", "delivered_at", "account_id", "sequence"),
        Index("ix_privacy_events_delivered", "delivered_at"),
        # Never reuse the number of a deleted row: numbers only grow.
        {"sqlite_autoincrement": True},
    )

    sequence: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    # Sent as the idempotency id: the same on every try.
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(40))
    # Accounts stay as shells once cancelled, so their events stay until delivered.
    account_id: Mapped[uuid.UUID | None] = account_reference()
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
