"""`xiamo-gateway messages deliver`: queued messages reach their provider once, within the
sending limits, retried with backoff when the provider fails."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth.senders import HttpSender, Outbox, OutgoingMessage
from auth.services import AuthServices
from models import DeliveryStatus, MessageChannel, QueuedMessage
from resolvers.messaging.delivery import MAX_ATTEMPTS, DeliveryReport, deliver_due, retry_delay
from resolvers.messaging.queue import queue_message
from tests.conftest import Clock, Live
from tests.fakes.sink import Sink, running_sink
from tests.support.races import skip_unless_postgres

PHONE = "+8613812345678"
EMAIL = "someone@example.com"


async def queue(
    db: AsyncSession,
    now: datetime,
    *,
    channel: MessageChannel = MessageChannel.SMS,
    recipient: str = PHONE,
    purpose: str = "SECURITY_INCIDENT",
    body: str = "We reset your sessions after an incident.",
) -> QueuedMessage:
    message = queue_message(
        db, channel=channel, recipient=recipient, purpose=purpose, body=body, now=now
    )
    await db.commit()
    return message


async def stored(db: AsyncSession, message: QueuedMessage) -> QueuedMessage:
    await db.refresh(message)
    return message


@pytest.fixture
def sink() -> Iterator[Sink]:
    with running_sink() as served:
        yield served


@pytest.fixture
async def http_services(services: AuthServices, sink: Sink) -> AuthServices:
    return dataclasses.replace(
        services, sms=HttpSender(sink.url + "/sms"), email=HttpSender(sink.url + "/email")
    )


Deliver = Callable[[], Awaitable[DeliveryReport]]


@pytest.fixture
def deliver(
    session_factory: async_sessionmaker[AsyncSession], services: AuthServices, clock: Clock
) -> Deliver:
    """One pass of `messages deliver` at the clock's time, messages kept in the outbox."""
    return lambda: deliver_due(session_factory, services, clock())


@pytest.fixture
def deliver_over_http(
    session_factory: async_sessionmaker[AsyncSession], http_services: AuthServices, clock: Clock
) -> Deliver:
    """One pass at the clock's time, messages posted to the sink."""
    return lambda: deliver_due(session_factory, http_services, clock())


async def test_a_message_is_sent_once_and_its_recipient_erased(
    db: AsyncSession, deliver: Deliver, outbox: Outbox, clock: Clock
) -> None:
    sms = await queue(db, clock())
    mail = await queue(db, clock(), channel=MessageChannel.EMAIL, recipient=EMAIL)

    first = await deliver()
    again = await deliver()

    assert (first.sent, again.handled) == (2, 0)
    assert [(m.channel, m.purpose, m.code, m.body) for m in outbox.for_recipient(PHONE)] == [
        ("sms", "SECURITY_INCIDENT", None, "We reset your sessions after an incident.")
    ]
    assert [m.channel for m in outbox.for_recipient(EMAIL)] == ["email"]
    for message in (sms, mail):
        row = await stored(db, message)
        assert (row.status, row.recipient, row.attempts, row.sent_at) == (
            DeliveryStatus.SENT,
            None,
            1,
            clock(),
        )


async def test_a_limit_postpones_a_message_without_counting_a_try(
    db: AsyncSession, deliver: Deliver, outbox: Outbox, clock: Clock
) -> None:
    await queue(db, clock())
    second = await queue(db, clock() + timedelta(seconds=1))
    clock.advance(seconds=1)

    report = await deliver()

    assert (report.sent, report.postponed) == (1, 1)
    row = await stored(db, second)
    assert row.status is DeliveryStatus.PENDING
    assert row.attempts == 0
    assert clock() + timedelta(seconds=59) <= row.next_attempt_at <= clock() + timedelta(seconds=60)
    assert len(outbox.for_recipient(PHONE)) == 1


