"""Two real uvicorn workers (`xiamo-gateway serve --workers 2`) sharing one Redis: the
SMS-code and password limits hold exactly across them, and a scrape of either worker
shows the metrics of both.

Needs ``GATEWAY_TEST_REDIS_URL`` (CI sets it); skipped without it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client.multiprocess import MultiProcessCollector
from typer.testing import CliRunner

from auth.rate_limits import DEFAULT_KEY_PREFIX
from gateway.cli import app
from tests.gateway.operator import CLI, first_answer, serve, set_variables
from tests.gateway.test_metrics import changed, parse
from tests.support.loopback import free_loopback_port
from tests.support.processes import stop

REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL,
    reason=(
        "GATEWAY_TEST_REDIS_URL is not set: the two-worker limit test needs a Redis both "
        "workers share (CI sets redis://127.0.0.1:6379/15)"
    ),
)
STARTUP_SECONDS = 60
CONNECTIONS = 12
runner = CliRunner()

SEND_CODE = """
mutation SendCode($phone: String!) {
  requestSmsCode(input: { phone: $phone, purpose: LOGIN }) { sent retryAfterSeconds }
}
"""
SIGN_IN = """
mutation SignIn($login: String!) {
  loginWithPassword(input: { login: $login, password: "not-the-Password-1" }) {
    accessToken userErrors { code }
  }
}
"""


def _forget_limits() -> None:
    """The gateway's limit keys in the test's Redis database: earlier runs' hits from this
    same client address would count against this one."""
    assert REDIS_URL is not None
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for key in client.scan_iter(match=f"{DEFAULT_KEY_PREFIX}*"):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture
def two_workers(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """`serve --workers 2` on a free port; its base URL and its metrics folder."""
    assert REDIS_URL is not None
    metrics_dir = operator_environment / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"a previous run's file")
    set_variables(monkeypatch, {"GATEWAY_REDIS_URL": REDIS_URL, "GATEWAY_LOG_FORMAT": "json"})
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    _forget_limits()
    port = free_loopback_port()
    server = serve(
        CLI,
        ["serve", "--workers", "2", "--port", str(port)],
        operator_environment,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        first_answer(server, f"{base}/readyz", within=STARTUP_SECONDS, status=200)
        yield base, metrics_dir
    finally:
        stop(server, timeout=30)
        _forget_limits()


def per_worker(metrics_dir: Path, name: str, **labels: str) -> dict[str, float]:
    """A counter's value in each worker's own file (counter_<pid>.db)."""
    values = {}
    for path in sorted(metrics_dir.glob("counter_*.db")):
        total = 0.0
        for metric in MultiProcessCollector.merge([str(path)], accumulate=True):
            for sample in metric.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    total += sample.value
        values[path.stem.removeprefix("counter_")] = total
    return values


@pytest.fixture
async def connections(
    two_workers: tuple[str, Path],
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Kept-alive connections, each to one worker, until both workers hold some."""
    base, metrics_dir = two_workers
    clients: list[httpx.AsyncClient] = []
    try:
        while True:
            for _ in range(CONNECTIONS):
                client = httpx.AsyncClient(
                    base_url=base, limits=httpx.Limits(max_connections=1), timeout=30
                )
                clients.append(client)
            await asyncio.gather(*(client.get("/healthz") for client in clients[-CONNECTIONS:]))
            served = per_worker(
                metrics_dir, "gateway_http_requests_total", route="/healthz", status="200"
            )
            if sum(1 for count in served.values() if count) >= 2:
                break
            assert len(clients) < 10 * CONNECTIONS, f"one worker took every connection: {served}"
        yield clients
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def _post(client: httpx.AsyncClient, query: str, variables: dict[str, str]) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_two_workers_sharing_redis_hold_the_sms_and_password_limits_exactly(
    two_workers: tuple[str, Path], connections: list[httpx.AsyncClient]
) -> None:
    base, metrics_dir = two_workers
    phone = f"139{secrets.randbelow(10**8):08d}"
    login = f"worker-{secrets.token_hex(4)}@demo.example"
    async with httpx.AsyncClient(base_url=base) as scraper:
        before = parse((await scraper.get("/metrics")).text)

    codes = await asyncio.gather(
        *(_post(client, SEND_CODE, {"phone": phone}) for client in connections)
    )
    tries = await asyncio.gather(
        *(_post(client, SIGN_IN, {"login": login}) for client in connections)
    )

    # One code per phone a minute, whichever worker was asked.
    assert sum(answer["requestSmsCode"]["sent"] for answer in codes) == 1
    # Five password tries per login, across both workers; the rest are refused.
    outcomes = Counter(answer["loginWithPassword"]["userErrors"][0]["code"] for answer in tries)
    assert outcomes == {"INVALID_CREDENTIALS": 5, "RATE_LIMITED": len(connections) - 5}
    assert all(answer["loginWithPassword"]["accessToken"] is None for answer in tries)
    # Both workers answered these operations.
    for operation in ("SendCode", "SignIn"):
        handled = per_worker(
            metrics_dir, "gateway_graphql_operations_total", operation_name=operation
        )
        assert len([count for count in handled.values() if count]) == 2, (operation, handled)

    # Either worker's /metrics adds up both workers' counts.
    async with httpx.AsyncClient(base_url=base) as scraper:
        after = parse((await scraper.get("/metrics")).text)
    total = len(connections)
    assert changed(before, after, "gateway_graphql_operations_total") == {
        "gateway_graphql_operations_total{operation_name=SendCode,operation_type=mutation,outcome=success}": total,
        "gateway_graphql_operations_total{operation_name=SignIn,operation_type=mutation,outcome=success}": total,
    }
    assert changed(before, after, "gateway_rate_limit_refusals_total") == {
        "gateway_rate_limit_refusals_total{limit=sms-interval}": total - 1,
        "gateway_rate_limit_refusals_total{limit=password-tries}": total - 5,
    }
    assert changed(before, after, "gateway_http_requests_total") == {
        "gateway_http_requests_total{method=POST,route=/graphql,status=200}": 2 * total,
        "gateway_http_requests_total{method=GET,route=/metrics,status=200}": 1,
    }
