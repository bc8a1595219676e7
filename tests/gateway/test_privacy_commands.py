"""The privacy workers on the command line, run as an operator would."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from gateway.cli import app
from gateway.services import configure_encryption
from gateway.settings import load_settings
from models import DeliveryStatus, MessageChannel, QueuedMessage
from models.database import create_engine, create_session_factory
from resolvers.messaging.queue import queue_message
from tests.conftest import TEST_SECRETS
from tests.fakes.sink import running_sink

runner = CliRunner()


@pytest.fixture
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GATEWAY_ENV", raising=False)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(f"GATEWAY_{name.upper()}", value)
    return tmp_path


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
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{workdir}/cli.db"
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    configure_encryption(load_settings())

    async def add(session: object) -> None:
        queue_message(
            session,  # type: ignore[arg-type]
            channel=MessageChannel.SMS,
            recipient="+8613812345678",
            purpose="DATA_REQUEST_UPDATED",
            body="Your deletion request: Your request has been fulfilled.",
            now=datetime.now(UTC),
        )

    in_database(url, add)
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
    assert in_database(url, statuses) == [DeliveryStatus.SENT]
