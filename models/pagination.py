"""Keyset pagination over (created_at, id), newest first.

Every page costs one indexed range scan, however deep: no OFFSET.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

RowT = TypeVar("RowT")


@dataclass(frozen=True, slots=True)
class KeysetPosition:
    created_at: datetime
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class KeysetPage(Generic[RowT]):
    rows: Sequence[RowT]
    has_next: bool


async def keyset_page(
    session: AsyncSession,
    statement: Select[Any],
    created_at: InstrumentedAttribute[Any],
    id_: InstrumentedAttribute[Any],
    *,
    first: int,
    after: KeysetPosition | None,
    oldest_first: bool = False,
) -> KeysetPage[RowT]:
    """Up to `first` rows after `after`, newest first (or oldest first), and whether more
    follow."""
    if after is not None:
        position = (after.created_at, after.id)
        key = tuple_(created_at, id_)
        statement = statement.where(key > position if oldest_first else key < position)
    if oldest_first:
        statement = statement.order_by(created_at, id_)
    else:
        statement = statement.order_by(created_at.desc(), id_.desc())
    statement = statement.limit(first + 1)
    rows: list[RowT] = list((await session.scalars(statement)).all())
    return KeysetPage(rows=rows[:first], has_next=len(rows) > first)
