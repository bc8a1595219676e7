"""Keyset pagination over (moment, id): every page costs one indexed range scan, however
deep, forwards or backwards. No OFFSET.

A list has an order (newest first unless `oldest_first`); a `Window` names the rows of
one page: `size` rows after a position in the list's order or, walking backwards, the
`size` rows just before it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, bindparam, func, tuple_
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


# The parameters of a walk: its position (a moment and an id) and how many rows it reads.
AT = "keyset_at"
ID = "keyset_id"
SIZE = "keyset_size"


def walk(
    moment: Any, id_: Any, *, descending: bool, positioned: bool
) -> tuple[ColumnElement[bool] | None, tuple[Any, Any]]:
    """The condition that starts a walk past a position (the parameters `AT` and `ID`),
    and the order of the walk. Made from the walk's direction and whether it starts
    inside the list, never from its values: one statement serves every position."""
    condition = None
    if positioned:
        key = tuple_(moment, id_)
        position = tuple_(bindparam(AT, type_=moment.type), bindparam(ID, type_=id_.type))
        condition = key < position if descending else key > position
    order = (moment.desc(), id_.desc()) if descending else (moment.asc(), id_.asc())
    return condition, order


def descending(window: Window, *, oldest_first: bool = False) -> bool:
    """Whether the window walks the list newest first: its order, reversed backwards."""
    return oldest_first == window.backwards


def walk_parameters(window: Window) -> dict[str, Any]:
    """The values of a window's walk: its position, and its size and one more row (the
    one beyond tells whether more follow)."""
    values: dict[str, Any] = {SIZE: window.size + 1}
    if window.position is not None:
        values[AT] = window.position.created_at
        values[ID] = window.position.id
    return values


def page_of(walked: Sequence[RowT], window: Window) -> KeysetPage[RowT]:
    """The page of the first `size + 1` rows of a walk: the one beyond tells whether
    more follow; a backward walk is put back in the list's order."""
    rows = list(walked[: window.size])
    if window.backwards:
        rows.reverse()
    return KeysetPage(rows=rows, has_more=len(walked) > window.size)


# What each listing statement is walked and counted by: a few per statement, and the
# statements are built once (per shape of their filters).
_derived: dict[tuple[Any, ...], Select[Any]] = {}
MAX_DERIVED = 500


def _derive(key: tuple[Any, ...], make: Callable[[], Select[Any]]) -> Select[Any]:
    derived = _derived.get(key)
    if derived is None:
        if len(_derived) >= MAX_DERIVED:
            raise RuntimeError("too many listing statements: build each once, per shape")
        derived = _derived[key] = make()
    return derived


def _walked(
    statement: Select[Any], moment: Any, id_: Any, *, descending: bool, positioned: bool
) -> Select[Any]:
    def make() -> Select[Any]:
        condition, order = walk(moment, id_, descending=descending, positioned=positioned)
        walked = statement if condition is None else statement.where(condition)
        return walked.order_by(*order).limit(bindparam(SIZE, type_=Integer))

    return _derive((statement, moment.class_, moment.key, id_.key, descending, positioned), make)


def count_of(statement: Select[Any]) -> Select[Any]:
    """count(*) straight over a listing statement's conditions, not over a subquery of
    every column: PostgreSQL answers it from an index alone where one holds every column
    the conditions name. The statement's FROM stays even when no condition names its
    table (an unfiltered list)."""
    return statement.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)


async def count(
    session: AsyncSession, statement: Select[Any], parameters: Mapping[str, Any]
) -> int:
    """How many rows `statement` (built once) has with `parameters`."""
    counted = _derive((statement, "count"), lambda: count_of(statement))
    (found,) = await display.scalars(session, counted, parameters)
    return int(found)


async def keyset_page(
    session: AsyncSession,
    statement: Select[Any],
    parameters: Mapping[str, Any],
    moment: InstrumentedAttribute[Any],
    id_: InstrumentedAttribute[Any],
    window: Window,
    *,
    oldest_first: bool = False,
) -> KeysetPage[RowT]:
    """The rows of `statement` with `parameters` in `window`, in one statement.

    `statement` is built once and its values are parameters: its walks are made once
    and sent as SQL compiled once (models/display.py)."""
    walked = _walked(
        statement,
        moment,
        id_,
        descending=descending(window, oldest_first=oldest_first),
        positioned=window.position is not None,
    )
    found = await display.scalars(session, walked, {**parameters, **walk_parameters(window)})
    return page_of(found, window)
