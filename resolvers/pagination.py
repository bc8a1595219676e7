"""What a connection pages through: opaque cursors, the window a client asks for, and
the lists (already authorised) that answer a window and a count.

A list is newest first unless it says otherwise. `first`/`after` walk it forwards,
`last`/`before` backwards; a page never mixes the two.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

import orjson
from aiodataloader import DataLoader
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from auth.errors import BadUserInput
from models.pagination import KeysetPage, KeysetPosition, Window, count, keyset_page

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_CURSOR_LENGTH = 128
RowT = TypeVar("RowT")


def encode_cursor(position: KeysetPosition) -> str:
    payload = orjson.dumps([position.created_at.isoformat(), position.id.hex])
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(cursor: str, argument: str = "after") -> KeysetPosition:
    """The position of a cursor, or BAD_USER_INPUT: the one place a cursor from a client
    is read. Only the exact form `encode_cursor` writes is accepted, so a forged
    position (another time zone, a moment outside the range the database stores) never
    reaches a query."""
    refusal = f"`{argument}` is not a cursor this API issued."
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise BadUserInput(refusal)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, id_hex = orjson.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(created_at, str) or not isinstance(id_hex, str):
            raise TypeError("a cursor holds two strings")
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("a cursor's moment carries its offset")
        position = KeysetPosition(moment.astimezone(UTC), uuid.UUID(hex=id_hex))
    except (binascii.Error, ValueError, TypeError, OverflowError) as exc:
        raise BadUserInput(refusal) from exc
    if encode_cursor(position) != cursor:
        raise BadUserInput(refusal)
    return position


def _size(value: int | None, argument: str) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if value < 1 or value > MAX_PAGE_SIZE:
        raise BadUserInput(f"`{argument}` must be between 1 and {MAX_PAGE_SIZE}.")
    return value


def page_window(
    *, first: int | None, after: str | None, last: int | None, before: str | None
) -> Window:
    """The window a client asks for: forwards by `first`/`after` (20 when nothing is
    given), backwards by `last`/`before`; BAD_USER_INPUT for a mix of the two."""
    if last is None and before is None:
        position = decode_cursor(after, "after") if after is not None else None
        return Window(_size(first, "first"), position)
    if first is not None or after is not None:
        raise BadUserInput(
            "Page forwards with `first` and `after` or backwards with `last` and `before`, "
            "not both."
        )
    position = decode_cursor(before, "before") if before is not None else None
    return Window(_size(last, "last"), position, backwards=True)


def by_creation(row: Any) -> KeysetPosition:
    return KeysetPosition(row.created_at, row.id)


@dataclass(frozen=True, slots=True)
class Page(Generic[RowT]):
    """One page: its rows in the list's order, each with its cursor."""

    rows: Sequence[RowT]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


class Listing(Protocol[RowT]):
    """A list a viewer may read, which answers any window of it and its length."""

    async def window(self, window: Window) -> KeysetPage[RowT]: ...

    async def count(self) -> int: ...

    def position(self, row: RowT) -> KeysetPosition: ...


async def page(listing: Listing[RowT], window: Window) -> Page[RowT]:
    keyset = await listing.window(window)
    started_inside = window.position is not None
    return Page(
        rows=keyset.rows,
        cursors=[encode_cursor(listing.position(row)) for row in keyset.rows],
        has_next_page=started_inside if window.backwards else keyset.has_more,
        has_previous_page=keyset.has_more if window.backwards else started_inside,
    )


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One owner's window of a keyset-paged list."""

    owner_id: uuid.UUID
    window: Window


@dataclass(frozen=True, slots=True)
class OwnedListing(Generic[RowT]):
    """One account's rows of a list the request's loaders page for many accounts at once:
    N accounts' pages cost one statement, and their counts another."""

    pages: DataLoader[PageRequest, KeysetPage[RowT]]
    counts: DataLoader[uuid.UUID, int]
    owner_id: uuid.UUID
    position: Callable[[RowT], KeysetPosition] = by_creation

    async def window(self, window: Window) -> KeysetPage[RowT]:
        found: KeysetPage[RowT] = await self.pages.load(PageRequest(self.owner_id, window))
        return found

    async def count(self) -> int:
        counted: int = await self.counts.load(self.owner_id)
        return counted


@dataclass(frozen=True, slots=True)
class StatementListing(Generic[RowT]):
    """The rows of one statement with its parameters, ordered by (moment, id). The
    statement is built once (per shape of its filters), its values are parameters."""

    session: AsyncSession
    statement: Select[Any]
    parameters: Mapping[str, Any]
    moment: InstrumentedAttribute[Any]
    id_: InstrumentedAttribute[Any]
    position: Callable[[RowT], KeysetPosition] = by_creation
    oldest_first: bool = False
    # Called with each page's rows (to prime the request's loaders with them).
    seen: Callable[[Sequence[RowT]], None] | None = None

    async def window(self, window: Window) -> KeysetPage[RowT]:
        found: KeysetPage[RowT] = await keyset_page(
            self.session,
            self.statement,
            self.parameters,
            self.moment,
            self.id_,
            window,
            oldest_first=self.oldest_first,
        )
        if self.seen is not None:
            self.seen(found.rows)
        return found

    async def count(self) -> int:
        return await count(self.session, self.statement, self.parameters)
