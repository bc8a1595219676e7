"""The HTTP surface (docs/spec/limits.md#http-surface): health, readiness, limits, CORS,
methods."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from gateway.app import create_app
from gateway.graphql_view import GatewayGraphQL
from gateway.middleware import SecurityHeadersMiddleware
from gateway.settings import Environment
from models.database import create_engine
from tests.conftest import ClientWith, make_settings
from tests.support.apps import client_of


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
    async with client_of(app) as client:
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


async def test_cors_answers_only_the_configured_origins(client_with: ClientWith) -> None:
    async with client_with(cors_origins="https://app.example") as client:
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


async def test_queries_over_get_are_off_in_production(client_with: ClientWith) -> None:
    async with client_with(env=Environment.PRODUCTION) as client:
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


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": "frame-ancestors 'none'",
}
GRAPHQL_BODY = b'{"query": "{ __typename }"}'


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status"),
    [
        pytest.param(
            "POST",
            "/graphql",
            {"Content-Type": "application/json"},
            GRAPHQL_BODY,
            200,
            id="graphql",
        ),
        pytest.param("GET", "/graphql?query={__typename}", {}, b"", 200, id="graphql-get"),
        pytest.param(
            "POST", "/graphql", {"Content-Type": "text/plain"}, GRAPHQL_BODY, 415, id="graphql-415"
        ),
        pytest.param(
            "POST", "/graphql", {"Content-Type": "application/json"}, b"[1]", 400, id="graphql-400"
        ),
        pytest.param(
            "POST",
            "/graphql",
            {"Content-Type": "application/json", "Authorization": "Bearer nope"},
            GRAPHQL_BODY,
            401,
            id="graphql-401",
        ),
        pytest.param(
            "POST",
            "/graphql",
            {"Content-Type": "application/json"},
            b" " * (257 * 1024),
            413,
            id="graphql-413",
        ),
        pytest.param("DELETE", "/graphql", {}, b"", 405, id="graphql-405"),
        pytest.param("GET", "/healthz", {}, b"", 200, id="healthz"),
        pytest.param("GET", "/readyz", {}, b"", 200, id="readyz"),
        pytest.param("GET", "/dev/outbox?to=13800138000", {}, b"", 200, id="dev-outbox"),
        pytest.param("GET", "/nowhere", {}, b"", 404, id="not-found"),
    ],
)
async def test_every_response_carries_the_security_headers_and_is_not_stored(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
) -> None:
    response = await client.request(method, path, headers=headers, content=body)

    assert response.status_code == status
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert response.headers["cache-control"] == "no-store"


async def test_graphiql_cannot_be_framed_and_keeps_its_own_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert '<meta http-equiv="Content-Security-Policy" content="default-src' in page.text


async def test_graphiql_assets_stay_cacheable_as_immutable(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphiql/assets/graphiql.min.css")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"


async def test_an_exception_outside_graphql_answers_a_graphql_shaped_500_with_the_request_id(
    client: httpx.AsyncClient, broken_authentication: pytest.LogCaptureFixture
) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"})

    request_id = response.headers["x-request-id"]
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.json() == {
        "errors": [
            {
                "message": "Internal server error.",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ]
    }
    [record] = [r for r in broken_authentication.records if r.name == "gateway.errors"]
    assert record.exc_info is not None
    assert "detail that must stay in the log" not in response.text


async def test_a_page_with_its_own_policy_header_is_still_not_framable() -> None:
    async def page(scope: Scope, receive: Receive, send: Send) -> None:
        response = PlainTextResponse(
            "page", headers={"Content-Security-Policy": "default-src 'self'"}
        )
        await response(scope, receive, send)

    transport = httpx.ASGITransport(app=SecurityHeadersMiddleware(page))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/")

    assert response.headers["content-security-policy"] == (
        "default-src 'self'; frame-ancestors 'none'"
    )


def test_answers_are_compact_utf8_json_and_a_lone_surrogate_is_escaped() -> None:
    view = object.__new__(GatewayGraphQL)

    assert view.encode_json({"data": {"displayName": "张伟", "n": 1}}) == (
        '{"data":{"displayName":"张伟","n":1}}'.encode()
    )
    assert view.encode_json({"data": {"bio": "a\ud800"}}) == '{"data":{"bio":"a\\ud800"}}'
