"""`xiamo-gateway events deliver` against a local service that fails on purpose: every
event arrives, in order per account, signed, and a service that acts once per id sees no
duplicate effect; with two workers at once on PostgreSQL too."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Account, PrivacyEvent
from resolvers.events.delivery import CLAIM, EventReport, Webhook, deliver_events, retry_delay
from resolvers.events.outbox import EventType, account_ref, record_event
from tests.conftest import Clock, Live
from tests.fakes.sink import Received, Sink, running_sink
from tests.support.factories import create_account
from tests.support.races import skip_unless_postgres

KEY = b"k" * 32


@pytest.fixture
def sink() -> Iterator[Sink]:
    with running_sink() as served:
        yield served


def webhook(sink: Sink) -> Webhook:
    return Webhook(url=sink.url + "/events", signing_key=KEY, timeout=5.0)


Deliver = Callable[[], Awaitable[EventReport]]


@pytest.fixture
def deliver(session_factory: async_sessionmaker[AsyncSession], sink: Sink, clock: Clock) -> Deliver:
    """One pass of `events deliver` at the clock's time, to the sink's webhook."""
    return lambda: deliver_events(session_factory, webhook(sink), clock())


async def write_events(
    db: AsyncSession, clock: Clock, accounts: list[Account], per_account: int
) -> list[PrivacyEvent]:
    """`per_account` ConsentChanged events for each account, interleaved."""
    written = []
    for n in range(per_account):
        for account in accounts:
            written.append(
                await record_event(
                    db,
                    EventType.CONSENT_CHANGED,
                    {"purpose": "TARGETED_PUSH", "granted": n % 2 == 0, "policyVersion": "1.0"},
                    now=clock(),
                    account=account,
                )
            )
    await db.commit()
    return written


def verify(item: Received) -> dict[str, Any]:
    """The event, after checking the signature over the exact body and the headers."""
    expected = "sha256=" + hmac.new(KEY, item.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(item.headers["x-xiamo-signature"], expected)
    event: dict[str, Any] = json.loads(item.body)
    assert item.headers["idempotency-key"] == event["id"]
    assert item.headers["x-xiamo-event-type"] == event["type"]
    assert item.headers["content-type"] == "application/json"
    return event


def effects(sink: Sink) -> list[dict[str, Any]]:
    """What a service that acts once per idempotency id did, in the order it acted."""
    done: dict[str, dict[str, Any]] = {}
    for item in sink.acted_on:
        event = verify(item)
        done.setdefault(event["id"], event)
    return list(done.values())


def by_account(events: list[dict[str, Any]]) -> dict[str, list[int]]:
    orders: dict[str, list[int]] = {}
    for event in events:
        orders.setdefault(event["accountId"], []).append(event["sequence"])
    return orders


async def people(db: AsyncSession, count: int) -> list[Account]:
    return [await create_account(db, display_name=f"P{n}") for n in range(count)]


async def test_an_event_is_posted_signed_with_its_id(
    db: AsyncSession, deliver: Deliver, sink: Sink, clock: Clock
) -> None:
    [person] = await people(db, 1)
    [event] = await write_events(db, clock, [person], 1)

    report = await deliver()

    assert (report.delivered, report.retried) == (1, 0)
    [item] = sink.received
    assert item.path == "/events"
    assert verify(item) == {
        "id": str(event.event_id),
        "type": "ConsentChanged",
        "sequence": event.sequence,
        "occurredAt": clock().isoformat(),
        "accountId": account_ref(person),
        "data": {"purpose": "TARGETED_PUSH", "granted": True, "policyVersion": "1.0"},
    }
    await db.refresh(event)
    assert (event.delivered_at, event.attempts, event.claimed_until) == (clock(), 1, None)


async def test_a_failing_service_gets_every_event_in_order_and_acts_once_on_each(
    db: AsyncSession, deliver: Deliver, sink: Sink, clock: Clock
) -> None:
    accounts = await people(db, 3)
    written = await write_events(db, clock, accounts, 4)
    # The first answers are refusals, then two requests are acted on but answered with
    # an error, as by a service that fails before answering: those come again.
    sink.fail_next = 3
    sink.fail_after_acting_next = 2
    rounds = 0

    while True:
        report = await deliver()
        pending = await db.scalar(
            select(PrivacyEvent.sequence).where(PrivacyEvent.delivered_at.is_(None)).limit(1)
        )
        if pending is None:
            break
        rounds += 1
        assert rounds < 10, report
        clock.advance(minutes=10)

    done = effects(sink)
    assert sorted(event["id"] for event in done) == sorted(str(e.event_id) for e in written)
    assert by_account(done) == {
        account_ref(account): [e.sequence for e in written if e.account_id == account.id]
        for account in accounts
    }
    # The ones acted on before an error came again, under the same id, with the same body.
    bodies: dict[str, set[bytes]] = {}
    for item in sink.received:
        bodies.setdefault(verify(item)["id"], set()).add(item.body)
    assert all(len(versions) == 1 for versions in bodies.values())
    assert len(sink.received) == len(written) + 5
    assert len(sink.accepted) == len(written)


async def test_an_account_s_later_events_wait_behind_one_that_keeps_failing(
    db: AsyncSession, deliver: Deliver, sink: Sink, clock: Clock
) -> None:
    stuck, flowing = await people(db, 2)
    first = (await write_events(db, clock, [stuck], 1))[0]
    await write_events(db, clock, [flowing], 3)
    later = (await write_events(db, clock, [stuck], 1))[0]
    sink.fail_next = 1  # the oldest event, the stuck account's, fails once

    report = await deliver()

    assert (report.delivered, report.retried) == (3, 1)
    assert [verify(item)["accountId"] for item in sink.accepted] == [account_ref(flowing)] * 3
    await db.refresh(first)
    await db.refresh(later)
    assert first.next_attempt_at == clock() + retry_delay(1)
    assert (first.attempts, later.attempts, later.delivered_at) == (1, 0, None)
    assert first.last_error == "the webhook answered HTTP 503"

    clock.now = first.next_attempt_at
    await deliver()

    assert [verify(item)["sequence"] for item in sink.accepted[-2:]] == [
        first.sequence,
        later.sequence,
    ]
    assert [retry_delay(n) for n in (1, 2, 3, 20)] == [
        timedelta(seconds=5),
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(minutes=10),
    ]


async def test_a_worker_that_stopped_mid_way_leaves_its_events_to_the_next_one(
    db: AsyncSession, deliver: Deliver, sink: Sink, clock: Clock
) -> None:
    [person] = await people(db, 1)
    written = await write_events(db, clock, [person], 3)
    # A worker claimed the first event, posted it (the service acted) and stopped.
    written[0].claimed_until = clock() + CLAIM
    await db.commit()
    sink.fail_after_acting_next = 0

    while_claimed = await deliver()
    clock.advance(seconds=CLAIM.total_seconds())
    after = await deliver()

    assert (while_claimed.handled, after.delivered) == (0, 3)
    assert [verify(item)["sequence"] for item in sink.accepted] == [e.sequence for e in written]


async def test_nothing_is_posted_when_nothing_is_due(deliver: Deliver, sink: Sink) -> None:
    report = await deliver()

    assert report.handled == 0
    assert sink.received == []


@pytest.mark.postgres_only
async def test_two_workers_at_once_deliver_each_event_once_in_order(
    live: Live, sink: Sink, clock: Clock, is_postgres: bool
) -> None:
    skip_unless_postgres(is_postgres)
    async with live.session() as db:
        accounts = await people(db, 20)
        written = await write_events(db, clock, accounts, 5)
    sink.fail_next = 4

    delivered_by, handled_by = [0, 0], [0, 0]
    for _ in range(10):
        reports = await asyncio.gather(
            *(deliver_events(live.factory, webhook(sink), clock(), batch_size=4) for _ in range(2))
        )
        delivered_by = [total + r.delivered for total, r in zip(delivered_by, reports, strict=True)]
        handled_by = [total + r.handled for total, r in zip(handled_by, reports, strict=True)]
        async with live.session() as db:
            left = await db.scalar(
                select(PrivacyEvent.sequence).where(PrivacyEvent.delivered_at.is_(None)).limit(1)
            )
        if left is None:
            break
        clock.advance(minutes=10)

    assert left is None
    # Both worked, and between them each event was delivered once.
    assert min(handled_by) > 0
    assert sum(delivered_by) == len(written)
    accepted = [verify(item) for item in sink.accepted]
    assert sorted(event["id"] for event in accepted) == sorted(str(e.event_id) for e in written)
    assert by_account(accepted) == {
        account_ref(account): [e.sequence for e in written if e.account_id == account.id]
        for account in accounts
    }


async def test_a_long_pass_keeps_its_claims_so_another_worker_does_not_send_them_too(
    db: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    """A pass that drains a backlog runs for longer than a claim lasts: each claim it makes
    holds for CLAIM from when it is made, not from when the pass began, or a second worker
    takes the events this one is sending and posts them again."""
    first, second = await people(db, 2)
    await write_events(db, clock, [first, second], 1)
    posted: list[int] = []
    also_posted: list[int] = []

    async def other_worker(request: httpx.Request) -> httpx.Response:
        also_posted.append(json.loads(request.content)["sequence"])
        return httpx.Response(200)

    async def slow_service(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content)["sequence"])
        if len(posted) == 2:
            # Three minutes into the pass, a second worker runs its own.
            await deliver_events(
                session_factory,
                Webhook(url="http://events.test/", signing_key=KEY),
                clock(),
                transport=httpx.MockTransport(other_worker),
            )
        clock.advance(seconds=CLAIM.total_seconds() + 60)  # every answer takes 3 minutes
        return httpx.Response(200)

    report = await deliver_events(
        session_factory,
        Webhook(url="http://events.test/", signing_key=KEY),
        clock,
        batch_size=1,
        transport=httpx.MockTransport(slow_service),
    )

    assert report.delivered == 2
    assert len(posted) == 2
    assert also_posted == []
