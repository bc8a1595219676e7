"""Rows a query only shows, read without the ORM's bookkeeping.

A query answers from rows it never changes. Loaded as ORM instances, each statement pays
for its loaders' setup and each row for an identity-map entry and instance state: on
the SPA's home screen, a statement of a few rows cost four to five times what the
driver spends on it. `rows` reads such a statement's SQL, compiled once per dialect,
as the driver's SQL on the session's connection, sent by asyncpg itself on PostgreSQL
(`models.database.fetch_all`; SQLAlchemy's cursor events still see it: the guard
against writes outside a unit of work, tracing, statement counts), passes
every value through its column type, as SQLAlchemy would, and makes each entity of a
row a plain instance of its model that no session tracks. Reading an attribute that was
not loaded raises, and so does setting one: a shown row is never written back.

The ORM reads as before while a unit of work runs, and in every operation that is not a
query (`RequestScope.display_reads`): a mutation loads, changes and re-reads its rows
through the session, which sees its own unflushed changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Select, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.util import AliasedClass
from sqlalchemy.sql.compiler import ExpandedState, SQLCompiler

from models.database import SerializedSession, fetch_all
from models.unit_of_work import TRACKER, WriteTracker

Processor = Callable[[Any], Any] | None
# What takes one argument's value from a read's parameters.
Take = Callable[[Mapping[str, Any]], Any]
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
class _Shape:
    """A read's SQL for one shape of its parameters (how many values each `IN` list
    holds), and where each of the driver's arguments comes from: a parameter, or one
    value of a list, through its type's bind processing."""

    sql: str
    # Per argument: what takes its value from the parameters, and its processing.
    sources: tuple[tuple[Take, Processor], ...]
    names: tuple[str, ...] | None  # the arguments' names, for a driver that takes them


@dataclass(frozen=True, slots=True)
class _Read:
    compiled: SQLCompiler
    processors: tuple[Processor, ...]
    # Per part of the row: an entity, or the position of a plain column.
    parts: tuple[_Entity | int, ...]
    # The SQL of each shape of parameters seen, when values never enter the SQL itself
    # (every parameter rendered late is an `IN` list), and those lists' names.
    shapes: dict[tuple[tuple[str, int], ...], _Shape] | None
    listed: frozenset[str]
    # Each parameter's bind processing (an `IN` list's, per value, comes with its spread).
    bind_processors: Mapping[str, Processor]


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
# The loaders and listings hold a few dozen statements (a listing's per shape of its
# filters and walks); far more means statements made per request, each kept for good.
MAX_READS = 500


def _read_of(statement: AnySelect, dialect: Dialect) -> _Read:
    """The statement compiled for `dialect` with its entities spread, made once: pass
    statements built once (the loaders', the listings'), not one per request."""
    key = (statement, type(dialect))
    read = _reads.get(key)
    if read is None:
        if len(_reads) >= MAX_READS:
            raise RuntimeError(
                "too many statements read for display: build each statement once (per shape) "
                "and pass its values as parameters"
            )
        columns, parts = _flattened(statement)
        spread = statement.with_only_columns(*columns, maintain_column_froms=True)
        compiled = spread.compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler):
            raise TypeError("only SELECT statements are read for display")
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        shaped = not compiled.literal_execute_params and all(
            parameter.expanding for parameter in compiled.post_compile_params
        )
        listed = frozenset(parameter.key for parameter in compiled.post_compile_params)
        bind_processors = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        read = _reads[key] = _Read(
            compiled, processors, tuple(parts), {} if shaped else None, listed, bind_processors
        )
    return read


# Shapes kept per read, and the longest `IN` list a kept shape holds. A request may batch
# thousands of keys (30 aliases of `nodes(ids:)`, 100 IDs each): such a list is spread
# for each read, so that no client can make a worker keep the SQL of every length.
MAX_SHAPES = 128
MAX_LISTED = 100


def _processors(read: _Read, state: ExpandedState) -> dict[str, Processor]:
    """The bind processing of each of the state's parameters."""
    return {**read.bind_processors, **state.processors}


def _expanded(read: _Read, parameters: Mapping[str, Any]) -> tuple[str, Any]:
    """The SQL with its late parameters rendered for these values (an `IN` list spread),
    and the values as the driver takes them, each through its type's bind processing."""
    state = read.compiled.construct_expanded_state(parameters)
    processors = _processors(read, state)
    values = {
        name: processor(value) if (processor := processors.get(name)) is not None else value
        for name, value in state.parameters.items()
    }
    if state.positiontup is None:
        return state.statement, values
    return state.statement, tuple(values[name] for name in state.positiontup)


