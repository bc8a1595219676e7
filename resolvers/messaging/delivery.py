"""Sending the queued SMS and e-mail messages (`xiamo-gateway messages deliver`).

Each pass claims the messages that are due, in one short transaction: a claim holds a
message for a few minutes (`claimed_until`), so several workers share the queue without
sending a message twice (on PostgreSQL the claim skips rows another worker is claiming,
FOR UPDATE SKIP LOCKED), and a worker that dies mid-way only delays its messages. Each
message then goes through the same sender and the same sending limits as every other
message to that phone or address: a limit that says wait postpones it without
counting a try; a sender that fails counts one and retries later, with backoff, up to
MAX_ATTEMPTS. Only a message the provider accepted counts against the limits (two
workers may then let one message more through within a window; none is sent twice).
Once sent, the recipient is erased from the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from auth.message_limits import LIMITS, Channel, recipient_key
from auth.rate_limits import Limit, RateLimiter
from auth.senders import DeliveryError, OutgoingMessage, Sender
from auth.services import AuthServices
from models import DeliveryStatus, MessageChannel, QueuedMessage
from models.database import SerializedSession
from models.queries import claim, record_attempt
from models.unit_of_work import RequestScope

MAX_ATTEMPTS = 8
CLAIM = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
BATCH_SIZE = 50


@dataclass
class DeliveryReport:
    sent: int = 0
    postponed: int = 0  # a sending limit said wait
    retried: int = 0  # the sender failed; tried again later
    failed: int = 0  # the last try failed too

    @property
    def handled(self) -> int:
        return self.sent + self.postponed + self.retried + self.failed


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most an hour."""
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, LAST_RETRY)


def _channel(message: QueuedMessage) -> Channel:
    return "sms" if message.channel is MessageChannel.SMS else "email"


def _limits(message: QueuedMessage, recipient: str) -> list[tuple[Limit, str]]:
    """The recipient's own limits, counted under the same keys as every other message to
    it (auth/message_limits.py); a queued message has no client address."""
    channel = _channel(message)
    limits = LIMITS[channel]
    key = recipient_key(channel, recipient)
    return [(limits.interval, f"{key}:{message.purpose}"), (limits.daily, key)]


async def _wait_for(limiter: RateLimiter, limits: list[tuple[Limit, str]]) -> int:
    """0 when every limit lets the message go now, else the seconds to wait."""
    for limit, key in limits:
        decision = await limiter.test(limit, key)
        if not decision.allowed:
            return decision.retry_after_seconds
    return 0


async def _count(limiter: RateLimiter, limits: list[tuple[Limit, str]]) -> None:
    """A message that reached the provider counts against the limits; one that did not
    spends nothing of the person's allowance."""
    for limit, key in limits:
        await limiter.hit(limit, key)


async def _claim(scope: RequestScope, now: datetime, batch_size: int) -> list[QueuedMessage]:
    db = scope.session
    order = (QueuedMessage.next_attempt_at, QueuedMessage.created_at, QueuedMessage.id)
    async with scope.unit_of_work():
        due = (
            select(QueuedMessage.id)
            .where(
                QueuedMessage.status == DeliveryStatus.PENDING,
                QueuedMessage.next_attempt_at <= now,
                or_(QueuedMessage.claimed_until.is_(None), QueuedMessage.claimed_until <= now),
            )
            .order_by(*order)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        ids = list((await db.scalars(due)).all())
        return await claim(db, QueuedMessage.id, ids, now + CLAIM, *order)


async def _still_ours(
    scope: RequestScope, message: QueuedMessage, clock: Callable[[], datetime]
) -> bool:
    """Renew this worker's claim on the message just before acting on it; False when the
    claim lapsed meanwhile (a slow batch) and another worker took the message."""
    renewed = clock() + CLAIM
    async with scope.unit_of_work():
        result = await scope.session.execute(
            update(QueuedMessage)
            .where(
                QueuedMessage.id == message.id,
                QueuedMessage.status == DeliveryStatus.PENDING,
                QueuedMessage.claimed_until == message.claimed_until,
            )
            .values(claimed_until=renewed)
            .execution_options(synchronize_session=False)
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _deliver_one(
    scope: RequestScope,
    message: QueuedMessage,
    services: AuthServices,
    now: datetime,
    report: DeliveryReport,
) -> None:
    recipient = message.recipient
    sender: Sender = services.sms if message.channel is MessageChannel.SMS else services.email
    values: dict[str, object] = {"claimed_until": None}
    if recipient is None:
        values |= {"status": DeliveryStatus.FAILED, "last_error": "no recipient"}
        report.failed += 1
    elif wait := await _wait_for(services.limiter, limits := _limits(message, recipient)):
        values["next_attempt_at"] = now + timedelta(seconds=wait)
        report.postponed += 1
    else:
        try:
            await sender.send(
                OutgoingMessage(
                    to=recipient,
                    channel=_channel(message),
                    purpose=message.purpose,
                    code=None,
                    body=message.body,
                    sent_at=now,
                )
            )
        except DeliveryError as exc:
            attempts = message.attempts + 1
            values |= {"attempts": attempts, "last_error": str(exc)[:200]}
            if attempts >= MAX_ATTEMPTS:
                values["status"] = DeliveryStatus.FAILED
                report.failed += 1
            else:
                values["next_attempt_at"] = now + retry_delay(attempts)
                report.retried += 1
        else:
            await _count(services.limiter, limits)
            values |= {
                "status": DeliveryStatus.SENT,
                "attempts": message.attempts + 1,
                "sent_at": now,
                "recipient_sealed": None,
                "last_error": None,
            }
            report.sent += 1
    async with scope.unit_of_work():
        await record_attempt(scope.session, QueuedMessage.id, message.id, values)


async def deliver_due(
    session_factory: async_sessionmaker[SerializedSession],
    services: AuthServices,
    now: datetime | Callable[[], datetime],
    *,
    batch_size: int = BATCH_SIZE,
) -> DeliveryReport:
    """Send what is due, one batch after another, until nothing is left.

    `now` is a moment, or a clock read afresh for every batch and message: a batch sent
    to a slow provider can outlast its claim, and each message is then sent by the
    worker that holds it when its turn comes, never by two.
    """
    clock: Callable[[], datetime] = now if callable(now) else (lambda: now)
    report = DeliveryReport()
    async with RequestScope(session_factory) as scope:
        while True:
            claimed = await _claim(scope, clock(), batch_size)
            for message in claimed:
                if await _still_ours(scope, message, clock):
                    await _deliver_one(scope, message, services, clock(), report)
            if len(claimed) < batch_size:
                return report