async def test_a_failing_provider_is_retried_with_backoff_until_it_gives_up(
    db: AsyncSession, deliver_over_http: Deliver, sink: Sink, clock: Clock
) -> None:
    sink.fail_next = MAX_ATTEMPTS
    message = await queue(db, clock())
    waits = []

    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = await deliver_over_http()
        row = await stored(db, message)
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert report.retried == 1
            waits.append(row.next_attempt_at - clock())
            early = await deliver_over_http()
            assert early.handled == 0
            clock.now = row.next_attempt_at

    assert waits == [retry_delay(n) for n in range(1, MAX_ATTEMPTS)]
    assert waits[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert retry_delay(20) == timedelta(hours=1)
    assert (row.status, row.last_error) == (
        DeliveryStatus.FAILED,
        "sms delivery failed: the provider answered HTTP 503",
    )
    assert row.recipient == PHONE  # never sent: kept for whoever looks into it
    assert len(sink.received) == MAX_ATTEMPTS


async def test_a_provider_that_recovers_gets_the_message_on_the_next_try(
    db: AsyncSession, deliver_over_http: Deliver, sink: Sink, clock: Clock
) -> None:
    sink.fail_next = 1
    message = await queue(db, clock())

    first = await deliver_over_http()
    clock.advance(seconds=30)
    second = await deliver_over_http()

    assert (first.retried, second.sent) == (1, 1)
    assert [item.json() for item in sink.accepted] == [
        {
            "to": PHONE,
            "channel": "sms",
            "purpose": "SECURITY_INCIDENT",
            "body": "We reset your sessions after an incident.",
            "code": None,
        }
    ]
    assert (await stored(db, message)).status is DeliveryStatus.SENT


async def test_a_claimed_message_waits_for_its_claim_to_lapse(
    db: AsyncSession, deliver: Deliver, outbox: Outbox, clock: Clock
) -> None:
    message = await queue(db, clock())
    message.claimed_until = clock() + timedelta(minutes=5)
    await db.commit()

    while_claimed = await deliver()
    clock.advance(minutes=5)
    after = await deliver()

    assert (while_claimed.handled, after.sent) == (0, 1)
    assert len(outbox.for_recipient(PHONE)) == 1


@pytest.mark.postgres_only
async def test_two_workers_at_once_send_each_message_once(
    live: Live, outbox: Outbox, clock: Clock, is_postgres: bool
) -> None:
    skip_unless_postgres(is_postgres)
    phones = [f"+86138000{n:05d}" for n in range(60)]
    async with live.session() as db:
        for phone in phones:
            queue_message(
                db,
                channel=MessageChannel.SMS,
                recipient=phone,
                purpose="SECURITY_INCIDENT",
                body="Notice",
                now=clock(),
            )
        await db.commit()

    reports = await asyncio.gather(
        *(deliver_due(live.factory, live.services, clock(), batch_size=7) for _ in range(2))
    )

    assert sum(report.sent for report in reports) == len(phones)
    assert all(report.sent > 0 for report in reports)
    assert sorted(len(outbox.for_recipient(phone)) for phone in phones) == [1] * len(phones)
    async with live.session() as db:
        statuses = (await db.scalars(select(QueuedMessage.status))).all()
    assert set(statuses) == {DeliveryStatus.SENT}


class SlowSender:
    """Records like the console sender; every message takes three minutes, and after the
    second one `meanwhile` runs."""

    def __init__(self, outbox: Outbox, clock: Clock, meanwhile: Any) -> None:
        self.outbox, self.clock, self.meanwhile = outbox, clock, meanwhile
        self.calls = 0

    async def send(self, message: OutgoingMessage) -> None:
        self.outbox.add(message)
        self.calls += 1
        self.clock.advance(minutes=3)
        if self.calls == 2:
            await self.meanwhile()


async def test_a_message_whose_claim_lapsed_mid_batch_is_sent_by_one_worker_only(
    db: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    services: AuthServices,
    outbox: Outbox,
    clock: Clock,
) -> None:
    """A slow provider keeps a batch longer than its claim: a second worker then rightly
    takes what is left of it, and the first must not send those messages too."""
    phones = [PHONE, "+8613900000002", "+8613900000003"]
    for n, phone in enumerate(phones):
        await queue(db, clock() + timedelta(seconds=n), recipient=phone)
    clock.advance(seconds=len(phones))
    others: list[DeliveryReport] = []

    async def second_worker() -> None:
        others.append(await deliver_due(session_factory, services, clock()))

    slow = dataclasses.replace(services, sms=SlowSender(outbox, clock, second_worker))
    first = await deliver_due(session_factory, slow, clock)

    assert (first.sent, others[0].sent) == (2, 1)
    assert [len(outbox.for_recipient(phone)) for phone in phones] == [1, 1, 1]
