"""OpenTelemetry traces, configured by the standard ``OTEL_*`` variables only.

Off unless ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp`` or ``console``; ``none``
or unset: off; ``OTEL_SDK_DISABLED=true``: off). The OTLP exporter speaks
``http/protobuf`` and reads its own variables (``OTEL_EXPORTER_OTLP_ENDPOINT``,
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, ``OTEL_EXPORTER_OTLP_HEADERS``, …); the
resource reads ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``, and the service is
called ``xiamo-gateway`` when neither names it.

Spans: one per HTTP request (continuing an incoming W3C ``traceparent``), one per
GraphQL operation with its parse, validate and execute steps, one per SQL statement
and one per call to an outside provider (auth/provider_tracing.py). Every span carries
the request id. Attributes are chosen, never copied: the route template, the method,
the status, the operation's name and type, the statement text with its placeholders.
Never a variable, a header, a query string, a parameter, an exception's message.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.http_middleware import HttpMiddleware
from gateway.logging import request_id_var
from gateway.metrics import HTTP_METHODS, route_template
from gateway.settings import ConfigurationError

EXPORTERS = ("otlp", "console", "none")
OTLP_PROTOCOL = "http/protobuf"
DEFAULT_SERVICE_NAME = "xiamo-gateway"
REQUEST_ID_ATTRIBUTE = "gateway.request_id"
MAX_STATEMENT_CHARS = 2000

PROPAGATOR = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None


class RequestIdProcessor(SpanProcessor):
    """Puts the id of the request a span belongs to on the span, as it starts."""

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        request_id = request_id_var.get()
        if request_id is not None:
            span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)

    def on_end(self, span: ReadableSpan) -> None:
        return None


def exporter_name(environ: Mapping[str, str]) -> str | None:
    """The exporter the variables ask for, ``None`` when tracing is off; a value the
    gateway cannot honour stops it at start with one line."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    raw = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if raw in ("", "none"):
        return None
    if raw not in EXPORTERS:
        raise ConfigurationError(
            "OTEL_TRACES_EXPORTER", f"{raw!r} is not one of {', '.join(EXPORTERS)}"
        )
    for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = environ.get(name, "").strip().lower()
        if raw == "otlp" and protocol and protocol != OTLP_PROTOCOL:
            raise ConfigurationError(
                name, f"{protocol!r} is not supported; the gateway exports {OTLP_PROTOCOL}"
            )
    return raw


def configure_tracing(
    environ: Mapping[str, str] = os.environ, *, console: TextIO | None = None
) -> bool:
    """Install the tracer provider the variables describe, once per process; whether
    tracing is on. ``console`` is where the console exporter writes (standard output)."""
    global _provider
    name = exporter_name(environ)
    if name is None or _provider is not None:
        return _provider is not None
    # The SDK reads OTEL_RESOURCE_ATTRIBUTES itself; the service's name is settled here.
    service = environ.get("OTEL_SERVICE_NAME", "").strip()
    attributes = {SERVICE_NAME: service or DEFAULT_SERVICE_NAME}
    if not service and "service.name=" in environ.get("OTEL_RESOURCE_ATTRIBUTES", ""):
        attributes = {}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(RequestIdProcessor())
    exporter: SpanExporter
    if name == "console":
        exporter = ConsoleSpanExporter(out=console or sys.stdout)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _provider = provider
    return True


def tracer() -> trace.Tracer:
    """The gateway's tracer, asked for at each use: a no-op one while tracing is off."""
    return trace.get_tracer("gateway")


def tracing_enabled() -> bool:
    return _provider is not None


def flush_traces() -> None:
    """Send what is buffered (at a worker's shutdown: a signal ends it before atexit)."""
    if _provider is not None:
        _provider.force_flush()


@contextmanager
def step_span(name: str, **attributes: Any) -> Iterator[trace.Span]:
    """A span that never records an exception's message (it may quote input); while
    tracing is off, the invalid span, at no cost (every request opens several)."""
    if _provider is None:
        yield trace.INVALID_SPAN
        return
    with tracer().start_as_current_span(
        name, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield span
        except BaseException as exc:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


class HttpTracingMiddleware(HttpMiddleware):
    """One SERVER span per HTTP request, the child of an incoming ``traceparent``."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        super().__init__(app)
        self.routes = routes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not tracing_enabled():
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in (b"traceparent", b"tracestate")
        }
        parent = PROPAGATOR.extract(carrier)
        method = scope["method"] if scope["method"] in HTTP_METHODS else "OTHER"
        route = route_template(self.routes, {**scope, "method": "GET"})
        with tracer().start_as_current_span(
            f"{method} {route}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "http.route": route},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:

            async def record_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                    if message["status"] >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            try:
                await self.app(scope, receive, record_status)
            except Exception as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise


def statement_span_name(statement: str) -> str:
    words = statement.lstrip().split(None, 1)
    return words[0].upper() if words and words[0].isalpha() else "SQL"
