"""Production shows metrics on their own listener only (GATEWAY_METRICS_PORT), and
readiness also asks Redis when one is configured."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gateway.cli import app
from tests.conftest import make_settings
from tests.gateway.operator import CLI, assert_refused, first_answer, serve, set_variables
from tests.gateway.test_metrics import parse
from tests.support.apps import own_app_client
from tests.support.loopback import free_loopback_port

runner = CliRunner()
STARTUP_SECONDS = 60
PRODUCTION = {
    "GATEWAY_ENV": "production",
    "GATEWAY_SMS_GATEWAY_URL": "https://sms.example/send",
    "GATEWAY_EMAIL_GATEWAY_URL": "https://mail.example/send",
    "GATEWAY_ID_VERIFIER_URL": "https://id.example/check",
}
REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL")


def test_production_serves_metrics_on_their_own_port_only(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    port, metrics_port = free_loopback_port(), free_loopback_port()
    set_variables(monkeypatch, {**PRODUCTION, "GATEWAY_METRICS_PORT": str(metrics_port)})
    server = serve(CLI, ["serve", "--port", str(port)], operator_environment)
    try:
        first_answer(server, f"http://127.0.0.1:{port}/healthz", within=STARTUP_SECONDS)
        public = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        own = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)

    assert public.status_code == 404
    assert "gateway_" not in public.text
    assert own.status_code == 200
    samples = parse(own.text)
    requests = "gateway_http_requests_total"
    assert (
        samples[
            (requests, frozenset({"method": "GET", "route": "unmatched", "status": "404"}.items()))
        ]
        == 1
    )
    assert f"metrics at http://127.0.0.1:{metrics_port}/metrics" in stderr


def test_a_metrics_port_equal_to_the_public_port_is_refused(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_variables(monkeypatch, {"GATEWAY_METRICS_PORT": "8000"})
    assert_refused(
        ["serve", "--port", "8000"],
        "error: GATEWAY_METRICS_PORT: 8000 is the port the gateway serves on; metrics need "
        "a port of their own",
    )


def test_an_unknown_trace_exporter_is_refused_at_start(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_variables(monkeypatch, {"OTEL_TRACES_EXPORTER": "jaeger"})
    assert_refused(
        ["serve"], "error: OTEL_TRACES_EXPORTER: 'jaeger' is not one of otlp, console, none"
    )


async def test_readyz_fails_while_the_configured_redis_does_not_answer(db_url: str) -> None:
    # Nothing listens on port 1 of the loopback address.
    settings = make_settings(db_url, redis_url="redis://127.0.0.1:1/0")
    async with own_app_client(settings) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


@pytest.mark.skipif(not REDIS_URL, reason="GATEWAY_TEST_REDIS_URL is not set (CI sets it)")
async def test_readyz_answers_ok_while_the_database_and_redis_answer(db_url: str) -> None:
    settings = make_settings(db_url, redis_url=REDIS_URL)
    async with own_app_client(settings) as client:
        response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
