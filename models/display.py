"""Rows a query only shows, read without the ORM's bookkeeping.

A query answers from rows it never changes. Loaded as ORM instances, each statement pays
for its loaders' setup and each row for an identity-map entry and instance state: on
the SPA's home screen, a statement of a few rows cost four to five times what the
driver spends on it. `rows` reads such a statement's SQL, compiled once per dialect,
as the driver's SQL on the session's connection (SQLAlchemy's cursor events still see
it: the guard against writes outside a unit of work, tracing, statement counts), passes
every value through its column type, as SQLAlchemy would, and makes each entity of a
row a plain instance of its model that no session tracks. Reading an attribute that was
not loaded raises, and so does setting one: a shown row is never written back.

The ORM reads as before while a unit of work runs, and in every operation that is not a
query (`RequestScope.display_reads`): a mutation loads, changes and re-reads its rows
through the session, which sees its own unflushed changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import AliasedClass
from sqlalchemy.sql.compiler import SQLCompiler

from models.database import SerializedSession
from models.unit_of_work import TRACKER, WriteTracker

Processor = Callable[[Any], Any] | None
# A SELECT of any columns and entities.
AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class _Entity:
    """Where one model's columns sit in a row, and what they fill."""

    model: type[Any]
    start: int
    keys: tuple[str, ...]
    identity: int  # the position of its primary key: None there is an empty outer join


@dataclass(frozen=True, slots=True)
class _Read:
    compiled: SQLCompiler
    processors: tuple[Processor, ...]
    # Per part of the row: an entity, or the position of a plain column.
    parts: tuple[_Entity | int, ...]


def _flattened(statement: AnySelect) -> tuple[list[Any], list[_Entity | int]]:
    """The statement's columns with every entity spread into its mapped columns, and
    where each part of the ORM's row sits among them."""
    columns: list[Any] = []
    parts: list[_Entity | int] = []
    for described in statement.column_descriptions:
        expression = described["expr"]
        if isinstance(expression, type | AliasedClass):
            mapper = inspect(expression).mapper
            keys = tuple(attribute.key for attribute in mapper.column_attrs)
            (identity,) = (
                keys.index(mapper.get_property_by_column(column).key)
                for column in mapper.primary_key
            )
            parts.append(_Entity(mapper.class_, len(columns), keys, identity))
            columns.extend(getattr(expression, key) for key in keys)
        else:
            parts.append(len(columns))
            columns.append(expression)
    return columns, parts


# By statement and dialect class (the driver: asyncpg, aiosqlite, ...).
_reads: dict[tuple[AnySelect, type[Dialect]], _Read] = {}
# The loaders hold a few dozen statements; far more means statements made per request
# were passed as built once, and each would be kept for good.
MAX_READS = 500


def _read_of(statement: AnySelect, dialect: Dialect) -> _Read:
    """The statement compiled for `dialect` with its entities spread, made once: pass
    statements built once (the loaders'), not one per request."""
    key = (statement, type(dialect))
    read = _reads.get(key)
    if read is None:
        if len(_reads) >= MAX_READS:
            raise RuntimeError(
                "too many statements read for display as built once: pass a statement made "
                "per request with built_once=False"
            )
        columns, parts = _flattened(statement)
        spread = statement.with_only_columns(*columns, maintain_column_froms=True)
        compiled = spread.compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler):
            raise TypeError("only SELECT statements are read for display")
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        read = _reads[key] = _Read(compiled, processors, tuple(parts))
    return read


def _arguments(compiled: SQLCompiler, parameters: Mapping[str, Any]) -> tuple[str, Any]:
    """The SQL with its expanding parameters (`IN`) spread for these values, and the
    values as the driver takes them, each through its type's bind processing."""
    state = compiled.construct_expanded_state(parameters)
    processors = state.processors
    values = {
        name: processor(value) if (processor := processors.get(name)) is not None else value
        for name, value in state.parameters.items()
    }
    if state.positiontup is None:
        return state.statement, values
    return state.statement, tuple(values[name] for name in state.positiontup)


def _built(entity: _Entity, values: Sequence[Any]) -> Any:
    found = values[entity.start : entity.start + len(entity.keys)]
    if found[entity.identity] is None:
        return None
    shown = object.__new__(entity.model)
    shown.__dict__.update(zip(entity.keys, found, strict=True))
    return shown


def reads_for_display(session: AsyncSession) -> bool:
    """Whether the session's request only reads and no unit of work runs (a session
    without a request scope always reads through the ORM)."""
    tracker: WriteTracker | None = session.sync_session.info.get(TRACKER)
    return tracker is not None and tracker.display_reads and not tracker.writing


async def rows(
    session: AsyncSession,
    statement: AnySelect,
    parameters: Mapping[str, Any] | None = None,
    *,
    built_once: bool = True,
) -> Sequence[Any]:
    """The rows of an ORM `statement`, each as the ORM's row would hold them (entities,
    then plain columns, in the statement's order): shown rows while the session reads
    for display, the ORM's own rows otherwise.

    `built_once`: the statement is made once and reused (a loader's), so its SQL is
    compiled here once and sent as the driver's. A statement made for one request (a
    page's, with its position in it) goes through SQLAlchemy Core instead, whose cache
    keeps the compiled form of each shape."""
    async with _turn(session):  # the decision and the read in one turn of the session
        if not reads_for_display(session):
            loaded: Sequence[Any] = (await session.execute(statement, parameters)).all()
            return loaded
        if built_once:
            read = _read_of(statement, session.sync_session.get_bind().dialect)
            sql, arguments = _arguments(read.compiled, parameters or {})
            found = await _fetch(session, sql, arguments)
        else:
            columns, entities = _flattened(statement)
            spread = statement.with_only_columns(*columns, maintain_column_froms=True)
            found = await _execute(session, spread, parameters)
    parts: Sequence[_Entity | int]
    if built_once:
        processors, parts = read.processors, read.parts
        found = [
            [
                value if processor is None or value is None else processor(value)
                for processor, value in zip(processors, raw, strict=True)
            ]
            for raw in found
        ]
    else:
        parts = entities
    return [
        tuple(values[part] if isinstance(part, int) else _built(part, values) for part in parts)
        for values in found
    ]


async def scalars(
    session: AsyncSession,
    statement: AnySelect,
    parameters: Mapping[str, Any] | None = None,
    *,
    built_once: bool = True,
) -> list[Any]:
    """The first entity or column of each of `rows`."""
    return [row[0] for row in await rows(session, statement, parameters, built_once=built_once)]


@asynccontextmanager
async def _turn(session: AsyncSession) -> AsyncIterator[None]:
    """The session's turn: its connection serves one task at a time."""
    if isinstance(session, SerializedSession):
        async with session.turn():
            yield
    else:
        yield


async def _fetch(session: AsyncSession, sql: str, arguments: Any) -> Sequence[Any]:
    connection = await session.connection()
    return (await connection.exec_driver_sql(sql, arguments)).all()


async def _execute(
    session: AsyncSession, statement: AnySelect, parameters: Mapping[str, Any] | None
) -> Sequence[Any]:
    connection = await session.connection()
    found: Sequence[Any] = (await connection.execute(statement, parameters)).all()
    return found
