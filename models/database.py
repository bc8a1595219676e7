"""The async engine, the session every request and command uses, and SQLite's writer rules.

SQLite is the embedded default, so it is set up to behave under concurrency: WAL (readers
never wait for the writer), a busy timeout (another process's writer is waited for, not
failed on), and writing transactions that take the write lock when they begin (`BEGIN
IMMEDIATE`), because a transaction that reads first and writes later fails at once
when another writer committed in between. Inside one process, writers also queue on the
engine's `WriteGate` instead of polling the file lock.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import orjson
from prometheus_client import Counter
from sqlalchemy import Connection, Engine, event, exc, make_url
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    AsyncSessionTransaction,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# A pooled server connection is replaced after this long instead of being pinged before
# every checkout (a ping is three round trips on asyncpg: BEGIN, an empty query,
# ROLLBACK). A connection the server dropped all the same fails its request once and
# is discarded by the pool.
POOL_RECYCLE_SECONDS = 300
# The execution option that makes a SQLite transaction begin with BEGIN IMMEDIATE.
WRITING = {"sqlite_begin": "IMMEDIATE"}
# What a request only reads runs in no transaction at all (`reading_engine`): no BEGIN
# and no COMMIT. Under PostgreSQL's READ COMMITTED every statement took its own snapshot
# anyway; on SQLite each statement is its own read transaction.


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


POOL_WAITS = Counter(
    "gateway_db_pool_waits",
    "Connection requests that found the pool at its limit with none free, and waited.",
)


class CountingQueuePool(AsyncAdaptedQueuePool):
    """The default pool of an async engine, counting the requests that have to wait."""

    # Log under SQLAlchemy's own name, whose level SQLAlchemy keeps at WARNING.
    _sqla_logger_namespace = "sqlalchemy.pool.impl.AsyncAdaptedQueuePool"

    def _do_get(self) -> Any:
        at_limit = self._max_overflow > -1 and self._overflow >= self._max_overflow
        if at_limit and self._pool.empty():
            POOL_WAITS.inc()
        return super()._do_get()


def _in_memory(url: str) -> bool:
    return is_sqlite(url) and make_url(url).database in (None, "", ":memory:")


def create_engine(url: str, *, echo: bool = False, **pool: Any) -> AsyncEngine:
    """An engine whose errors never carry statement parameters (they may be personal data).

    ``pool`` passes pool options (``pool_size``, ``max_overflow``, ``pool_timeout``).
    """
    # JSON columns (permissions, needs) are read with orjson: a page reads two per row.
    options: dict[str, Any] = {
        "hide_parameters": True,
        "echo": echo,
        "json_deserializer": orjson.loads,
        **pool,
    }
    if not _in_memory(url):
        options["poolclass"] = CountingQueuePool
    if is_sqlite(url):
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    else:
        options["pool_recycle"] = POOL_RECYCLE_SECONDS
    engine = create_async_engine(url, **options)
    if is_sqlite(url):
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    # The sqlite3 module opens transactions lazily and never for SAVEPOINT; let
    # SQLAlchemy emit BEGIN itself so that transactions and savepoints behave as on
    # PostgreSQL (SQLAlchemy's documented recipe for pysqlite and aiosqlite).
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # Durable at every checkpoint and safe in WAL mode; no sync per commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin")
        if mode == "NONE":
            return  # READING: each statement runs in its own implicit transaction
        connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


_reading: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def reading_engine(engine: Engine) -> tuple[Engine, dict[str, Any]]:
    """`engine` whose connections read outside any transaction (READING), made once, and
    the execution options a unit of work then begins its transaction with.

    On SQLite the isolation level is left alone (`_on_begin` begins its transactions);
    on PostgreSQL a unit of work takes back the server's READ COMMITTED."""
    sqlite = engine.dialect.name == "sqlite"
    found = _reading.get(engine)
    if found is None:
        options = {"sqlite_begin": "NONE"} if sqlite else {"isolation_level": "AUTOCOMMIT"}
        found = _reading[engine] = engine.execution_options(**options)
        event.listen(found, "before_cursor_execute", _refuse_writes_while_reading)
    return found, WRITING if sqlite else {**WRITING, "isolation_level": "READ COMMITTED"}


