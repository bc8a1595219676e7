"""Request ids: a well-formed incoming X-Request-ID is kept and echoed, anything else is
replaced; the id is on the log lines and on INTERNAL_SERVER_ERROR answers."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from resolvers.policies import queries as policy_queries

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "sent",
    ["abc", "req-2024.07_01", "A" * 128, "0", "trace.span-ID_9"],
    ids=["letters", "all allowed characters", "128 characters", "one character", "mixed"],
)
async def test_a_well_formed_incoming_id_is_kept_and_echoed(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, sent: str
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")

    response = await client.get("/healthz", headers={"X-Request-ID": sent})

    assert response.headers["x-request-id"] == sent
    [access] = [r for r in caplog.records if r.name == "gateway.access"]
    assert access.request_id == sent  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "sent",
    [
        "A" * 129,
        "",
        "has space",
        "slash/inside",
        "semi;colon",
        "quote'd",
        "new\tline",
        "caf\u00e9",
        "<script>",
    ],
    ids=[
        "129 characters",
        "empty",
        "space",
        "slash",
        "semicolon",
        "quote",
        "tab",
        "non-ASCII",
        "markup",
    ],
)
async def test_anything_else_is_replaced_by_a_new_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, sent: str
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")

    response = await client.get("/healthz", headers={"X-Request-ID": sent.encode("utf-8")})

    echoed = response.headers["x-request-id"]
    assert GENERATED.fullmatch(echoed)
    [access] = [r for r in caplog.records if r.name == "gateway.access"]
    assert access.request_id == echoed  # type: ignore[attr-defined]


async def test_two_ids_in_one_request_are_both_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/healthz", headers=[("X-Request-ID", "first"), ("X-Request-ID", "second")]
    )

    assert GENERATED.fullmatch(response.headers["x-request-id"])


async def test_no_id_gets_a_new_one_per_request(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz")

    assert GENERATED.fullmatch(first.headers["x-request-id"])
    assert GENERATED.fullmatch(second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_an_internal_error_carries_the_kept_id(
    client: httpx.AsyncClient, broken_authentication: pytest.LogCaptureFixture
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "lb-7f3a.1"}
    )

    assert response.status_code == 500
    assert response.headers["x-request-id"] == "lb-7f3a.1"
    assert response.json()["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "lb-7f3a.1",
    }
    [record] = [r for r in broken_authentication.records if r.name == "gateway.errors"]
    assert record.request_id == "lb-7f3a.1"  # type: ignore[attr-defined]


async def test_an_error_inside_graphql_carries_the_kept_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("resolver failure")

    monkeypatch.setattr(policy_queries, "privacy_policies", broken)

    response = await client.post(
        "/graphql",
        json={"query": "{ privacyPolicies { version } }"},
        headers={"X-Request-ID": "kept-id"},
    )

    assert response.headers["x-request-id"] == "kept-id"
    assert response.json()["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "kept-id",
    }
