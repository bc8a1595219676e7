"""Delivering privacy events to the platform's services (`xiamo-gateway events deliver`).

At least once, in order per account, across restarts and with several workers:

- A pass claims, in one short transaction, the oldest undelivered event of each account
  whose earlier events are all delivered (the head of its queue), holding it for
  CLAIM (FOR UPDATE SKIP LOCKED on PostgreSQL, so workers never claim the same row);
  nothing behind an undelivered event is ever claimed, so an account's events leave in
  order.
- Each claimed event is POSTed as JSON to the webhook, signed with HMAC-SHA256 over the
  exact body (`X-Xiamo-Signature: sha256=<hex>`), with its id as `Idempotency-Key`. A
  2xx answer marks it delivered; anything else (or no answer) schedules a retry after
  a backoff (5 s, doubling, at most 10 minutes), for as long as it takes: an event is
  never dropped, and the account's later events wait behind it.
- A worker that stops mid-way leaves its claims to lapse; the next worker sends those
  events again with the same id. A receiver therefore acts once per id.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import aliased

from models import PrivacyEvent
from models.database import SerializedSession
from models.queries import claim, record_attempt
from models.unit_of_work import RequestScope

CLAIM = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=5)
LAST_RETRY = timedelta(minutes=10)
BATCH_SIZE = 100
SIGNATURE_HEADER = "X-Xiamo-Signature"


@dataclass(frozen=True)
class Webhook:
    url: str
    signing_key: bytes
    timeout: float = 10.0


@dataclass
class EventReport:
    delivered: int = 0
    retried: int = 0

    @property
    def handled(self) -> int:
        return self.delivered + self.retried


def retry_delay(attempts: int) -> timedelta:
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, LAST_RETRY)


def envelope(event: PrivacyEvent) -> dict[str, Any]:
    """What the webhook receives for one event."""
    return {
        "id": str(event.event_id),
        "type": event.type,
        "sequence": event.sequence,
        "occurredAt": event.created_at.isoformat(),
        "accountId": event.payload.get("accountId"),
        "data": event.payload.get("data", {}),
    }


def signature(body: bytes, key: bytes) -> str:
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


async def _claim(scope: RequestScope, now: datetime, batch_size: int) -> list[PrivacyEvent]:
    db = scope.session
    earlier = aliased(PrivacyEvent)
    async with scope.unit_of_work():
        heads = (
            select(PrivacyEvent.sequence)
            .where(
                PrivacyEvent.delivered_at.is_(None),
                PrivacyEvent.next_attempt_at <= now,
                or_(PrivacyEvent.claimed_until.is_(None), PrivacyEvent.claimed_until <= now),
                ~exists().where(
                    and_(
                        earlier.account_id == PrivacyEvent.account_id,
                        earlier.sequence < PrivacyEvent.sequence,
                        earlier.delivered_at.is_(None),
                    )
                ),
            )
            .order_by(PrivacyEvent.sequence)
            .limit(batch_size)
            .with_for_update(skip_locked=True, of=PrivacyEvent)
        )
        sequences = list((await db.scalars(heads)).all())
        return await claim(db, PrivacyEvent.sequence, sequences, now + CLAIM, PrivacyEvent.sequence)


async def _post(client: httpx.AsyncClient, webhook: Webhook, event: PrivacyEvent) -> str | None:
    """None when the webhook took the event; else why not (no personal data in it)."""
    body = orjson.dumps(envelope(event))
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(body, webhook.signing_key),
        "Idempotency-Key": str(event.event_id),
        "X-Xiamo-Event-Type": event.type,
    }
    try:
        response = await client.post(webhook.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__} while reaching the webhook"
    if not response.is_success:
        return f"the webhook answered HTTP {response.status_code}"
    return None


async def deliver_events(
    session_factory: async_sessionmaker[SerializedSession],
    webhook: Webhook,
    now: datetime | Callable[[], datetime],
    *,
    batch_size: int = BATCH_SIZE,
    transport: httpx.AsyncBaseTransport | None = None,
) -> EventReport:
    """Deliver what is due, batch after batch, until nothing is left to claim.

    `now` is a moment, or a clock read afresh for every batch and every answer: a pass
    that drains a backlog outlasts CLAIM, and a claim dated from the start of the pass
    would have lapsed for every other worker while this one still sends its events.
    """
    clock: Callable[[], datetime] = now if callable(now) else (lambda: now)
    report = EventReport()
    async with (
        RequestScope(session_factory) as scope,
        httpx.AsyncClient(
            timeout=httpx.Timeout(webhook.timeout), transport=transport, follow_redirects=False
        ) as client,
    ):
        while claimed := await _claim(scope, clock(), batch_size):
            for event in claimed:
                problem = await _post(client, webhook, event)
                answered_at = clock()
                values: dict[str, object] = {"claimed_until": None}
                if problem is None:
                    values |= {"delivered_at": answered_at, "attempts": event.attempts + 1}
                    report.delivered += 1
                else:
                    attempts = event.attempts + 1
                    values |= {
                        "attempts": attempts,
                        "last_error": problem[:200],
                        "next_attempt_at": answered_at + retry_delay(attempts),
                    }
                    report.retried += 1
                async with scope.unit_of_work():
                    key = PrivacyEvent.sequence
                    await record_attempt(scope.session, key, event.sequence, values)
    return report