# Statements that change the database, by their first keyword; and DML inside a WITH.
WRITING_KEYWORDS = frozenset(
    "INSERT UPDATE DELETE MERGE UPSERT REPLACE CREATE ALTER DROP TRUNCATE GRANT REVOKE "
    "COPY LOCK VACUUM REINDEX CLUSTER COMMENT REFRESH".split()
)
_DML_IN_WITH = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
OUTSIDE = "a read wrote to the database outside a unit of work"
ENDED = "the request has ended: its session takes no more work"


def writes(statement: str) -> bool:
    """Whether an SQL statement changes the database (as far as its text says)."""
    words = statement.lstrip().split(None, 1)
    if not words:
        return False
    first = words[0].upper()
    return first in WRITING_KEYWORDS or (first == "WITH" and bool(_DML_IN_WITH.search(statement)))


def _refuse_writes_while_reading(
    connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    """A connection of the reading engine runs outside any transaction: a write sent on it
    (by the ORM, Core, text or the driver's SQL) would be committed at once. Only a unit
    of work, which begins its transaction with the WRITING options, may write on it."""
    if connection.get_execution_options().get("sqlite_begin") != WRITING["sqlite_begin"]:
        if writes(statement):
            raise RuntimeError(OUTSIDE)


class WriteGate:
    """Lets one writing transaction of the process in at a time, on SQLite only.

    SQLite has one writer at a time; queueing writers here (first come, first served)
    spares them polling the file lock. PostgreSQL needs no gate: its row locks and
    constraints decide between concurrent writers.
    """

    def __init__(self, serialize: bool) -> None:
        self.serialize = serialize
        self._lock = asyncio.Lock() if serialize else None

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        if self._lock is None:
            yield
            return
        async with self._lock:
            yield


_gates: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()
_async_engines: weakref.WeakKeyDictionary[Engine, AsyncEngine] = weakref.WeakKeyDictionary()
# Sessions still closing after their request was cancelled (`SerializedSession.end`):
# held here until they are done, since the loop keeps only weak references to tasks.
_closing: set[asyncio.Task[None]] = set()


def _async_engine(engine: Engine) -> AsyncEngine:
    """The async engine over `engine` (the reading engine of a request scope), made once."""
    found = _async_engines.get(engine)
    if found is None:
        found = _async_engines[engine] = AsyncEngine(engine)
    return found


def write_gate(engine: Engine) -> WriteGate:
    """The gate of an engine, made on first use."""
    gate = _gates.get(engine)
    if gate is None:
        gate = _gates[engine] = WriteGate(serialize=engine.dialect.name == "sqlite")
    return gate


def _in_turn(name: str) -> Callable[..., Awaitable[Any]]:
    """AsyncSession's method `name`, called only in the session's turn."""

    async def serialized(session: SerializedSession, *args: Any, **kwargs: Any) -> Any:
        async with session.turn():
            await session._own_work(closing=name == "close")
            return await getattr(AsyncSession, name)(session, *args, **kwargs)

    serialized.__name__ = name
    return serialized


class SerializedSession(AsyncSession):
    """An AsyncSession that the concurrent resolvers of one request may share.

    GraphQL resolves sibling fields, aliases and dataloader batches concurrently, and an
    AsyncSession must never be used by two tasks at once. Every operation of this
    session waits for its turn, so that sharing it is safe by construction. A task
    that holds the turn may call the session again (SQLAlchemy's own `scalars` calls
    `execute`); a savepoint block holds the turn only while it opens and closes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None
        self._reading: AsyncConnection | None = None
        self._ended = False

    def turn(self) -> _Turn:
        """The session's turn, to hold with ``async with``."""
        return _Turn(self)

    async def end(self) -> None:
        """Close the session for good: the request it served has ended.

        Work of the request may still be running in tasks of its own (a dataloader's
        batch, when a failing field cancelled the fields that awaited it); a connection
        it took now would never be put back. From here on, every operation but `close`
        raises `RuntimeError(ENDED)`.

        Closing waits for the session's turn, which such work may hold. When the
        request is cancelled meanwhile (a server's timeout, its shutdown), the session
        is closed all the same, in a task of its own, once the turn is free."""
        self._ended = True
        try:
            await self.close()
        except asyncio.CancelledError:
            closing = asyncio.get_running_loop().create_task(self.close())
            _closing.add(closing)
            closing.add_done_callback(_closing.discard)
            raise

    def _refuse_if_ended(self) -> None:
        if self._ended:
            raise RuntimeError(ENDED)

    async def _own_work(self, *, closing: bool = False) -> None:
        """Before the session does anything itself, in its turn: refused once it ended
        (but closing), and the reads' own connection put back."""
        if not closing:
            self._refuse_if_ended()
        await self._put_back_reading()

    async def reading_connection(self) -> AsyncConnection | None:
        """A connection of the session's engine for reads sent as the driver's SQL while
        the session itself holds none (it is in no transaction); None otherwise, or when
        the session is bound to a connection. Call it in the session's turn.

        A Core connection costs a request a third of what the session's own connection
        and its transaction bookkeeping cost (checking it out, then committing and
        closing). It is put back in the pool before the session does anything itself,
        so a request never holds two connections at once, and when the session closes
        (`put_back_reading`)."""
        self._refuse_if_ended()
        reading = self._reading
        if reading is not None and not reading.invalidated:
            return reading
        sync_session = self.sync_session
        bind = sync_session.bind
        if not isinstance(bind, Engine) or sync_session.in_transaction():
            return None
        await self._put_back_reading()
        self._reading = await _async_engine(bind).connect()
        return self._reading

    async def put_back_reading(self) -> None:
        """Put back the connection of `reading_connection`, if one is held."""
        async with self.turn():
            await self._put_back_reading()

    async def _put_back_reading(self) -> None:
        reading, self._reading = self._reading, None
        if reading is not None:
            await reading.close()

    if not TYPE_CHECKING:  # the type checker keeps AsyncSession's own signatures
        execute = _in_turn("execute")
        scalar = _in_turn("scalar")
        scalars = _in_turn("scalars")
        get = _in_turn("get")
        get_one = _in_turn("get_one")
        stream = _in_turn("stream")
        stream_scalars = _in_turn("stream_scalars")
        delete = _in_turn("delete")
        merge = _in_turn("merge")
        flush = _in_turn("flush")
        refresh = _in_turn("refresh")
        run_sync = _in_turn("run_sync")
        connection = _in_turn("connection")
        commit = _in_turn("commit")
        rollback = _in_turn("rollback")
        close = _in_turn("close")
        invalidate = _in_turn("invalidate")
        reset = _in_turn("reset")

    def begin_nested(self) -> AsyncSessionTransaction:
        return _SerializedTransaction(self, nested=True)

    def begin(self) -> AsyncSessionTransaction:
        return _SerializedTransaction(self, nested=False)


class _Turn:
    """One task's hold on a session's turn (every call of the session takes one, so it
    is a plain class rather than a generator-based context manager). A task that holds
    the turn already passes through."""

    __slots__ = ("_held", "_session")

    def __init__(self, session: SerializedSession) -> None:
        self._session = session
        self._held = False

    async def __aenter__(self) -> None:
        session = self._session
        task = asyncio.current_task()
        if task is not None and session._holder is task:
            return
        await session._turn.acquire()
        session._holder = task
        self._held = True

    async def __aexit__(self, *exc_info: object) -> None:
        if self._held:
            self._held = False
            self._session._holder = None
            self._session._turn.release()


class _SerializedTransaction(AsyncSessionTransaction):
    """A transaction or savepoint block whose opening and closing wait for the turn."""

    def __init__(self, session: SerializedSession, nested: bool) -> None:
        super().__init__(session, nested=nested)
        self._serialized_session = session

    async def __aenter__(self) -> AsyncSessionTransaction:
        async with self._serialized_session.turn():
            await self._serialized_session._own_work()
            return await super().__aenter__()

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        async with self._serialized_session.turn():
            await super().__aexit__(type_, value, traceback)

    async def commit(self) -> None:
        async with self._serialized_session.turn():
            await super().commit()

    async def rollback(self) -> None:
        async with self._serialized_session.turn():
            await super().rollback()


class DriverRead:
    """What SQLAlchemy's cursor hooks get as the execution context of a read that
    `fetch_all` sends straight to the driver: listeners may keep what they need on it
    (a span), and `error` is what the driver raised, if it raised."""

    def __init__(self) -> None:
        self.error: BaseException | None = None


async def fetch_all(connection: AsyncConnection, sql: str, arguments: Any) -> Sequence[Any]:
    """Every row of the driver's `sql` with its `arguments`, each row a sequence of the
    driver's values.

    On PostgreSQL the statement goes to asyncpg itself when the connection reads outside
    any transaction or inside one already begun (where SQLAlchemy would send it as it
    stands): SQLAlchemy's execution (its context, cursor and result objects) doubled
    the cost of a read of a few rows. SQLAlchemy's cursor hooks are called
    all the same (the guard against writes outside a unit of work, statement counts,
    tracing), with a `DriverRead` as the context; the adapter's lock keeps it from
    overlapping SQLAlchemy's own statements on the connection; a failure is raised as
    SQLAlchemy raises it (a DBAPIError), and a connection that broke on the way is
    invalidated, as SQLAlchemy does. Elsewhere (SQLite) SQLAlchemy sends it."""
    sync = connection.sync_connection
    pooled = sync.connection if sync is not None else None
    adapted = pooled.dbapi_connection if pooled is not None else None
    driver = pooled.driver_connection if pooled is not None else None
    if (
        sync is None
        or not isinstance(adapted, AsyncAdapt_asyncpg_connection)
        or not isinstance(arguments, tuple)
        or not (adapted.autocommit or driver.is_in_transaction())
    ):
        return (await connection.exec_driver_sql(sql, arguments)).all()
    context = DriverRead()
    dispatch = sync.dispatch
    dispatch.before_cursor_execute(sync, None, sql, arguments, context, False)
    try:
        # The adapter's own statements wait for this lock too: one statement at a time
        # on the driver's connection, whichever path sends it.
        async with adapted._execute_mutex:
            found: Sequence[Any] = await driver.fetch(sql, *arguments)
    except Exception as error:
        lost = bool(driver.is_closed())
        context.error = failure = _as_sqlalchemy_raises(sync, adapted, sql, arguments, error, lost)
        if lost:
            await connection.invalidate(failure)
        raise failure from error
    except BaseException as error:  # cancelled on the way
        context.error = error
        raise
    finally:
        dispatch.after_cursor_execute(sync, None, sql, arguments, context, False)
    return found


def _as_sqlalchemy_raises(  # noqa: PLR0913, PLR0917
    sync: Connection,
    adapted: AsyncAdapt_asyncpg_connection,
    sql: str,
    arguments: Any,
    error: Exception,
    lost: bool,
) -> exc.StatementError:
    """What SQLAlchemy raises for the driver's `error`: the adapter's DB-API error,
    wrapped in a DBAPIError whose parameters are hidden as the engine hides them, marked
    invalidated when the connection was `lost`."""
    try:
        adapted._handle_exception(error)  # always raises: asyncpg's error as a DB-API one
    except Exception as translated:  # noqa: BLE001 (wrapped, as SQLAlchemy wraps it)
        return exc.DBAPIError.instance(
            sql,
            arguments,
            translated,
            sync.dialect.loaded_dbapi.Error,
            hide_parameters=sync.engine.hide_parameters,
            connection_invalidated=lost,
            dialect=sync.dialect,
        )


def create_session_factory(
    bind: AsyncEngine | AsyncConnection, **options: Any
) -> async_sessionmaker[SerializedSession]:
    """Sessions for requests and commands; `options` go to the sessionmaker (tests bind
    to one connection and commit into savepoints)."""
    return async_sessionmaker(
        bind, class_=SerializedSession, expire_on_commit=False, autoflush=True, **options
    )
