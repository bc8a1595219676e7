"""Keyset pagination and cursors, on real rows."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.errors import BadUserInput
from models import Account, AccountKind
from models.pagination import Window
from resolvers.pagination import (
    StatementListing,
    decode_cursor,
    encode_cursor,
    page,
    page_window,
)
from tests.support.factories import create_account


async def test_pages_walk_newest_first_without_gaps_or_repeats(db: AsyncSession) -> None:
    enterprise = await create_account(db, kind=AccountKind.ENTERPRISE, company_name="E")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # Two share a timestamp: the id breaks the tie.
    times = [start, start + timedelta(seconds=1), start + timedelta(seconds=1)]
    times += [start + timedelta(seconds=n) for n in range(2, 6)]
    members = [
        await create_account(
            db, kind=AccountKind.SUB_ACCOUNT, enterprise=enterprise, created_at=moment
        )
        for moment in times
    ]
    expected = sorted(members, key=lambda m: (m.created_at, m.id), reverse=True)
    statement = select(Account).where(Account.enterprise_id == bindparam("enterprise_id"))

    listing: StatementListing[Account] = StatementListing(
        db, statement, {"enterprise_id": enterprise.id}, Account.created_at, Account.id
    )

    seen: list[Account] = []
    after: str | None = None
    pages = 0
    while True:
        found = await page(listing, page_window(first=3, after=after, last=None, before=None))
        seen.extend(found.rows)
        pages += 1
        assert found.has_previous_page is (after is not None)
        if not found.has_next_page:
            break
        after = found.cursors[-1]
    assert [m.id for m in seen] == [m.id for m in expected]
    assert pages == 3
    assert await listing.count() == 7

    # Backwards from the end, the same rows come in the same order, page by page.
    walked_back: list[Account] = []
    before: str | None = None
    while True:
        window = page_window(first=None, after=None, last=3, before=before)
        found = await page(listing, window)
        walked_back[:0] = found.rows
        assert found.has_next_page is (before is not None)
        if not found.has_previous_page:
            break
        before = found.cursors[0]

    assert [m.id for m in walked_back] == [m.id for m in expected]


def test_cursors_are_opaque_and_round_trip() -> None:
    import uuid

    from models.pagination import KeysetPosition

    position = KeysetPosition(datetime(2026, 5, 1, 8, 0, tzinfo=UTC), uuid.uuid4())
    cursor = encode_cursor(position)

    assert str(position.id) not in cursor
    assert decode_cursor(cursor) == position


def _forged(moment: str, id_hex: object = "0" * 32, *, pad: bool = False) -> str:
    """A cursor built by hand, as an attacker would."""
    encoded = base64.urlsafe_b64encode(orjson.dumps([moment, id_hex])).decode()
    return encoded if pad else encoded.rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "abc",
        "W10",
        "WyJ4IiwgInkiXQ",
        pytest.param(_forged("0001-01-01T00:00:00+14:00"), id="moment-before-year-1-in-utc"),
        pytest.param(_forged("9999-12-31T23:59:59-14:00"), id="moment-after-year-9999-in-utc"),
        pytest.param(_forged("2026-05-01T08:00:00+08:00"), id="another-time-zone"),
        pytest.param(_forged("2026-05-01T08:00:00"), id="no-time-zone"),
        pytest.param(_forged("2026-05-01T08:00:00+00:00", 7), id="id-not-text"),
        pytest.param(_forged("2026-05-01T08:00:00+00:00", pad=True), id="padded"),
        pytest.param("W" * 129, id="too-long"),
    ],
)
def test_a_foreign_cursor_is_bad_user_input(cursor: str) -> None:
    with pytest.raises(BadUserInput) as raised:
        decode_cursor(cursor)

    assert raised.value.message == "`after` is not a cursor this API issued."


def test_a_foreign_before_cursor_names_before() -> None:
    with pytest.raises(BadUserInput) as raised:
        page_window(first=None, after=None, last=2, before="abc")

    assert raised.value.message == "`before` is not a cursor this API issued."


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (None, None, Window(20)),
        (1, None, Window(1)),
        (100, None, Window(100)),
        (None, 1, Window(1, backwards=True)),
        (None, 100, Window(100, backwards=True)),
    ],
)
def test_sizes_within_bounds(first: int | None, last: int | None, expected: Window) -> None:
    assert page_window(first=first, after=None, last=last, before=None) == expected


@pytest.mark.parametrize(
    ("argument", "size"), [("first", 0), ("first", -1), ("first", 101), ("last", 0), ("last", 101)]
)
def test_sizes_out_of_bounds_are_bad_user_input(argument: str, size: int) -> None:
    sizes = {"first": None, "last": None, argument: size}
    with pytest.raises(BadUserInput) as raised:
        page_window(first=sizes["first"], after=None, last=sizes["last"], before=None)

    assert raised.value.message == f"`{argument}` must be between 1 and 100."


def test_forwards_and_backwards_do_not_mix() -> None:
    with pytest.raises(BadUserInput) as raised:
        page_window(first=2, after=None, last=2, before=None)

    assert raised.value.message == (
        "Page forwards with `first` and `after` or backwards with `last` and `before`, not both."
    )
