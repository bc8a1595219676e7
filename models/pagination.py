"""Keyset pagination over (moment, id): every page costs one indexed range scan, however
deep, forwards or backwards. No OFFSET.

A list has an order (newest first unless `oldest_first`); a `Window` names the rows of
one page: `size` rows after a position in the list's order or, walking backwards, the
`size` rows just before it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from models import display

RowT = TypeVar("RowT")


@dataclass(frozen=True, slots=True)
class KeysetPosition:
    created_at: datetime
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Window:
    size: int
    position: KeysetPosition | None = None
    backwards: bool = False


@dataclass(frozen=True, slots=True)
class KeysetPage(Generic[RowT]):
    """The rows of a window in the list's order, and whether more lie beyond it in the
    direction of the walk."""

    rows: Sequence[RowT]
    has_more: bool


def walk(
    moment: Any, id_: Any, window: Window, *, oldest_first: bool = False
) -> tuple[ColumnElement[bool] | None, tuple[Any, Any]]:
    """The condition that starts the walk at the window's position, and the order of the
    walk: the list's order, reversed when walking backwards."""
    descending = oldest_first == window.backwards
    condition = None
    if window.position is not None:
        key = tuple_(moment, id_)
        position = (window.position.created_at, window.position.id)
        condition = key < position if descending else key > position
    order = (moment.desc(), id_.desc()) if descending else (moment.asc(), id_.asc())
    return condition, order


def page_of(walked: Sequence[RowT], window: Window) -> KeysetPage[RowT]:
    """The page of the first `size + 1` rows of a walk: the one beyond tells whether
    more follow; a backward walk is put back in the list's order."""
    rows = list(walked[: window.size])
    if window.backwards:
        rows.reverse()
    return KeysetPage(rows=rows, has_more=len(walked) > window.size)


async def keyset_page(
    session: AsyncSession,
    statement: Select[Any],
    moment: InstrumentedAttribute[Any],
    id_: InstrumentedAttribute[Any],
    window: Window,
    *,
    oldest_first: bool = False,
) -> KeysetPage[RowT]:
    """The rows of `statement` in `window`, in one statement."""
    condition, order = walk(moment, id_, window, oldest_first=oldest_first)
    if condition is not None:
        statement = statement.where(condition)
    statement = statement.order_by(*order).limit(window.size + 1)
    return page_of(await display.scalars(session, statement, built_once=False), window)
