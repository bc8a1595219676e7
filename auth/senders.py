"""Delivery of SMS codes and e-mail confirmations.

Two senders share one interface:

- :class:`ConsoleSender` (development and tests) keeps each message in an in-memory
  :class:`Outbox`, which ``GET /dev/outbox`` reads back
  (docs/spec/limits.md#development-outbox). Its log line names only the channel and
  purpose: recipients, codes and bodies are personal data or secrets and belong in the
  outbox, never in the log (docs/spec/limits.md#logs).
- :class:`HttpSender` (production) posts each message as JSON to a delivery provider.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from auth.provider_client import ProviderClient, ProviderUnreachable

logger = logging.getLogger("gateway.senders")

Channel = Literal["sms", "email"]

DEFAULT_OUTBOX_SIZE = 1_000


@dataclass(frozen=True)
class OutgoingMessage:
    """One SMS or e-mail, as handed to a sender.

    ``to`` is a phone number or an e-mail address in the normalised form the caller
    stores (the outbox compares it exactly). ``code`` is the SMS code, or the one-time
    token of an e-mail confirmation; ``None`` for a message that carries neither.
    """

    to: str
    channel: Channel
    purpose: str
    code: str | None
    body: str
    sent_at: datetime


class DeliveryError(Exception):
    """A message could not be handed to the provider.

    Its text names the channel and the cause only, never the recipient, code or body,
    so it is safe to log.
    """


class Sender(Protocol):
    async def send(self, message: OutgoingMessage) -> None:
        """Deliver ``message`` or raise :class:`DeliveryError`."""
        ...


class Outbox:
    """The last ``max_size`` messages the console sender recorded, oldest dropped first.

    A lock guards the deque: requests of one process may come from several threads
    (sync test clients, ``asyncio.to_thread``), and reading while another thread appends
    would otherwise risk "deque mutated during iteration".
    """

    def __init__(self, max_size: int = DEFAULT_OUTBOX_SIZE) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self._messages: deque[OutgoingMessage] = deque(maxlen=max_size)
        self._lock = threading.Lock()

    @property
    def max_size(self) -> int:
        return self._messages.maxlen or 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)

    def add(self, message: OutgoingMessage) -> None:
        with self._lock:
            self._messages.append(message)

    def for_recipient(self, to: str) -> list[OutgoingMessage]:
        """Messages sent to ``to`` (exact match), newest first."""
        with self._lock:
            return [message for message in reversed(self._messages) if message.to == to]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


class ConsoleSender(Sender):
    """Records messages in an :class:`Outbox` instead of sending them."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def send(self, message: OutgoingMessage) -> None:
        self.outbox.add(message)
        logger.info(
            "%s message for %s recorded in the outbox",
            message.channel,
            message.purpose,
            extra={"channel": message.channel, "purpose": message.purpose},
        )


class HttpSender(ProviderClient, Sender):
    """Posts each message as JSON to a delivery provider's endpoint.

    The body is ``{"to", "channel", "purpose", "body", "code"}`` (``code`` may be
    ``null``), with ``Authorization: Bearer <token>`` when a token is configured. Any
    answer outside 2xx (redirects included: they are not followed) and any network error
    or timeout raise :class:`DeliveryError`.

    The sender keeps one connection pool for its lifetime; close it with :meth:`aclose`
    (or ``async with``) at shutdown. ``transport`` lets tests replace the network.
    """

    async def send(self, message: OutgoingMessage) -> None:
        payload = {
            "to": message.to,
            "channel": message.channel,
            "purpose": message.purpose,
            "body": message.body,
            "code": message.code,
        }
        try:
            await self.post(payload)
        except ProviderUnreachable as exc:
            raise DeliveryError(f"{message.channel} delivery failed: {exc}") from exc
