"""OpenTelemetry spans, read from the console exporter that OTEL_TRACES_EXPORTER=console
installs: they continue the incoming trace, carry the request id, and hold no variable,
token, code or clear personal value (the values sealed during the test, as the log
check of tests/conftest.py looks for)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.util._once import Once
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.provider_tracing import TracedTransport
from auth.senders import Outbox
from gateway import tracing
from gateway.observe import observe_engine
from gateway.settings import ConfigurationError
from models import AccountKind
from models.database import create_session_factory, fetch_all
from models.unit_of_work import RequestScope
from resolvers.policies.shipped import SHIPPED_VERSION
from tests.conftest import wipe
from tests.schema.masking.helpers import add_personal_rows, create_subject
from tests.support.api import Api
from tests.support.sealing import recording_sealed_values

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"
REQUEST_ID = "edge-42.trace_test"
PHONE = "13987654321"

SEND_CODE = """
mutation SendCode($phone: String!) {
  requestSmsCode(input: { phone: $phone, purpose: LOGIN }) { sent }
}
"""
LOGIN = """
mutation SignIn($phone: String!, $code: String!) {
  loginWithSms(input: { phone: $phone, code: $code, acceptPolicyVersion: "1.0" }) {
    accessToken refreshToken userErrors { code }
  }
}
"""


def _reset_global_provider() -> None:
    # What the OpenTelemetry project's own test helpers do between tests.
    trace._TRACER_PROVIDER_SET_ONCE = Once()  # type: ignore[attr-defined]
    trace._TRACER_PROVIDER = None  # type: ignore[attr-defined]


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    out = io.StringIO()
    _reset_global_provider()
    assert tracing.configure_tracing(
        {"OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "gateway-under-test"},
        console=out,
    )
    yield out
    assert tracing._provider is not None
    tracing._provider.shutdown()
    tracing._provider = None
    _reset_global_provider()


@pytest.fixture
def sealed() -> Iterator[set[str]]:
    """Every value sealed (encrypted into a column) during the test."""
    with recording_sealed_values() as values:
        yield values


def spans(out: io.StringIO) -> list[dict[str, Any]]:
    text, decoder, position, found = out.getvalue(), json.JSONDecoder(), 0, []
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return found
        span, position = decoder.raw_decode(text, position)
        found.append(span)


async def test_spans_continue_the_incoming_trace_and_hold_no_secret(
    api: Api, console: io.StringIO, sealed: set[str], outbox: Outbox
) -> None:
    account = await create_subject(api.db, AccountKind.INDIVIDUAL, api.clock(), with_password=True)
    await add_personal_rows(api.db, account, api.clock())
    elevated = await api.sign_in(account=account, elevated=True)
    headers = {"traceparent": TRACEPARENT, "X-Request-ID": REQUEST_ID}
    console.seek(0)
    console.truncate()  # the set-up's own statements, outside any request

    async def call(query: str, variables: dict[str, str], token: str | None = None) -> Any:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = await api.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200
        return response.json()

    assert (await call(SEND_CODE, {"phone": PHONE}))["data"]["requestSmsCode"]["sent"] is True
    [message] = outbox.for_recipient(f"+86{PHONE}")
    code = message.code
    assert code
    signed_in = (await call(LOGIN, {"phone": PHONE, "code": code}))["data"]["loginWithSms"]
    assert signed_in["userErrors"] == []
    revealed = await call(
        "query Reveal { viewer { account { phone(reveal: true) email(reveal: true) } } }",
        {},
        token=elevated,
    )
    clear_phone = revealed["data"]["viewer"]["account"]["phone"]
    assert clear_phone

    found = spans(console)
    names = [span["name"] for span in found]
    for expected in (
        "POST /graphql",
        "mutation SendCode",
        "mutation SignIn",
        "query Reveal",
        "graphql.parse",
        "graphql.validate",
        "graphql.execute",
        "SELECT",
        "INSERT",
    ):
        assert expected in names, (expected, sorted(set(names)))
    # Every span belongs to the caller's trace and names the request.
    assert {span["context"]["trace_id"] for span in found} == {f"0x{TRACE_ID}"}
    assert {span["attributes"]["gateway.request_id"] for span in found} == {REQUEST_ID}
    servers = [span for span in found if span["kind"] == "SpanKind.SERVER"]
    assert len(servers) == 3
    assert {span["parent_id"] for span in servers} == {f"0x{PARENT_SPAN_ID}"}
    assert {span["resource"]["attributes"]["service.name"] for span in found} == {
        "gateway-under-test"
    }
    operation = next(span for span in found if span["name"] == "mutation SendCode")
    assert operation["attributes"] == {
        "gateway.request_id": REQUEST_ID,
        "graphql.operation.name": "SendCode",
        "graphql.operation.type": "mutation",
        "gateway.outcome": "success",
    }
    statement = next(span for span in found if span["name"] == "INSERT")
    assert set(statement["attributes"]) == {"gateway.request_id", "db.system.name", "db.query.text"}

    exported = console.getvalue()
    secrets = {
        PHONE,
        f"+86{PHONE}",
        code,
        signed_in["accessToken"],
        signed_in["refreshToken"],
        elevated,
        clear_phone,
        revealed["data"]["viewer"]["account"]["email"],
    }
    secrets |= {value for value in sealed if len(value) >= 6}
    assert not {value for value in secrets if value and value in exported}


async def test_a_provider_call_is_a_span_whose_context_the_provider_receives(
    console: io.StringIO,
) -> None:
    seen: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    transport = TracedTransport(httpx.MockTransport(provider), "sms")
    async with httpx.AsyncClient(transport=transport) as http:
        with trace.get_tracer("test").start_as_current_span("caller") as caller:
            await http.post(
                "https://sms.example/send?key=provider-key-77",
                json={"to": "+8613987654321", "code": "481516"},
            )
    [request] = seen
    [provider_span] = [span for span in spans(console) if span["name"] == "sms POST"]
    trace_id = format(caller.get_span_context().trace_id, "032x")
    span_id = provider_span["context"]["span_id"].removeprefix("0x")
    version, sent_trace, sent_span, flags = request.headers["traceparent"].split("-")
    assert (version, sent_trace, sent_span) == ("00", trace_id, span_id)
    assert int(flags, 16) & 1 == 1  # sampled
    assert "baggage" not in request.headers
    assert provider_span["parent_id"] == f"0x{caller.get_span_context().span_id:016x}"
    assert provider_span["attributes"] == {
        "gateway.provider": "sms",
        "http.request.method": "POST",
        "server.address": "sms.example",
        "http.response.status_code": 202,
    }
    exported = console.getvalue()
    for secret in ("provider-key-77", "8613987654321", "481516", "/send"):
        assert secret not in exported


def test_tracing_is_off_unless_an_exporter_is_named() -> None:
    assert tracing.exporter_name({}) is None
    assert tracing.exporter_name({"OTEL_TRACES_EXPORTER": "none"}) is None
    assert tracing.exporter_name({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}) is None
    assert (
        tracing.exporter_name({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"})
        is None
    )
    assert tracing.exporter_name({"OTEL_TRACES_EXPORTER": "otlp"}) == "otlp"
    assert tracing.exporter_name({"OTEL_TRACES_EXPORTER": "Console"}) == "console"


@pytest.mark.parametrize(
    ("environ", "line"),
    [
        (
            {"OTEL_TRACES_EXPORTER": "zipkin"},
            "OTEL_TRACES_EXPORTER: 'zipkin' is not one of otlp, console, none",
        ),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' is not supported; the gateway exports "
            "http/protobuf",
        ),
    ],
)
def test_an_exporter_the_gateway_cannot_honour_is_refused(
    environ: dict[str, str], line: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        tracing.exporter_name(environ)
    assert str(refused.value) == line


async def test_no_span_is_made_while_tracing_is_off(client: httpx.AsyncClient) -> None:
    assert not tracing.tracing_enabled()
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"traceparent": TRACEPARENT}
    )
    assert response.status_code == 200
    assert not trace.get_current_span().get_span_context().is_valid
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


async def test_a_read_the_driver_sends_is_a_span_and_its_failure_an_error(
    console: io.StringIO, engine: AsyncEngine, is_postgres: bool
) -> None:
    observe_engine(engine)
    placeholder = "$1" if is_postgres else "?"
    read = f"SELECT version FROM privacy_policies WHERE version = {placeholder}"  # noqa: S608
    try:
        async with RequestScope(create_session_factory(engine)) as scope:
            connection = await scope.session.connection()
            await fetch_all(connection, read, (SHIPPED_VERSION,))
            with pytest.raises(Exception, match="no_such_table"):
                await fetch_all(connection, "SELECT * FROM no_such_table", ())
    finally:
        await wipe(engine)

    statements = [span for span in spans(console) if span["name"] == "SELECT"]
    assert [span["attributes"]["db.query.text"] for span in statements] == [
        read,
        "SELECT * FROM no_such_table",
    ]
    assert [span["status"]["status_code"] for span in statements] == ["UNSET", "ERROR"]


async def test_a_read_cancelled_on_the_way_is_an_error_span(
    console: io.StringIO, engine: AsyncEngine, is_postgres: bool
) -> None:
    # Cancelled when a sibling field fails or the client goes away.
    observe_engine(engine)
    slow = (
        "SELECT pg_sleep(5)"
        if is_postgres
        else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 10000000) "
        "SELECT count(*) FROM c"
    )
    try:
        async with RequestScope(create_session_factory(engine)) as scope:
            connection = await scope.session.connection()
            read = asyncio.ensure_future(fetch_all(connection, slow, ()))
            await asyncio.sleep(0.3)
            read.cancel()
            with pytest.raises(asyncio.CancelledError):
                await read
    finally:
        await wipe(engine)

    cancelled = [span for span in spans(console) if span["attributes"].get("db.query.text") == slow]
    assert [span["status"]["status_code"] for span in cancelled] == ["ERROR"]
