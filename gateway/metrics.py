"""Prometheus metrics: what the gateway counts, and where it shows them.

Every label value comes from a small, fixed set (a method, a route template, a status,
an error code, a limit's name, a sensitive kind) or is bounded (operation names: the
first ``MAX_OPERATION_NAMES`` a process sees, the rest as ``"other"``). No label ever
holds a variable, a token, an account id or a sensitive value.

The counters of other layers live beside the code that counts: rate-limit refusals in
``auth.rate_limits``, clear reveals in ``resolvers.masking.reveal``, the database pool
in ``models.database``. This module defines the HTTP and GraphQL metrics and exposes
them all.

Several workers (``serve --workers N``) write their samples to files under
``PROMETHEUS_MULTIPROC_DIR`` (the client library's multiprocess mode, chosen when the
library is first imported); every scrape then adds up the files of all workers.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.http_middleware import HttpMiddleware

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
MAX_OPERATION_NAMES = 100
OTHER = "other"
UNMATCHED_ROUTE = "unmatched"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")

HTTP_REQUESTS = Counter(
    "gateway_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "gateway_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template.",
    ["method", "route"],
)
GRAPHQL_OPERATIONS = Counter(
    "gateway_graphql_operations",
    "GraphQL operations, by operation name, type and outcome "
    "(success, error: executed with errors, invalid: refused before execution).",
    ["operation_name", "operation_type", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "gateway_graphql_operation_duration_seconds",
    "Time to parse, validate and execute one GraphQL operation.",
    ["operation_name", "operation_type"],
)
GRAPHQL_ERRORS = Counter(
    "gateway_graphql_errors",
    "Errors in GraphQL answers, by their extensions.code.",
    ["code"],
)
SQL_STATEMENTS = Histogram(
    "gateway_graphql_sql_statements",
    "SQL statements one GraphQL operation ran.",
    ["operation_name", "operation_type"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233),
)

_names_lock = threading.Lock()
_operation_names: set[str] = set()


def operation_name_label(name: str | None) -> str:
    """The label for a client-chosen operation name: bounded in number and form."""
    if not name:
        return ""
    if not GRAPHQL_NAME.fullmatch(name):
        return OTHER
    with _names_lock:
        if name in _operation_names:
            return name
        if len(_operation_names) < MAX_OPERATION_NAMES:
            _operation_names.add(name)
            return name
    return OTHER


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_VARIABLE))


def metrics_registry() -> CollectorRegistry:
    """What a scrape shows: this process's metrics, or every worker's in multiprocess mode."""
    if not multiprocess_mode():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(metrics_registry()), media_type=CONTENT_TYPE_LATEST)


def start_metrics_listener(host: str, port: int) -> None:
    """Serve the metrics on their own listener (a thread of the `serve` process)."""
    start_http_server(port, addr=host, registry=metrics_registry())


def prepare_multiprocess_directory(workers: int) -> Path | None:
    """Set up ``PROMETHEUS_MULTIPROC_DIR`` before workers start; return a folder made here
    (to remove at exit), or ``None``.

    An operator's folder (which must exist before the gateway starts: the library opens
    its files at import) is emptied of a previous run's files, the library's rule: stale
    files would be added to the new run's counts. This process's own files stay. With
    more than one worker and no folder named, a private temporary one is made.
    """
    named = os.environ.get(MULTIPROC_VARIABLE)
    if named:
        own = f"_{os.getpid()}.db"
        for stale in Path(named).glob("*.db"):
            if not stale.name.endswith(own):
                stale.unlink()
        return None
    if workers <= 1:
        return None
    made = Path(tempfile.mkdtemp(prefix="xiamo-gateway-metrics-"))
    os.environ[MULTIPROC_VARIABLE] = str(made)
    return made


def remove_multiprocess_directory(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(MULTIPROC_VARIABLE, None)


def worker_exited() -> None:
    """Drop this worker's live gauges from the shared files (at its shutdown)."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The template of the route a request matches (``/graphql``, ``/graphiql/{path}``),
    never the path itself: paths are unbounded and may carry anything."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            if isinstance(route, Mount):
                return f"{route.path}/{{path}}"
            return str(getattr(route, "path", UNMATCHED_ROUTE))
    return UNMATCHED_ROUTE


class HttpMetricsMiddleware(HttpMiddleware):
    """Counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        super().__init__(app)
        self.routes = routes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            method = scope["method"] if scope["method"] in HTTP_METHODS else "OTHER"
            route = route_template(self.routes, {**scope, "method": "GET"})
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)
