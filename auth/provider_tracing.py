"""A span around every call to an outside provider, and the W3C trace context sent to it.

The span names the provider (``sms``, ``email``, ``id_verification``, ``wechat``), the
method, the provider's host and the answer's status: never the URL's path or query
(WeChat's token URL carries the app secret and the sign-in code), a header or a body.
Only ``traceparent`` and ``tracestate`` go out; baggage a client sent in is not passed
on to providers.

Without a configured tracer provider (``OTEL_TRACES_EXPORTER`` unset) the API's no-op
tracer makes this free, and nothing is added to the request.
"""

from __future__ import annotations

import httpx
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

PROPAGATOR = TraceContextTextMapPropagator()


class TracedTransport(httpx.AsyncBaseTransport):
    """Wraps a transport: one CLIENT span per request, its context in the request headers."""

    def __init__(self, inner: httpx.AsyncBaseTransport, provider: str) -> None:
        self._inner = inner
        self.provider = provider

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with trace.get_tracer("gateway.providers").start_as_current_span(
            f"{self.provider} {request.method}",
            kind=SpanKind.CLIENT,
            attributes={
                "gateway.provider": self.provider,
                "http.request.method": request.method,
                "server.address": request.url.host,
            },
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            carrier: dict[str, str] = {}
            PROPAGATOR.inject(carrier)
            for name, value in carrier.items():
                request.headers[name] = value
            try:
                response = await self._inner.handle_async_request(request)
            except Exception as exc:
                # The exception's type only: its text may quote the URL.
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 400:
                span.set_status(Status(StatusCode.ERROR))
            return response

    async def aclose(self) -> None:
        await self._inner.aclose()
