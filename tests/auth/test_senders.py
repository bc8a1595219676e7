"""The outbox, the console sender and the HTTP sender.

The rules: docs/spec/limits.md#development-outbox and docs/spec/limits.md#logs.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from auth.senders import (
    ConsoleSender,
    DeliveryError,
    HttpSender,
    Outbox,
    OutgoingMessage,
)
from tests.support.loopback import Received, RecordingHandler, free_loopback_port, serving

PHONE = "+8613812345678"
EMAIL = "someone@example.com"
CODE = "493817"
BODY = f"Your verification code is {CODE}. It is valid for 5 minutes."
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def message(
    to: str = PHONE,
    *,
    channel: Any = "sms",
    purpose: str = "LOGIN",
    code: str | None = CODE,
    body: str = BODY,
    minutes: int = 0,
) -> OutgoingMessage:
    return OutgoingMessage(
        to=to,
        channel=channel,
        purpose=purpose,
        code=code,
        body=body,
        sent_at=T0 + timedelta(minutes=minutes),
    )


# --- Outbox ---------------------------------------------------------------------------


def test_outbox_lists_a_recipients_messages_newest_first() -> None:
    outbox = Outbox()
    first = message(minutes=0)
    other = message(EMAIL, channel="email", purpose="CONFIRM_EMAIL", code="tok", minutes=1)
    second = message(purpose="BIND_PHONE", minutes=2)
    for item in (first, other, second):
        outbox.add(item)

    assert outbox.for_recipient(PHONE) == [second, first]
    assert outbox.for_recipient(EMAIL) == [other]
    assert outbox.for_recipient("+8613900000000") == []
    assert len(outbox) == 3


def test_outbox_keeps_only_the_latest_messages() -> None:
    outbox = Outbox(max_size=3)
    sent = [message(code=f"{i:06d}", minutes=i) for i in range(5)]
    for item in sent:
        outbox.add(item)

    assert len(outbox) == 3
    assert outbox.max_size == 3
    assert [m.code for m in outbox.for_recipient(PHONE)] == ["000004", "000003", "000002"]


def test_outbox_default_bound_and_clear() -> None:
    outbox = Outbox()
    for i in range(1_005):
        outbox.add(message(code=str(i)))
    assert len(outbox) == 1_000
    assert outbox.for_recipient(PHONE)[-1].code == "5"

    outbox.clear()
    assert outbox.for_recipient(PHONE) == []


def test_outbox_rejects_an_empty_bound() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Outbox(max_size=0)


def test_outbox_survives_concurrent_writers_and_readers() -> None:
    outbox = Outbox(max_size=50)
    errors: list[BaseException] = []

    def write() -> None:
        for i in range(2_000):
            outbox.add(message(code=str(i)))

    def read() -> None:
        try:
            for _ in range(2_000):
                assert len(outbox.for_recipient(PHONE)) <= 50
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(2)]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(outbox) == 50


# --- Console sender -------------------------------------------------------------------


async def test_console_sender_records_in_the_outbox_and_logs_nothing_sensitive(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox = Outbox()
    sender = ConsoleSender(outbox)
    sms = message()
    mail = message(
        EMAIL,
        channel="email",
        purpose="CONFIRM_EMAIL",
        code="tok-7f3a9c",
        body="Confirm your address: https://app.example/confirm?token=tok-7f3a9c",
    )

    with caplog.at_level(logging.DEBUG):
        await sender.send(sms)
        await sender.send(mail)

    assert outbox.for_recipient(PHONE) == [sms]
    assert outbox.for_recipient(EMAIL) == [mail]

    records = [r for r in caplog.records if r.name == "gateway.senders"]
    assert len(records) == 2
    assert all(r.levelno == logging.INFO for r in records)
    assert "sms" in records[0].getMessage()
    assert "LOGIN" in records[0].getMessage()
    assert "email" in records[1].getMessage()
    assert "CONFIRM_EMAIL" in records[1].getMessage()

    # Neither the formatted text nor any extra field carries a personal value or secret.
    everything_logged = caplog.text + "".join(repr(vars(r)) for r in caplog.records)
    for secret in (PHONE, CODE, BODY, EMAIL, "tok-7f3a9c", mail.body, "someone"):
        assert secret not in everything_logged


# --- HTTP sender against a real local server -------------------------------------------


@dataclass
class ProviderStub:
    """A real HTTP server on a free loopback port, answering ``status`` to every POST."""

    server: ThreadingHTTPServer
    status: int = 200
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/v1/messages"


@pytest.fixture
def provider() -> Iterator[ProviderStub]:
    stub: ProviderStub

    class Handler(RecordingHandler):
        def do_POST(self) -> None:
            stub.received.append(self.received())
            answer = b'{"ok": true}'
            self.send_response(stub.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub = ProviderStub(server=server)
    with serving(server):
        yield stub


@pytest.fixture
async def http_sender(provider: ProviderStub) -> AsyncIterator[HttpSender]:
    async with HttpSender(provider.url, token="provider-token-123", timeout=5) as sender:
        yield sender


async def test_http_sender_posts_the_message_as_json(
    provider: ProviderStub, http_sender: HttpSender
) -> None:
    await http_sender.send(message())

    assert len(provider.received) == 1
    request = provider.received[0]
    assert request.path == "/v1/messages"
    assert request.headers["authorization"] == "Bearer provider-token-123"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {
        "to": PHONE,
        "channel": "sms",
        "purpose": "LOGIN",
        "body": BODY,
        "code": CODE,
    }


async def test_http_sender_sends_a_null_code_and_no_token_when_none(
    provider: ProviderStub,
) -> None:
    async with HttpSender(provider.url) as sender:
        await sender.send(message(EMAIL, channel="email", purpose="NOTICE", code=None))

    request = provider.received[0]
    assert "authorization" not in request.headers
    assert json.loads(request.body) == {
        "to": EMAIL,
        "channel": "email",
        "purpose": "NOTICE",
        "body": BODY,
        "code": None,
    }


@pytest.mark.parametrize("status", [500, 404, 302])
async def test_http_sender_raises_on_a_non_2xx_answer(
    provider: ProviderStub, http_sender: HttpSender, status: int
) -> None:
    provider.status = status

    with pytest.raises(DeliveryError) as raised:
        await http_sender.send(message())

    text = str(raised.value)
    assert f"HTTP {status}" in text
    for secret in (PHONE, CODE, BODY, "provider-token-123", provider.url):
        assert secret not in text
    assert len(provider.received) == 1  # one try; redirects are not followed


async def test_http_sender_raises_when_the_connection_is_refused() -> None:
    url = f"http://127.0.0.1:{free_loopback_port()}/v1/messages"
    async with HttpSender(url, token="provider-token-123", timeout=2) as sender:
        with pytest.raises(DeliveryError) as raised:
            await sender.send(message())

    text = str(raised.value)
    assert "ConnectError" in text
    for secret in (PHONE, CODE, BODY, "provider-token-123", url):
        assert secret not in text


async def test_http_sender_repr_hides_the_url_and_token() -> None:
    async with HttpSender("https://sms.example/send?key=s3cret", token="t-123") as sender:
        text = repr(sender)
    assert "s3cret" not in text
    assert "t-123" not in text
