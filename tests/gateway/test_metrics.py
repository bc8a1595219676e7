"""Prometheus metrics: their names and labels after a known sequence of requests.

The registry is the process's own, shared by every test: each test compares what
`GET /metrics` shows after its requests with what it showed before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway import metrics
from gateway.metrics import MAX_OPERATION_NAMES, OTHER, operation_name_label
from gateway.settings import Environment
from models import AccountKind
from models.database import create_engine
from tests.conftest import make_settings
from tests.helpers import graphql
from tests.schema.masking.helpers import add_personal_rows, create_subject
from tests.support.api import Api
from tests.support.apps import own_app_client

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

SEND_CODE = """
mutation SendCode($phone: String!) {
  requestSmsCode(input: { phone: $phone, purpose: LOGIN }) { sent retryAfterSeconds }
}
"""


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def changed(before: Samples, after: Samples, prefix: str) -> dict[str, float]:
    """Every sample under ``prefix`` that moved, as ``name{label=value,...}``: delta."""
    moved = {}
    for (name, labels), value in after.items():
        if not name.startswith(prefix):
            continue
        difference = value - before.get((name, labels), 0.0)
        if difference:
            moved[_shown(name, dict(labels))] = difference
    return moved


def _shown(name: str, labels: Mapping[str, str]) -> str:
    inner = ",".join(f"{key}={labels[key]}" for key in sorted(labels))
    return f"{name}{{{inner}}}"


async def test_a_known_sequence_of_requests_shows_in_the_metrics(
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The names earlier tests of this process used do not crowd out this test's.
    monkeypatch.setattr(metrics, "_operation_names", set())
    account = await create_subject(api.db, AccountKind.INDIVIDUAL, api.clock(), with_password=True)
    await add_personal_rows(api.db, account, api.clock())
    elevated = await api.sign_in(account=account, elevated=True)
    before = await scrape(api.client)

    assert (await api.client.get("/healthz")).status_code == 200
    assert (await api.client.get("/healthz")).status_code == 200
    assert (await api.client.get("/no/such/page/13800138000")).status_code == 404
    probe = await graphql(api.client, "query Probe { __typename }")
    assert probe == {"data": {"__typename": "Query"}}
    broken = await api.client.post("/graphql", json={"query": "query Broken { nope }"})
    assert broken.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    first = await graphql(api.client, SEND_CODE, {"phone": "13912345678"})
    second = await graphql(api.client, SEND_CODE, {"phone": "13912345678"})
    assert first["data"]["requestSmsCode"]["sent"] is True
    assert second["data"]["requestSmsCode"]["sent"] is False
    plain = await api.client.post("/graphql", content=b"{}", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    revealed = await graphql(
        api.client, "query Mine { viewer { account { phone(reveal: true) } } }", token=elevated
    )
    assert revealed["data"]["viewer"]["account"]["phone"] is not None

    after = await scrape(api.client)

    assert changed(before, after, "gateway_http_requests_total") == {
        "gateway_http_requests_total{method=GET,route=/healthz,status=200}": 2,
        "gateway_http_requests_total{method=GET,route=unmatched,status=404}": 1,
        "gateway_http_requests_total{method=GET,route=/metrics,status=200}": 1,
        "gateway_http_requests_total{method=POST,route=/graphql,status=200}": 5,
        "gateway_http_requests_total{method=POST,route=/graphql,status=415}": 1,
    }
    assert changed(before, after, "gateway_graphql_operations_total") == {
        "gateway_graphql_operations_total{operation_name=Probe,operation_type=query,outcome=success}": 1,
        "gateway_graphql_operations_total{operation_name=Broken,operation_type=query,outcome=invalid}": 1,
        "gateway_graphql_operations_total{operation_name=SendCode,operation_type=mutation,outcome=success}": 2,
        "gateway_graphql_operations_total{operation_name=Mine,operation_type=query,outcome=success}": 1,
    }
    assert changed(before, after, "gateway_graphql_errors_total") == {
        "gateway_graphql_errors_total{code=GRAPHQL_VALIDATION_FAILED}": 1,
        "gateway_graphql_errors_total{code=BAD_USER_INPUT}": 1,
    }
    assert changed(before, after, "gateway_rate_limit_refusals_total") == {
        "gateway_rate_limit_refusals_total{limit=sms-interval}": 1,
    }
    assert changed(before, after, "gateway_sensitive_reveals_total") == {
        "gateway_sensitive_reveals_total{kind=PHONE}": 1,
    }
    duration = "gateway_graphql_operation_duration_seconds_count"
    assert delta(before, after, duration, operation_name="SendCode", operation_type="mutation") == 2
    assert delta(before, after, duration, operation_name="Broken", operation_type="query") == 1
    statements = "gateway_graphql_sql_statements"
    # Executed operations only; the invalid one ran nothing.
    assert changed(before, after, f"{statements}_count") == {
        f"{statements}_count{{operation_name=Probe,operation_type=query}}": 1,
        f"{statements}_count{{operation_name=SendCode,operation_type=mutation}}": 2,
        f"{statements}_count{{operation_name=Mine,operation_type=query}}": 1,
    }
    # { __typename } reads nothing: its one observation fell in the bucket "0".
    zero = delta(
        before,
        after,
        f"{statements}_bucket",
        operation_name="Probe",
        operation_type="query",
        le="0.0",
    )
    assert zero == 1
    assert (
        delta(
            before, after, f"{statements}_sum", operation_name="SendCode", operation_type="mutation"
        )
        > 2
    )
    healthz = "gateway_http_request_duration_seconds_count"
    assert delta(before, after, healthz, method="GET", route="/healthz") == 2
    # Nothing sent in shows in a label: not the phone, not the path asked for.
    values = {value for _, labels in after for _, value in labels}
    assert not {value for value in values if "13912345678" in value or "13800138" in value}


def test_operation_names_are_bounded_in_form_and_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_operation_names", set())
    assert operation_name_label(None) == ""
    assert operation_name_label("not a name") == OTHER
    assert operation_name_label("x" * 65) == OTHER
    names = [f"BoundCheck{number}" for number in range(MAX_OPERATION_NAMES + 1)]
    labels = [operation_name_label(name) for name in names]
    assert labels[-1] == OTHER
    assert set(labels[:-1]) <= {*names, OTHER}


async def test_production_has_no_metrics_route_on_the_public_port(db_url: str) -> None:
    settings = make_settings(
        db_url,
        env=Environment.PRODUCTION,
        sms_gateway_url="https://sms.example/send",
        email_gateway_url="https://mail.example/send",
        id_verifier_url="https://id.example/check",
    )
    async with own_app_client(settings) as client:
        response = await client.get("/metrics")
    assert response.status_code == 404
    assert "gateway_" not in response.text


async def test_a_connection_request_that_waits_for_the_pool_is_counted(
    client: httpx.AsyncClient, db_url: str
) -> None:
    """One connection at most: a second request waits for it, and is counted."""
    engine = create_engine(db_url, pool_size=1, max_overflow=0)
    before = await scrape(client)
    try:
        first = await engine.connect()
        second = asyncio.ensure_future(engine.connect())
        await asyncio.sleep(0.2)
        assert not second.done()
        await first.close()
        await (await asyncio.wait_for(second, 5)).close()
    finally:
        await engine.dispose()
    after = await scrape(client)

    assert delta(before, after, "gateway_db_pool_waits_total") == 1


@pytest.mark.usefixtures("client")
async def test_the_pool_gauges_follow_checkouts(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    before = await scrape(client)
    async with engine.connect():
        during = await scrape(client)
    after = await scrape(client)

    assert delta(before, during, "gateway_db_pool_connections_in_use") == 1
    assert delta(before, after, "gateway_db_pool_connections_in_use") == 0
    assert after[("gateway_db_pool_size", frozenset())] >= 15
