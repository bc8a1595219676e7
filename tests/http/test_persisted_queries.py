"""Automatic persisted queries (Apollo's protocol), over POST and GET, in memory and in
Redis, bounded in size."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.persisted_documents import MemoryDocumentStore, RedisDocumentStore, sha256_hex
from gateway.settings import Environment
from tests.conftest import ClientWith, make_settings
from tests.support.apps import client_of

QUERY = "query Typename { __typename }"
HASH = sha256_hex(QUERY)
APOLLO_CLIENT_4 = "application/graphql-response+json,application/json;q=0.9"
REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL")
NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


def persisted(sha256: str, version: object = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256}}


async def test_an_unknown_hash_answers_persisted_query_not_found(
    client: httpx.AsyncClient,
) -> None:
    for accept in (None, APOLLO_CLIENT_4):
        headers = {"Accept": accept} if accept else {}
        response = await client.post(
            "/graphql", json={"extensions": persisted(HASH)}, headers=headers
        )

        # What Apollo Server answers and Apollo Client's persisted-query link retries on.
        assert response.status_code == 200
        assert response.json() == NOT_FOUND
        assert response.headers["cache-control"] == "private, no-cache, must-revalidate"


async def test_a_query_sent_with_its_hash_is_stored_and_then_runs_by_hash(
    client: httpx.AsyncClient,
) -> None:
    registered = await client.post("/graphql", json={"query": QUERY, "extensions": persisted(HASH)})
    by_hash = await client.post("/graphql", json={"extensions": persisted(HASH)})

    assert registered.json() == {"data": {"__typename": "Query"}}
    assert by_hash.status_code == 200
    assert by_hash.json() == {"data": {"__typename": "Query"}}


async def test_persisted_queries_run_over_get(client: httpx.AsyncClient) -> None:
    extensions = json.dumps(persisted(HASH))
    missed = await client.get("/graphql", params={"extensions": extensions})
    await client.get("/graphql", params={"query": QUERY, "extensions": extensions})
    hit = await client.get(
        "/graphql", params={"extensions": extensions, "operationName": "Typename"}
    )

    assert missed.json() == NOT_FOUND
    assert hit.status_code == 200
    assert hit.json() == {"data": {"__typename": "Query"}}


async def test_a_hash_that_is_not_the_querys_is_refused(client: httpx.AsyncClient) -> None:
    other = sha256_hex("{ privacyContact { email } }")
    response = await client.post("/graphql", json={"query": QUERY, "extensions": persisted(other)})
    later = await client.post("/graphql", json={"extensions": persisted(other)})

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["message"] == "The persisted query's hash is not the SHA-256 of its query."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert later.json() == NOT_FOUND  # nothing was stored under the wrong hash


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        (persisted(HASH, version=2), "Only version 1 of persisted queries is supported."),
        (persisted("ABC"), "extensions.persistedQuery.sha256Hash is not a SHA-256 in hex."),
        ({"persistedQuery": "yes"}, "extensions.persistedQuery is not an object."),
    ],
)
async def test_a_malformed_persisted_query_is_bad_user_input(
    client: httpx.AsyncClient, extensions: dict[str, Any], message: str
) -> None:
    response = await client.post("/graphql", json={"query": QUERY, "extensions": extensions})

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == message
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_document_that_does_not_validate_is_not_stored(client: httpx.AsyncClient) -> None:
    invalid = "{ noSuchField }"
    first = await client.post(
        "/graphql", json={"query": invalid, "extensions": persisted(sha256_hex(invalid))}
    )
    again = await client.post("/graphql", json={"extensions": persisted(sha256_hex(invalid))})

    assert first.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert again.json() == NOT_FOUND


async def test_a_document_id_needs_trusted_documents(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"documentId": HASH})

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "documentId names a trusted document; none are configured."
    )


async def test_the_memory_store_drops_the_least_recently_used_past_its_bound() -> None:
    store = MemoryDocumentStore(max_bytes=10)
    await store.put("a", "aaaa")
    await store.put("b", "bbbb")
    assert await store.get("a") == "aaaa"  # "a" is now the most recently used
    await store.put("c", "cccc")

    assert await store.get("b") is None
    assert await store.get("a") == "aaaa"
    assert await store.get("c") == "cccc"
    assert store.size == 8


async def test_the_bound_is_a_setting(client_with: ClientWith) -> None:
    second = "query Second { __typename }"
    async with client_with(apq_max_bytes=len(QUERY) + 5) as client:
        await client.post("/graphql", json={"query": QUERY, "extensions": persisted(HASH)})
        await client.post(
            "/graphql", json={"query": second, "extensions": persisted(sha256_hex(second))}
        )
        first_again = await client.post("/graphql", json={"extensions": persisted(HASH)})
        second_again = await client.post(
            "/graphql", json={"extensions": persisted(sha256_hex(second))}
        )

    assert first_again.json() == NOT_FOUND
    assert second_again.json() == {"data": {"__typename": "Query"}}


async def test_production_without_get_still_takes_persisted_queries_over_post(
    client_with: ClientWith,
) -> None:
    async with client_with(env=Environment.PRODUCTION) as client:
        over_get = await client.get(
            "/graphql", params={"query": QUERY, "extensions": json.dumps(persisted(HASH))}
        )
        await client.post("/graphql", json={"query": QUERY, "extensions": persisted(HASH)})
        over_post = await client.post("/graphql", json={"extensions": persisted(HASH)})

    assert over_get.status_code == 405
    assert over_post.json() == {"data": {"__typename": "Query"}}


requires_redis = pytest.mark.skipif(
    REDIS_URL is None,
    reason="GATEWAY_TEST_REDIS_URL is not set, so the Redis store is not exercised (CI sets it)",
)


async def forget_documents(store: RedisDocumentStore) -> None:
    """Only the persisted documents' keys: the database may hold other tests' state."""
    keys = [key async for key in store.redis.scan_iter(match="xiamo-gateway:{apq}:*")]
    if keys:
        await store.redis.delete(*keys)


@pytest.fixture
async def redis_store() -> AsyncIterator[RedisDocumentStore]:
    assert REDIS_URL is not None
    store = RedisDocumentStore.from_url(REDIS_URL, max_bytes=10)
    await forget_documents(store)
    yield store
    await forget_documents(store)
    await store.close()


@requires_redis
async def test_the_redis_store_is_bounded_and_drops_the_least_recently_used(
    redis_store: RedisDocumentStore,
) -> None:
    await redis_store.put("a" * 64, "aaaa")
    await redis_store.put("b" * 64, "bbbb")
    assert await redis_store.get("a" * 64) == "aaaa"
    await redis_store.put("c" * 64, "cccc")
    await redis_store.put("c" * 64, "cccc")  # stored once

    assert await redis_store.get("b" * 64) is None
    assert await redis_store.get("a" * 64) == "aaaa"
    assert await redis_store.get("c" * 64) == "cccc"
    assert await redis_store.total_bytes() == 8


@requires_redis
async def test_workers_share_persisted_queries_through_redis(
    db_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    redis_store: RedisDocumentStore,
) -> None:
    assert REDIS_URL is not None
    query = f"query Shared{uuid.uuid4().hex} {{ __typename }}"
    sha256 = sha256_hex(query)
    answers = []
    for body in (
        {"query": query, "extensions": persisted(sha256)},
        {"extensions": persisted(sha256)},
    ):
        # Two apps: two workers with nothing in common but Redis.
        app = create_app(
            make_settings(db_url, redis_url=REDIS_URL),
            engine=engine,
            session_factory=session_factory,
        )
        async with client_of(app) as client:
            answers.append((await client.post("/graphql", json=body)).json())
        await app.state.persisted.close()  # what the app's shutdown does

    assert answers == [{"data": {"__typename": "Query"}}] * 2
    assert await redis_store.redis.exists(f"xiamo-gateway:{{apq}}:{sha256}") == 1


async def test_a_redis_store_that_does_not_answer_runs_documents_sent_whole(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Port 1 refuses at once: no Redis there.
    store = RedisDocumentStore.from_url("redis://127.0.0.1:1/0", max_bytes=1000)
    try:
        missed = await store.get(HASH)
        await store.put(HASH, QUERY)
    finally:
        await store.close()

    assert missed is None
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "the persisted-query store in Redis did not answer a lookup",
        "the persisted-query store in Redis did not store a document",
    ]
    assert HASH not in caplog.text
