"""Deleting what outlived its category's retention (`xiamo-gateway retention run`).

Works on tables of any size without loading them: each batch is one DELETE of at most
`batch_size` rows chosen by a sub-select on the (indexed) timestamp, committed on its
own. Running twice, or twice at once, is safe: a row deleted by one run is simply not
found by the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import EmailCode, EmailConfirmation, LoginEvent, OAuthState, SearchEntry, SmsCode
from resolvers.privacy.inventory import Inventory

BATCH_SIZE = 5000


@dataclass(frozen=True)
class RetentionRule:
    """Rows of `model` belong to the inventory category `category`, aged by `timestamp`."""

    category: str
    model: type[Any]
    timestamp: str = "created_at"


RULES = (
    RetentionRule("search_history", SearchEntry),
    RetentionRule("device_and_access_logs", LoginEvent),
    RetentionRule("one_time_codes", SmsCode),
    RetentionRule("one_time_codes", OAuthState),
    RetentionRule("one_time_codes", EmailConfirmation),
    RetentionRule("one_time_codes", EmailCode),
)


async def _count(session: AsyncSession, rule: RetentionRule, cutoff: datetime) -> int:
    column = getattr(rule.model, rule.timestamp)
    statement = select(func.count()).select_from(rule.model).where(column < cutoff)
    return await session.scalar(statement) or 0


async def _delete_batches(
    session: AsyncSession, rule: RetentionRule, cutoff: datetime, batch_size: int
) -> int:
    column = getattr(rule.model, rule.timestamp)
    deleted = 0
    while True:
        batch = select(rule.model.id).where(column < cutoff).limit(batch_size).scalar_subquery()
        result = await session.execute(
            delete(rule.model)
            .where(rule.model.id.in_(batch))
            .execution_options(synchronize_session=False)
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
