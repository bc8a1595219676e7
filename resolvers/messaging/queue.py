"""Queueing an SMS or e-mail with the change it announces (delivered by the worker)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import DeliveryStatus, MessageChannel, QueuedMessage


def queue_message(
    session: AsyncSession,
    *,
    channel: MessageChannel,
    recipient: str,
    purpose: str,
    body: str,
    now: datetime,
    account_id: uuid.UUID | None = None,
    data_request_id: uuid.UUID | None = None,
) -> QueuedMessage:
    """A message written in the caller's unit of work: it exists exactly when the change
    does, and is sent once that change is committed."""
    message = QueuedMessage(
        account_id=account_id,
        data_request_id=data_request_id,
        channel=channel,
        purpose=purpose,
        body=body,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    message.recipient = recipient
    session.add(message)
    return message
