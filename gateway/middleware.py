"""ASGI middleware: security headers, request ids, unexpected errors, the body-size limit,
the JSON access log."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth.errors import ErrorCode
from gateway.http_errors import error_response
from gateway.http_middleware import HttpMiddleware
from gateway.logging import request_id_var

MAX_BODY_BYTES = 256 * 1024
# An id a client or proxy sent that the gateway keeps: 1 to 128 of these characters.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
REQUEST_ID_HEADER = b"x-request-id"
access_logger = logging.getLogger("gateway.access")
error_logger = logging.getLogger("gateway.errors")

# On every response: no content sniffing, no Referer to other sites, no framing. A
# page's own policy (GraphiQL's, in its <meta> element) applies as well: browsers
# enforce every policy they are given.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NO_FRAMING = "frame-ancestors 'none'"


class SecurityHeadersMiddleware(HttpMiddleware):
    """Adds `SECURITY_HEADERS` to every response, and `Cache-Control: no-store` to every
    response that does not say how it may be cached (the GraphiQL assets do): answers
    hold personal data and tokens, and no cache on the way may keep them."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                policy = headers.get("Content-Security-Policy")
                if policy is None:
                    headers["Content-Security-Policy"] = NO_FRAMING
                elif "frame-ancestors" not in policy:
                    headers["Content-Security-Policy"] = f"{policy}; {NO_FRAMING}"
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def request_id_of(scope: Scope) -> str:
    """The incoming `X-Request-ID` when it is well formed (up to 128 characters of
    letters, digits, ``.``, ``_`` and ``-``; one header only), else a new random id.

    Anything else (too long, empty, other characters, sent twice) is replaced, not
    cleaned: the id goes into log lines, spans and answers as it is.
    """
    sent = [value for name, value in scope["headers"] if name == REQUEST_ID_HEADER]
    if len(sent) == 1:
        try:
            value = bytes(sent[0]).decode("ascii")
        except UnicodeDecodeError:
            value = ""
        if REQUEST_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


class RequestIdMiddleware(HttpMiddleware):
    """Gives every request an id: on the response, in every log line, in error answers.

    A well-formed id the client sent (`request_id_of`) is kept, so that one id follows a
    request through the proxies and services before and after the gateway.

    An exception no layer below handled is logged with the id and answered with a
    GraphQL-shaped INTERNAL_SERVER_ERROR that carries it, never a plain-text page.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if response_started:
                raise
            error_logger.exception("unexpected error outside GraphQL execution")
            response = error_response(
                "Internal server error.", ErrorCode.INTERNAL_SERVER_ERROR, 500
            )
            await response(scope, receive, send_with_id)
        finally:
            access_logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],  # never the query string
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


class BodySizeLimitMiddleware(HttpMiddleware):
    """Answers 413 to a body over the limit, declared or streamed, before the app reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.max_bytes:
                    await self._too_large(scope, receive, send)
                    return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if len(body) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response("Request body too large.", ErrorCode.BAD_USER_INPUT, 413)
        await response(scope, receive, send)
