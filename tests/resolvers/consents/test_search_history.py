"""`recordSearch`, `searchHistory` and `clearSearchHistory` over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models import SearchEntry
from tests.conftest import Clock
from tests.helpers import graphql
from tests.support.assertions import USER_ERRORS, error
from tests.support.viewers import SignedIn, Viewers

RECORD_SEARCH = f"""
mutation($query: String!) {{
  recordSearch(input: {{ query: $query }}) {{ recorded {USER_ERRORS} }}
}}
"""
CLEAR_SEARCH_HISTORY = f"mutation {{ clearSearchHistory {{ ok {USER_ERRORS} }} }}"
SET_CONSENT = f"""
mutation($granted: Boolean!) {{
  setConsent(input: {{ purpose: SEARCH_HISTORY, granted: $granted }}) {{
    consent {{ granted }} {USER_ERRORS}
  }}
}}
"""
SEARCH_HISTORY = """
query($first: Int, $after: String) {
  viewer { account { searchHistory(first: $first, after: $after) {
    edges { node { query at } cursor }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  } } }
}
"""
INVALID_QUERY = error("INVALID_INPUT", "A search has 1 to 200 characters.", "query")
TOO_LONG_QUERY = error("INVALID_INPUT", "Give 1 to 200 characters.", "query")


async def record(client: httpx.AsyncClient, who: SignedIn | None, query: str) -> dict[str, Any]:
    return await graphql(client, RECORD_SEARCH, {"query": query}, token=who.token if who else None)


async def grant(client: httpx.AsyncClient, who: SignedIn, granted: bool = True) -> None:
    body = await graphql(client, SET_CONSENT, {"granted": granted}, token=who.token)
    assert body["data"]["setConsent"] == {"consent": {"granted": granted}, "userErrors": []}


async def history(
    client: httpx.AsyncClient, who: SignedIn, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    variables: dict[str, Any] = {"after": after}
    if first is not None:
        variables["first"] = first
    body = await graphql(client, SEARCH_HISTORY, variables, token=who.token)
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["viewer"]["account"]["searchHistory"]
    return connection


def queries_of(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["query"] for edge in connection["edges"]]


async def stored(db: AsyncSession, account_id: uuid.UUID) -> int:
    statement = (
        select(func.count()).select_from(SearchEntry).where(SearchEntry.account_id == account_id)
    )
    return int(await db.scalar(statement) or 0)


RECORDED = {"data": {"recordSearch": {"recorded": True, "userErrors": []}}}
NOT_RECORDED = {"data": {"recordSearch": {"recorded": False, "userErrors": []}}}


# --- recording only with consent ---------------------------------------------------------


async def test_nothing_is_stored_without_consent(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession
) -> None:
    me = await viewers.person()

    body = await record(client, me, "poster templates")

    assert body == NOT_RECORDED
    assert await stored(db, me.me.id) == 0
    assert queries_of(await history(client, me)) == []


async def test_a_search_is_stored_while_consent_is_granted(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession
) -> None:
    me = await viewers.person()
    await grant(client, me)

    body = await record(client, me, "poster templates")

    assert body == RECORDED
    assert await stored(db, me.me.id) == 1
    connection = await history(client, me)
    assert [edge["node"] for edge in connection["edges"]] == [
        {"query": "poster templates", "at": clock().isoformat()}
    ]


async def test_the_stored_query_is_not_in_clear_in_the_database(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession
) -> None:
    me = await viewers.person()
    await grant(client, me)
    query = "海报模板 poster-templates-2024"

    await record(client, me, query)

    raw = (await db.execute(text("SELECT query FROM search_entries"))).scalars().all()
    assert len(raw) == 1
    blob = bytes(raw[0])
    assert query.encode() not in blob
    assert b"poster-templates" not in blob
    assert "海报".encode() not in blob


async def test_withdrawing_stops_recording_at_once_and_erases_past_searches(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession
) -> None:
    me = await viewers.person()
    await grant(client, me)
    await record(client, me, "before withdrawal")
    clock.advance(minutes=1)

    await grant(client, me, granted=False)
    body = await record(client, me, "after withdrawal")

    assert body == NOT_RECORDED
    assert await stored(db, me.me.id) == 0
    assert queries_of(await history(client, me)) == []


async def test_withdrawing_stops_recording_within_the_same_request(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession
) -> None:
    me = await viewers.person()
    await grant(client, me)

    body = await graphql(
        client,
        """
        mutation {
          before: recordSearch(input: { query: "first search" }) { recorded }
          withdraw: setConsent(input: { purpose: SEARCH_HISTORY, granted: false }) {
            consent { granted }
          }
          after: recordSearch(input: { query: "second search" }) { recorded }
        }
        """,
        token=me.token,
    )

    assert body == {
        "data": {
            "before": {"recorded": True},
            "withdraw": {"consent": {"granted": False}},
            "after": {"recorded": False},
        }
    }
    assert await stored(db, me.me.id) == 0


async def test_granting_again_resumes_recording(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock
) -> None:
    me = await viewers.person()
    await grant(client, me)
    await grant(client, me, granted=False)
    await record(client, me, "while withdrawn")
    clock.advance(minutes=1)
    await grant(client, me)

    body = await record(client, me, "granted again")

    assert body == RECORDED
    assert queries_of(await history(client, me)) == ["granted again"]


# --- input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "user_error"),
    [
        ("x" * 201, TOO_LONG_QUERY),
        ("搜" * 201, TOO_LONG_QUERY),
        ("", INVALID_QUERY),
        ("   ", INVALID_QUERY),
    ],
)
async def test_a_query_over_200_characters_or_blank_is_invalid(
    client: httpx.AsyncClient,
    viewers: Viewers,
    db: AsyncSession,
    query: str,
    user_error: dict[str, Any],
) -> None:
    me = await viewers.person()
    await grant(client, me)

    body = await record(client, me, query)

    assert body == {"data": {"recordSearch": {"recorded": False, "userErrors": [user_error]}}}
    assert await stored(db, me.me.id) == 0


async def test_a_query_over_200_characters_is_invalid_without_consent_too(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    me = await viewers.person()

    body = await record(client, me, "x" * 201)

    assert body == {"data": {"recordSearch": {"recorded": False, "userErrors": [TOO_LONG_QUERY]}}}


@pytest.mark.parametrize("query", ["x" * 200, "搜" * 200, "搜"])
async def test_1_to_200_characters_are_kept_whole(
    client: httpx.AsyncClient, viewers: Viewers, query: str
) -> None:
    me = await viewers.person()
    await grant(client, me)

    body = await record(client, me, query)

    assert body == RECORDED
    assert queries_of(await history(client, me)) == [query]


# --- reading and clearing ----------------------------------------------------------------


async def test_the_history_pages_newest_first(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock
) -> None:
    me = await viewers.person()
    await grant(client, me)
    for number in range(1, 6):
        clock.advance(seconds=10)
        assert await record(client, me, f"search {number}") == RECORDED

    first = await history(client, me, first=2)
    second = await history(client, me, first=2, after=first["pageInfo"]["endCursor"])
    third = await history(client, me, first=2, after=second["pageInfo"]["endCursor"])

    assert queries_of(first) == ["search 5", "search 4"]
    assert queries_of(second) == ["search 3", "search 2"]
    assert queries_of(third) == ["search 1"]
    assert [page["pageInfo"]["hasNextPage"] for page in (first, second, third)] == [
        True,
        True,
        False,
    ]
    assert [page["pageInfo"]["hasPreviousPage"] for page in (first, second, third)] == [
        False,
        True,
        True,
    ]
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    assert queries_of(await history(client, me)) == [f"search {n}" for n in range(5, 0, -1)]


async def test_clearing_empties_the_history_and_only_ones_own(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession
) -> None:
    me = await viewers.person()
    someone_else = await viewers.person(phone="13700000000")
    for who in (me, someone_else):
        await grant(client, who)
        await record(client, who, "search one")
        await record(client, who, "search two")

    body = await graphql(client, CLEAR_SEARCH_HISTORY, token=me.token)

    assert body == {"data": {"clearSearchHistory": {"ok": True, "userErrors": []}}}
    assert await stored(db, me.me.id) == 0
    assert await stored(db, someone_else.me.id) == 2
    assert queries_of(await history(client, me)) == []


async def test_clearing_an_empty_history_is_ok(client: httpx.AsyncClient, viewers: Viewers) -> None:
    me = await viewers.person()

    body = await graphql(client, CLEAR_SEARCH_HISTORY, token=me.token)

    assert body == {"data": {"clearSearchHistory": {"ok": True, "userErrors": []}}}


async def test_clearing_keeps_the_consent(client: httpx.AsyncClient, viewers: Viewers) -> None:
    me = await viewers.person()
    await grant(client, me)
    await record(client, me, "search one")
    await graphql(client, CLEAR_SEARCH_HISTORY, token=me.token)

    body = await record(client, me, "search two")

    assert body == RECORDED
    assert queries_of(await history(client, me)) == ["search two"]
