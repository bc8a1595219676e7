"""The HTTP surface of RULES.md section 1: health, readiness, limits, CORS, methods."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.settings import Environment
from models.database import create_engine
from tests.conftest import make_settings


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_ok_while_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_503_when_the_database_does_not(db_url: str) -> None:
    # A PostgreSQL server that is not there (port 1 refuses at once).
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_app(make_settings(db_url), engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/readyz")
    await engine.dispose()

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz")

    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_body_over_256_kib_is_refused_with_413(client: httpx.AsyncClient) -> None:
    padding = "#" + "x" * (256 * 1024)
    response = await client.post("/graphql", json={"query": "{ __typename }" + padding})

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_streamed_body_over_the_limit_is_refused_without_content_length(
    client: httpx.AsyncClient,
) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(5):
            yield b"x" * (64 * 1024)

    response = await client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413


async def test_a_body_just_under_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    query = "{ __typename }"
    padding = " " * (256 * 1024 - len(query) - 100)
    response = await client.post("/graphql", json={"query": query + padding})

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_cors_answers_only_the_configured_origins(
    db_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    settings = make_settings(db_url, cors_origins="https://app.example")
    app = create_app(settings, engine=engine, session_factory=session_factory)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        allowed = await client.options(
            "/graphql",
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
        )
        refused = await client.options(
            "/graphql",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


async def test_no_cors_origin_is_allowed_by_default(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://app.example"}
    )

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_queries_run_over_get_in_development(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }"})

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_mutation_over_get_is_refused_with_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "mutation { logout { ok } }"})

    assert response.status_code == 405


async def test_queries_over_get_are_off_in_production(
    db_url: str, engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    settings = make_settings(db_url, env=Environment.PRODUCTION)
    app = create_app(settings, engine=engine, session_factory=session_factory)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        over_get = await client.get("/graphql", params={"query": "{ __typename }"})
        over_post = await client.post("/graphql", json={"query": "{ __typename }"})

    assert over_get.status_code == 405
    assert over_post.json() == {"data": {"__typename": "Query"}}


async def test_batched_operation_arrays_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}]
    )

    assert response.status_code == 400


async def test_graphql_response_media_type_is_served_when_asked(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Accept": "application/graphql-response+json"},
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_the_access_log_records_the_path_without_its_query_string(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")

    response = await client.get("/graphql", params={"query": "{ __typename }", "token": "s3cret"})

    records = [record for record in caplog.records if record.name == "gateway.access"]
    assert response.status_code == 200
    assert len(records) == 1
    assert records[0].__dict__["path"] == "/graphql"
    assert records[0].__dict__["status"] == 200
    assert "s3cret" not in caplog.text
    assert "__typename" not in caplog.text


async def test_a_bearer_token_that_is_not_valid_answers_401(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ viewer { elevatedUntil } }"},
        headers={"Authorization": "Bearer not-a-token"},
    )

    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {
                "message": "The bearer token is malformed, expired or revoked.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