def _shape_of(read: _Read, parameters: Mapping[str, Any]) -> _Shape | None:
    """The SQL with its `IN` lists spread for as many values as these have, and where
    each argument comes from: a parameter, one value of a list, or a value the
    statement holds. None when an item of a list spreads into several arguments (a
    tuple)."""
    state = read.compiled.construct_expanded_state(parameters)
    taken: dict[str, Take] = {name: itemgetter(name) for name in parameters}
    for name, spread in (state.parameter_expansion or {}).items():
        if len(spread) != len(parameters[name]):
            return None
        taken.update((expanded, _item(name, index)) for index, expanded in enumerate(spread))
    processors = _processors(read, state)
    names = tuple(state.positiontup or state.parameters)
    sources = tuple(
        (taken.get(name) or _held(state.parameters[name]), processors.get(name)) for name in names
    )
    return _Shape(state.statement, sources, None if state.positiontup is not None else names)


def _item(name: str, index: int) -> Take:
    return lambda given: given[name][index]


def _held(value: Any) -> Take:
    return lambda given: value


def _arguments(read: _Read, parameters: Mapping[str, Any]) -> tuple[str, Any]:
    """The SQL for these parameters and the values as the driver takes them, each
    through its type's bind processing: the SQL of each shape is made once."""
    shapes = read.shapes
    if shapes is None or any(
        not isinstance(listed := parameters.get(name), list | tuple) or len(listed) > MAX_LISTED
        for name in read.listed
    ):
        return _expanded(read, parameters)
    key = tuple(
        (name, len(value) if name in read.listed else -1) for name, value in parameters.items()
    )
    shape = shapes.get(key)
    if shape is None:
        shape = _shape_of(read, parameters)
        if shape is None:
            return _expanded(read, parameters)
        if len(shapes) < MAX_SHAPES:
            shapes[key] = shape
    values = [
        take(parameters) if processor is None else processor(take(parameters))
        for take, processor in shape.sources
    ]
    if shape.names is None:
        return shape.sql, tuple(values)
    return shape.sql, dict(zip(shape.names, values, strict=True))


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
    session: AsyncSession, statement: AnySelect, parameters: Mapping[str, Any] | None = None
) -> Sequence[Any]:
    """The rows of an ORM `statement`, each as the ORM's row would hold them (entities,
    then plain columns, in the statement's order): shown rows while the session reads
    for display, the ORM's own rows otherwise.

    The statement is built once and reused (a loader's, a listing's walk), its values
    given as `parameters`: its SQL is compiled here once per dialect and sent as the
    driver's."""
    async with _turn(session):  # the decision and the read in one turn of the session
        if not reads_for_display(session):
            loaded: Sequence[Any] = (await session.execute(statement, parameters)).all()
            return loaded
        read = _read_of(statement, session.sync_session.get_bind().dialect)
        sql, arguments = _arguments(read, parameters or {})
        found = await _fetch(session, sql, arguments)
    processors, parts = read.processors, read.parts
    processed = (
        [
            value if processor is None or value is None else processor(value)
            for processor, value in zip(processors, raw, strict=True)
        ]
        for raw in found
    )
    return [
        tuple(values[part] if isinstance(part, int) else _built(part, values) for part in parts)
        for values in processed
    ]


async def scalars(
    session: AsyncSession, statement: AnySelect, parameters: Mapping[str, Any] | None = None
) -> list[Any]:
    """The first entity or column of each of `rows`."""
    return [row[0] for row in await rows(session, statement, parameters)]


def _turn(session: AsyncSession) -> AbstractAsyncContextManager[None]:
    """The session's turn: its connection serves one task at a time."""
    return session.turn() if isinstance(session, SerializedSession) else nullcontext()


async def _fetch(session: AsyncSession, sql: str, arguments: Any) -> Sequence[Any]:
    return await fetch_all(await _connection(session), sql, arguments)


# Where a session keeps the connection its reads for display go through, with the
# transaction that holds it.
_CONNECTION = "gateway.display_connection"


async def _connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection, asked of the session once per transaction of it: a
    transaction keeps its connection until it ends, and asking again (a greenlet
    switch, SQLAlchemy's transaction bookkeeping) cost each read about two thirds of
    what asyncpg spends on it. A read after the transaction ended
    (a unit of work began, the read transaction was committed) asks again.

    While the session holds no connection, a request scope's reads go through a Core
    connection of their own instead (`SerializedSession.reading_connection`)."""
    if isinstance(session, SerializedSession):
        reading = await session.reading_connection()
        if reading is not None:
            return reading
    sync_session = session.sync_session
    transaction = sync_session.get_transaction()
    kept = sync_session.info.get(_CONNECTION)
    if kept is not None and transaction is not None:
        held_by, connection = kept
        if held_by is transaction and transaction.is_active:
            return cast(AsyncConnection, connection)
    connection = await session.connection()
    sync_session.info[_CONNECTION] = (sync_session.get_transaction(), connection)
    return connection
