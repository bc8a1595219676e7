"""Where metrics and traces meet the GraphQL execution and the database engine.

`ObserveOperation` (a schema extension, the first of the list so that it sees the
answer after the error policy shaped it) times and counts each operation, counts its
SQL statements and opens its spans. `observe_engine` hooks the engine's statement and
pool events.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from graphql import GraphQLError
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Gauge
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.extensions import SchemaExtension

from gateway.metrics import (
    GRAPHQL_DURATION,
    GRAPHQL_ERRORS,
    GRAPHQL_NAME,
    GRAPHQL_OPERATIONS,
    OTHER,
    SQL_STATEMENTS,
    operation_name_label,
)
from gateway.tracing import (
    MAX_STATEMENT_CHARS,
    statement_span_name,
    step_span,
    tracer,
    tracing_enabled,
)
from models.database import DriverRead

_ERROR_CODE = re.compile(r"[A-Z][A-Z_]{0,63}")
OPERATION_TYPES = frozenset({"query", "mutation", "subscription"})

POOL_IN_USE = Gauge(
    "gateway_db_pool_connections_in_use",
    "Database connections checked out of the pool now.",
    multiprocess_mode="livesum",
)
POOL_OPEN = Gauge(
    "gateway_db_pool_connections_open",
    "Database connections the pool holds open now (in use or idle).",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "gateway_db_pool_size",
    "Database connections the pool may hold open at once (its size plus overflow).",
    multiprocess_mode="livesum",
)


class StatementCount:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


# The statements of the operation being executed; loaders' tasks share the object.
statement_count: ContextVar[StatementCount | None] = ContextVar("statement_count", default=None)


def error_code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    if isinstance(code, str) and _ERROR_CODE.fullmatch(code):
        return code
    return OTHER


def count_errors(errors: list[GraphQLError] | None) -> None:
    for error in errors or ():
        GRAPHQL_ERRORS.labels(error_code(error)).inc()


class ObserveOperation(SchemaExtension):
    """Metrics and spans of one GraphQL operation (one instance per request)."""

    def __init__(self) -> None:
        self.executed = False

    def _operation(self) -> tuple[str, str, str]:
        """The operation's name as a span shows it, as a metric label shows it (bounded
        in number), and its type."""
        context = self.execution_context
        name = context.operation_name or ""
        if name and not GRAPHQL_NAME.fullmatch(name):
            name = OTHER
        try:
            kind = context.operation_type.value
        except Exception:  # no document, or no operation of that name
            kind = ""
        return name, operation_name_label(name), kind if kind in OPERATION_TYPES else ""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        statements = StatementCount()
        token = statement_count.set(statements)
        try:
            with step_span("graphql.operation") as span:
                yield
                traced, name, kind = self._operation()
                span.update_name(f"{kind or 'graphql'} {traced}".rstrip())
                span.set_attribute("graphql.operation.name", traced)
                span.set_attribute("graphql.operation.type", kind)
                result = self.execution_context.result
                errors = result.errors if result is not None else None
                if not self.executed:
                    outcome = "invalid"
                elif errors:
                    outcome = "error"
                else:
                    outcome = "success"
                span.set_attribute("gateway.outcome", outcome)
                if outcome != "success":
                    span.set_status(Status(StatusCode.ERROR))
        finally:
            statement_count.reset(token)
        GRAPHQL_OPERATIONS.labels(name, kind, outcome).inc()
        GRAPHQL_DURATION.labels(name, kind).observe(time.perf_counter() - started)
        if self.executed:
            SQL_STATEMENTS.labels(name, kind).observe(statements.value)
        count_errors(errors)

    def on_parse(self) -> Iterator[None]:
        with step_span("graphql.parse"):
            yield

    def on_validate(self) -> Iterator[None]:
        with step_span("graphql.validate"):
            yield

    def on_execute(self) -> Iterator[None]:
        self.executed = True
        with step_span("graphql.execute"):
            yield


_observed: weakref.WeakSet[Engine] = weakref.WeakSet()
_SPAN_KEY = "_gateway_span"


def observe_engine(engine: AsyncEngine) -> None:
    """Count and trace every statement of ``engine``, and follow its pool (once)."""
    sync_engine = engine.sync_engine
    if sync_engine in _observed:
        return
    _observed.add(sync_engine)
    system = "sqlite" if sync_engine.dialect.name == "sqlite" else sync_engine.dialect.name

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _before(
        connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        counter = statement_count.get()
        if counter is not None:
            counter.value += 1
        if context is not None and tracing_enabled():
            # The statement's text, its placeholders unfilled; never its parameters.
            span = tracer().start_span(
                statement_span_name(statement),
                kind=SpanKind.CLIENT,
                attributes={
                    "db.system.name": system,
                    "db.query.text": statement[:MAX_STATEMENT_CHARS],
                },
            )
            setattr(context, _SPAN_KEY, span)

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _after(
        connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        span = getattr(context, _SPAN_KEY, None)
        if span is not None:
            delattr(context, _SPAN_KEY)
            if isinstance(context, DriverRead) and context.error is not None:
                span.set_status(Status(StatusCode.ERROR, type(context.error).__name__))
            span.end()

    @event.listens_for(sync_engine, "handle_error")
    def _failed(exception_context: Any) -> None:
        context = exception_context.execution_context
        span = getattr(context, _SPAN_KEY, None) if context is not None else None
        if span is not None:
            delattr(context, _SPAN_KEY)
            error = exception_context.original_exception
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()

    pool = sync_engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if callable(size):
        POOL_SIZE.inc(size() + max(overflow, 0))

    @event.listens_for(pool, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        POOL_IN_USE.inc()

    @event.listens_for(pool, "checkin")
    def _checkin(dbapi_connection: Any, record: Any) -> None:
        POOL_IN_USE.dec()

    @event.listens_for(pool, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        POOL_OPEN.inc()

    @event.listens_for(pool, "close")
    def _close(dbapi_connection: Any, record: Any) -> None:
        POOL_OPEN.dec()

    @event.listens_for(pool, "close_detached")
    def _close_detached(dbapi_connection: Any) -> None:
        POOL_OPEN.dec()
