"""Keyset pagination and cursors, on real rows."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.errors import BadUserInput
from models import Account, AccountKind
from models.pagination import keyset_page
from resolvers.pagination import check_first, decode_cursor, encode_cursor, page_from_keyset
from tests.factories import create_account


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
    statement = select(Account).where(Account.enterprise_id == enterprise.id)

    seen: list[Account] = []
    after: str | None = None
    pages = 0
    while True:
        position = decode_cursor(after) if after else None
        keyset = await keyset_page(
            db, statement, Account.created_at, Account.id, first=3, after=position
        )
        page = page_from_keyset(keyset, after=after)
        seen.extend(edge.node for edge in page.edges)
        pages += 1
        assert page.has_previous_page is (after is not None)
        if not page.has_next_page:
            break
        after = page.edges[-1].cursor

    assert [m.id for m in seen] == [m.id for m in expected]
    assert pages == 3


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


@pytest.mark.parametrize(("first", "expected"), [(None, 20), (1, 1), (100, 100)])
def test_first_within_bounds(first: int | None, expected: int) -> None:
    assert check_first(first) == expected


@pytest.mark.parametrize("first", [0, -1, 101])
def test_first_out_of_bounds_is_bad_user_input(first: int) -> None:
    with pytest.raises(BadUserInput) as raised:
        check_first(first)

    assert raised.value.message == "`first` must be between 1 and 100."
