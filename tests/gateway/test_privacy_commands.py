"""The privacy workers on the command line, run as an operator would."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from gateway.cli import app
from gateway.services import configure_encryption
from gateway.settings import load_settings
from models import Account, AccountKind, DeliveryStatus, MessageChannel, QueuedMessage
from models.database import create_engine, create_session_factory
from resolvers.events.outbox import EventType, record_event
from resolvers.messaging.queue import queue_message
from tests.conftest import TEST_SECRETS
from tests.fakes.sink import running_sink

runner = CliRunner()


@pytest.fixture
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, restore_logging: None) -> Path:
    """A fresh SQLite file; the workers configure the process's logging, undone after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GATEWAY_ENV", raising=False)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(f"GATEWAY_{name.upper()}", value)
    return tmp_path


@pytest.fixture
def database(workdir: Path) -> str:
    """The URL of the workdir's database, upgraded, with the settings' keys configured
    for the rows a test adds to it."""
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    configure_encryption(load_settings())
    return f"sqlite+aiosqlite:///{workdir}/cli.db"


def in_database(url: str, work: object) -> object:
    async def run() -> object:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                result = await work(session)  # type: ignore[operator]
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_messages_deliver_once_posts_the_queue_to_the_provider(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def add(session: object) -> None:
        queue_message(
            session,  # type: ignore[arg-type]
            channel=MessageChannel.SMS,
            recipient="+8613812345678",
            purpose="DATA_REQUEST_UPDATED",
            body="Your deletion request: Your request has been fulfilled.",
            now=datetime.now(UTC),
        )

    in_database(database, add)
    with running_sink() as sink:
        monkeypatch.setenv("GATEWAY_SMS_GATEWAY_URL", sink.url + "/sms")

        result = runner.invoke(app, ["messages", "deliver", "--once"])

    async def statuses(session: object) -> list[DeliveryStatus]:
        rows = await session.scalars(select(QueuedMessage.status))  # type: ignore[attr-defined]
        return list(rows.all())

    assert result.exit_code == 0, result.output
    assert result.stdout == "sent: 1, postponed: 0, retried: 0, failed: 0\n"
    assert [(item.path, item.json()["to"]) for item in sink.received] == [
        ("/sms", "+8613812345678")
    ]
    assert in_database(database, statuses) == [DeliveryStatus.SENT]


def test_events_deliver_needs_the_webhook_and_a_strong_key(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0

    no_url = runner.invoke(app, ["events", "deliver", "--once"])
    monkeypatch.setenv("GATEWAY_EVENTS_WEBHOOK_URL", "http://127.0.0.1:9/events")
    no_key = runner.invoke(app, ["events", "deliver", "--once"])
    monkeypatch.setenv("GATEWAY_EVENTS_SIGNING_KEY", "short")
    weak_key = runner.invoke(app, ["events", "deliver", "--once"])

    assert (no_url.exit_code, no_key.exit_code, weak_key.exit_code) == (2, 2, 2)
    assert no_url.stderr == "error: GATEWAY_EVENTS_WEBHOOK_URL: needed to deliver privacy events\n"
    assert (
        no_key.stderr
        == weak_key.stderr
        == ("error: GATEWAY_EVENTS_SIGNING_KEY: needed to sign privacy events, at least 32 bytes\n")
    )


def test_events_deliver_once_posts_the_outbox_signed(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "s" * 40

    async def add(session: Any) -> None:
        account = Account(
            kind=AccountKind.INDIVIDUAL, display_name="P", created_at=datetime.now(UTC)
        )
        session.add(account)
        await session.flush()
        for granted in (True, False):
            await record_event(
                session,
                EventType.CONSENT_CHANGED,
                {"purpose": "TARGETED_PUSH", "granted": granted, "policyVersion": "1.0"},
                now=datetime.now(UTC),
                account=account,
            )

    in_database(database, add)
    with running_sink() as sink:
        monkeypatch.setenv("GATEWAY_EVENTS_WEBHOOK_URL", sink.url + "/privacy")
        monkeypatch.setenv("GATEWAY_EVENTS_SIGNING_KEY", key)

        result = runner.invoke(app, ["events", "deliver", "--once"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "delivered: 2, retried: 0\n"
    bodies = [json.loads(item.body) for item in sink.received]
    assert [(b["type"], b["data"]["granted"]) for b in bodies] == [
        ("ConsentChanged", True),
        ("ConsentChanged", False),
    ]
    for item in sink.received:
        digest = hmac.new(key.encode(), item.body, hashlib.sha256).hexdigest()
        assert item.headers["x-xiamo-signature"] == f"sha256={digest}"


def test_services_create_prints_a_token_once_and_revoke_ends_it(workdir: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0

    created = runner.invoke(app, ["services", "create", "--name", "push-service"])
    again = runner.invoke(app, ["services", "create", "--name", "push-service"])
    revoked = runner.invoke(app, ["services", "revoke", "--name", "push-service"])
    twice = runner.invoke(app, ["services", "revoke", "--name", "push-service"])

    assert created.exit_code == 0, created.output
    assert created.stdout.startswith("svc_")
    assert len(created.stdout.strip()) > 60
    assert (again.exit_code, again.stderr) == (1, "error: a service with this name exists\n")
    assert (revoked.exit_code, revoked.stdout) == (0, "revoked: push-service\n")
    assert (twice.exit_code, twice.stderr) == (1, "error: no live credential of this name\n")
