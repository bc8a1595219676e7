"""Opaque cursors and the `first` limit shared by every connection."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import orjson

from auth.errors import BadUserInput
from models.pagination import KeysetPage, KeysetPosition

MAX_PAGE_SIZE = 100
MAX_CURSOR_LENGTH = 128
NOT_A_CURSOR = "`after` is not a cursor this API issued."
ItemT = TypeVar("ItemT")


def encode_cursor(position: KeysetPosition) -> str:
    payload = orjson.dumps([position.created_at.isoformat(), position.id.hex])
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(cursor: str) -> KeysetPosition:
    """The position of a cursor, or BAD_USER_INPUT: the one place a cursor from a client
    is read. Only the exact form `encode_cursor` writes is accepted, so a forged
    position (another time zone, a moment outside the range the database stores) never
    reaches a query."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise BadUserInput(NOT_A_CURSOR)
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
        raise BadUserInput(NOT_A_CURSOR) from exc
    if encode_cursor(position) != cursor:
        raise BadUserInput(NOT_A_CURSOR)
    return position


def check_first(first: int | None, *, default: int = 20) -> int:
    if first is None:
        return default
    if first < 1 or first > MAX_PAGE_SIZE:
        raise BadUserInput(f"`first` must be between 1 and {MAX_PAGE_SIZE}.")
    return first


@dataclass(frozen=True, slots=True)
class Edge(Generic[ItemT]):
    node: ItemT
    cursor: str


@dataclass(frozen=True, slots=True)
class Page(Generic[ItemT]):
    """One page of a connection, cursors already encoded."""

    edges: list[Edge[ItemT]]
    has_next_page: bool
    has_previous_page: bool
    total_count: int | None = None


def by_creation(row: Any) -> KeysetPosition:
    return KeysetPosition(row.created_at, row.id)


def page_from_keyset(
    page: KeysetPage[ItemT],
    *,
    after: str | None,
    total_count: int | None = None,
    position: Callable[[ItemT], KeysetPosition] = by_creation,
) -> Page[ItemT]:
    """The page with a cursor on each edge; `position` names the keyset columns."""
    edges = [Edge(node=row, cursor=encode_cursor(position(row))) for row in page.rows]
    return Page(
        edges=edges,
        has_next_page=page.has_next,
        has_previous_page=after is not None,
        total_count=total_count,
    )
