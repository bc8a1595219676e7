"""Deleting what outlived its category's retention (`xiamo-gateway retention run`).

Every inventory category the gateway holds rows of has rules here: which rows, aged by
which moment (a search by when it was made, a session by when it ended, a student
verification by its graduation date, a request by when it was closed), against the
category's `retentionDays`. Categories without days are kept while the account exists
and go with it.

Works on tables of any size without loading them: each batch is one DELETE of at most
`batch_size` rows chosen by a sub-select, committed on its own. Running twice, or twice
at once, is safe: a row deleted by one run is simply not found by the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    OPEN_STATUSES,
    AuthSession,
    DataRequest,
    DeliveryStatus,
    EmailConfirmation,
    IncidentDelivery,
    LoginEvent,
    Notification,
    OAuthState,
    PrivacyEvent,
    QueuedMessage,
    RealNameVerification,
    RetainedLog,
    SearchEntry,
    SmsCode,
    StudentVerification,
    VerificationStatus,
)
from resolvers.privacy.inventory import Inventory

BATCH_SIZE = 5000


def _created(model: Any) -> Any:
    return model.created_at


def _no_more(model: Any) -> list[Any]:
    return []


@dataclass(frozen=True)
class RetentionRule:
    """Rows of `model` belong to the inventory category `category`; those `where` selects
    go once `age` (a timestamp, or a date with `by_date`) is older than the category's
    retention."""

    category: str
    model: type[Any]
    age: Callable[[Any], Any] = _created
    where: Callable[[Any], list[Any]] = _no_more
    by_date: bool = False


def _session_end(model: Any) -> Any:
    # A revoked session ended when it was revoked; any other when its refresh token lapsed.
    return func.coalesce(model.revoked_at, model.refresh_expires_at)


def _rejected(model: Any) -> list[Any]:
    return [model.status == VerificationStatus.REJECTED]


RULES = (
    RetentionRule("search_history", SearchEntry),
    RetentionRule("device_and_access_logs", LoginEvent),
    RetentionRule("device_and_access_logs", AuthSession, age=_session_end),
    RetentionRule("one_time_codes", SmsCode),
    RetentionRule("one_time_codes", OAuthState),
    RetentionRule("one_time_codes", EmailConfirmation),
    RetentionRule("real_name", RealNameVerification, age=lambda m: m.submitted_at, where=_rejected),
    RetentionRule("student", StudentVerification, age=lambda m: m.graduates_on, by_date=True),
    RetentionRule("student", StudentVerification, age=lambda m: m.submitted_at, where=_rejected),
    RetentionRule(
        "notifications",
        Notification,
        age=lambda m: m.read_at,
        where=lambda m: [m.read_at.is_not(None)],
    ),
    RetentionRule(
        "notifications",
        QueuedMessage,
        where=lambda m: [
            or_(
                m.status == DeliveryStatus.FAILED,
                # A sent incident notice's message is its delivery record's proof that the
                # person was told: it stays with that record while the account exists
                # (without its recipient, erased when it was sent). A failed one reads
                # FAILED with or without its message, and goes with its phone or address.
                and_(
                    m.status == DeliveryStatus.SENT,
                    ~exists().where(IncidentDelivery.queued_message_id == m.id),
                ),
            )
        ],
    ),
    RetentionRule(
        "rights_requests",
        DataRequest,
        age=lambda m: m.resolved_at,
        where=lambda m: [m.status.not_in(OPEN_STATUSES), m.resolved_at.is_not(None)],
    ),
    RetentionRule(
        "privacy_events",
        PrivacyEvent,
        age=lambda m: m.delivered_at,
        where=lambda m: [m.delivered_at.is_not(None)],
    ),
    RetentionRule("cancelled_account_logs", RetainedLog, age=lambda m: m.retained_at),
)


def _outlived(rule: RetentionRule, cutoff: datetime) -> list[Any]:
    limit: Any = cutoff.date() if rule.by_date else cutoff
    return [rule.age(rule.model) < limit, *rule.where(rule.model)]


def _key(model: Any) -> Any:
    return model.__mapper__.primary_key[0]


async def _count(session: AsyncSession, rule: RetentionRule, cutoff: datetime) -> int:
    statement = select(func.count()).select_from(rule.model).where(*_outlived(rule, cutoff))
    return await session.scalar(statement) or 0


async def _delete_batches(
    session: AsyncSession, rule: RetentionRule, cutoff: datetime, batch_size: int
) -> int:
    key = _key(rule.model)
    deleted = 0
    while True:
        batch = select(key).where(*_outlived(rule, cutoff)).limit(batch_size).scalar_subquery()
        result = await session.execute(
            delete(rule.model).where(key.in_(batch)).execution_options(synchronize_session=False)
        )
        await session.commit()
        count = int(result.rowcount)  # type: ignore[attr-defined]
        deleted += count
        if count < batch_size:
            return deleted


async def run_retention(
    session: AsyncSession,
    inventory: Inventory,
    now: datetime,
    *,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> dict[str, int]:
    """Rows deleted (or, with `dry_run`, that would be) per inventory category."""
    counts: dict[str, int] = {}
    for rule in RULES:
        days = inventory.category(rule.category).retention_days
        if days is None:
            continue
        cutoff = now - timedelta(days=days)
        if dry_run:
            found = await _count(session, rule, cutoff)
        else:
            found = await _delete_batches(session, rule, cutoff, batch_size)
        counts[rule.category] = counts.get(rule.category, 0) + found
    return counts
