"""Opaque cursors and the `first` limit shared by every connection."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson

from auth.errors import BadUserInput
from models.pagination import KeysetPage, KeysetPosition

MAX_PAGE_SIZE = 100
ItemT = TypeVar("ItemT")


def encode_cursor(position: KeysetPosition) -> str:
    payload = orjson.dumps([position.created_at.isoformat(), position.id.hex])
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(cursor: str) -> KeysetPosition:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, id_hex = orjson.loads(base64.urlsafe_b64decode(padded))
        position = KeysetPosition(datetime.fromisoformat(created_at), uuid.UUID(hex=id_hex))
    except (binascii.Error, ValueError, TypeError, OverflowError) as exc:
        raise BadUserInput("`after` is not a cursor this API issued.") from exc
    if position.created_at.tzinfo is None:
        raise BadUserInput("`after` is not a cursor this API issued.")
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
