"""Reads sent straight to the driver (`models.database.fetch_all`, what every read for
display goes through): the rows SQLAlchemy would give, SQLAlchemy's cursor hooks called
once for each, writes outside a unit of work still refused, and a connection that broke
on the way never handed out again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.demo import seed_demo
from models import BankCard, Base, display
from models.database import (
    ENDED,
    OUTSIDE,
    DriverRead,
    SerializedSession,
    create_session_factory,
    fetch_all,
)
from models.unit_of_work import RequestScope
from resolvers.loaders import Loaders
from resolvers.policies.shipped import SHIPPED_VERSION
from tests.models.test_display import demo_individual


class Hooks:
    """What SQLAlchemy's cursor hooks of the engine saw: (hook, statement, context)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def before(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, *_: Any
    ) -> None:
        self.calls.append(("before", statement, context))

    def after(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, *_: Any
    ) -> None:
        self.calls.append(("after", statement, context))


@pytest.fixture
def hooks(engine: AsyncEngine) -> Iterator[Hooks]:
    found = Hooks()
    event.listen(engine.sync_engine, "before_cursor_execute", found.before)
    event.listen(engine.sync_engine, "after_cursor_execute", found.after)
    yield found
    event.remove(engine.sync_engine, "before_cursor_execute", found.before)
    event.remove(engine.sync_engine, "after_cursor_execute", found.after)


@pytest.fixture(params=["the session's", "its own"])
async def reading(engine_scope: RequestScope, request: pytest.FixtureRequest) -> AsyncConnection:
    """A connection a request scope reads on outside any transaction, as in production:
    the session's, or the one its reads for display take while the session holds none."""
    if request.param == "its own":
        own = await engine_scope.session.reading_connection()
        assert own is not None
        return own
    return await engine_scope.session.connection()


def version_sql(is_postgres: bool) -> str:
    placeholder = "$1" if is_postgres else "?"
    return f"SELECT version, published_at FROM privacy_policies WHERE version = {placeholder}"  # noqa: S608


async def test_a_read_gives_the_rows_sqlalchemy_gives(
    reading: AsyncConnection, is_postgres: bool
) -> None:
    sql = version_sql(is_postgres)

    found = await fetch_all(reading, sql, (SHIPPED_VERSION,))

    expected = (await reading.exec_driver_sql(sql, (SHIPPED_VERSION,))).all()
    assert [tuple(row) for row in found] == [tuple(row) for row in expected]
    assert len(found) == 1
    assert found[0][0] == SHIPPED_VERSION


async def test_outside_a_transaction_the_hooks_see_the_read_once(
    reading: AsyncConnection, hooks: Hooks, is_postgres: bool
) -> None:
    sql = version_sql(is_postgres)

    await fetch_all(reading, sql, (SHIPPED_VERSION,))

    assert [(hook, statement) for hook, statement, _ in hooks.calls] == [
        ("before", sql),
        ("after", sql),
    ]
    sent_by_driver = [isinstance(context, DriverRead) for _, _, context in hooks.calls]
    # asyncpg sends it on PostgreSQL; SQLite's goes through SQLAlchemy.
    assert sent_by_driver == [is_postgres, is_postgres]


async def test_inside_a_begun_transaction_the_driver_sends_it_too(
    connection: AsyncConnection, hooks: Hooks, is_postgres: bool
) -> None:
    # The tests' connection holds a transaction SQLAlchemy began; a statement in it
    # begins it on the server first.
    await connection.execute(text("SELECT 1"))
    hooks.calls.clear()
    sql = version_sql(is_postgres)

    found = await fetch_all(connection, sql, (SHIPPED_VERSION,))

    assert [row[0] for row in found] == [SHIPPED_VERSION]
    assert [isinstance(context, DriverRead) for _, _, context in hooks.calls] == [
        is_postgres,
        is_postgres,
    ]


async def test_a_transaction_not_begun_on_the_server_is_left_to_sqlalchemy(
    engine: AsyncEngine, hooks: Hooks, is_postgres: bool
) -> None:
    # SQLAlchemy begins a transaction on asyncpg with its first statement; sent past it,
    # the read would run outside the transaction its caller holds.
    sql = version_sql(is_postgres)
    async with engine.connect() as connection:
        await connection.begin()

        await fetch_all(connection, sql, (SHIPPED_VERSION,))

        driver = (await connection.get_raw_connection()).driver_connection
        if is_postgres:
            assert driver.is_in_transaction()
    assert not any(isinstance(context, DriverRead) for _, _, context in hooks.calls)


async def test_a_write_outside_a_unit_of_work_is_refused_before_it_is_sent(
    reading: AsyncConnection, engine: AsyncEngine, is_postgres: bool
) -> None:
    placeholder = "$1" if is_postgres else "?"
    delete = f"DELETE FROM privacy_policies WHERE version = {placeholder} RETURNING version"  # noqa: S608

    with pytest.raises(RuntimeError, match=OUTSIDE):
        await fetch_all(reading, delete, (SHIPPED_VERSION,))

    async with engine.connect() as other:
        kept = await other.scalar(
            text("SELECT count(*) FROM privacy_policies WHERE version = :v"),
            {"v": SHIPPED_VERSION},
        )
    assert kept == 1


async def test_a_refused_statement_raises_what_sqlalchemy_raises_and_the_connection_reads_on(
    reading: AsyncConnection, hooks: Hooks, is_postgres: bool
) -> None:
    with pytest.raises(DBAPIError, match="no_such_table") as refused:
        await fetch_all(reading, "SELECT * FROM no_such_table", ())

    assert not refused.value.connection_invalidated

    if is_postgres:
        (_, _, context), _ = hooks.calls
        assert isinstance(context, DriverRead)
        assert context.error is refused.value
    found = await fetch_all(reading, version_sql(is_postgres), (SHIPPED_VERSION,))
    assert [row[0] for row in found] == [SHIPPED_VERSION]


async def test_a_connection_lost_on_the_way_is_invalidated(
    engine: AsyncEngine, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("a server connection to lose: PostgreSQL only")
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        victim = await connection.scalar(text("SELECT pg_backend_pid()"))
        async with engine.connect() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})

        with pytest.raises(DBAPIError) as lost:
            await fetch_all(connection, version_sql(True), (SHIPPED_VERSION,))

        assert lost.value.connection_invalidated
        assert connection.invalidated
    # The pool hands out a working connection, not the dead one.
    async with engine.connect() as fresh:
        assert await fresh.scalar(text("SELECT pg_backend_pid()")) != victim


async def test_every_table_reads_the_same_values_of_the_same_types(
    connection: AsyncConnection,
) -> None:
    factory = create_session_factory(connection, join_transaction_mode="create_savepoint")
    async with factory() as session:
        await seed_demo(session, datetime.now(UTC))
        await session.commit()
    await connection.execute(text("SELECT 1"))  # the transaction begun on the server
    compared = 0
    for table in Base.metadata.sorted_tables:
        sql = str(select(table).compile(dialect=connection.dialect))

        found = await fetch_all(connection, sql, ())

        expected = (await connection.exec_driver_sql(sql, ())).all()
        assert [tuple(row) for row in found] == [tuple(row) for row in expected], table.name
        types = [[type(value) for value in row] for row in found]
        assert types == [[type(value) for value in row] for row in expected], table.name
        compared += len(found)
    assert compared > 10


async def test_tasks_sharing_a_connection_take_turns_with_sqlalchemy(
    connection: AsyncConnection, is_postgres: bool
) -> None:
    # Sessions bound to one connection (as the tests' are) may share it between tasks:
    # the driver's connection takes one statement at a time, whichever path sends it.
    await connection.execute(text("SELECT 1"))
    sql = version_sql(is_postgres)

    async def directly() -> int:
        return sum([len(await fetch_all(connection, sql, (SHIPPED_VERSION,))) for _ in range(20)])

    async def through_sqlalchemy() -> int:
        return sum(
            [
                len((await connection.exec_driver_sql(sql, (SHIPPED_VERSION,))).all())
                for _ in range(20)
            ]
        )

    assert await asyncio.gather(directly(), through_sqlalchemy(), directly()) == [20, 20, 20]


@pytest.fixture
async def request_scope(engine_scope: RequestScope, engine: AsyncEngine) -> RequestScope:
    """A request scope on the real engine reading for display, with the demo data."""
    async with create_session_factory(engine)() as session:
        await seed_demo(session, datetime.now(UTC))
        await session.commit()
    engine_scope.display_reads = True
    return engine_scope


async def test_a_read_transaction_asks_its_session_for_the_connection_once(
    request_scope: RequestScope, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[object] = []
    ask = SerializedSession.connection

    async def counted(self: SerializedSession, *args: Any, **kwargs: Any) -> AsyncConnection:
        connection = await ask(self, *args, **kwargs)
        asked.append(connection)
        return connection

    monkeypatch.setattr(SerializedSession, "connection", counted)
    account_id = await demo_individual(request_scope.session)
    asked.clear()
    loaders = Loaders(request_scope.session)

    cards = await loaders.bank_cards_by_account.load(account_id)
    consents = await loaders.consents_by_account.load(account_id)
    versions = await loaders.policy_versions.all()

    assert (len(cards), len(consents) > 0, len(versions) > 0) == (1, True, True)
    assert len(asked) == 1


async def test_a_read_after_a_unit_of_work_reads_on_the_connection_of_its_own_transaction(
    request_scope: RequestScope,
) -> None:
    session = request_scope.session
    account_id = await demo_individual(session)
    (card,) = await Loaders(session).bank_cards_by_account.load(account_id)
    before = session.sync_session.get_transaction()

    async with request_scope.unit_of_work():
        stored = await session.get(BankCard, card.id)
        assert stored is not None
        stored.bank_name = "Changed in the unit"
    assert await demo_individual(session) == account_id  # begins the next transaction

    (card,) = await Loaders(session).bank_cards_by_account.load(account_id)
    assert card.bank_name == "Changed in the unit"
    assert session.sync_session.get_transaction() is not before
    (kept, connection) = session.sync_session.info[display._CONNECTION]
    assert kept is session.sync_session.get_transaction()
    assert connection.sync_connection is not None
    assert not connection.invalidated


class Checkouts:
    """The connections the engine's pool handed out: in all, still out, most out at once."""

    def __init__(self) -> None:
        self.total = self.out = self.most = 0

    def checkout(self, *_: Any) -> None:
        self.total += 1
        self.out += 1
        self.most = max(self.most, self.out)

    def checkin(self, *_: Any) -> None:
        self.out -= 1


@pytest.fixture
def checkouts(engine: AsyncEngine) -> Iterator[Checkouts]:
    found = Checkouts()
    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", found.checkout)
    event.listen(pool, "checkin", found.checkin)
    yield found
    event.remove(pool, "checkout", found.checkout)
    event.remove(pool, "checkin", found.checkin)


async def _demo_account(engine: AsyncEngine) -> Any:
    async with create_session_factory(engine)() as session:
        return await demo_individual(session)


async def test_reads_outside_every_transaction_share_one_connection_put_back_at_the_end(
    request_scope: RequestScope, engine: AsyncEngine, checkouts: Checkouts
) -> None:
    account_id = await _demo_account(engine)
    checkouts.total = 0
    session = request_scope.session
    loaders = Loaders(session)

    cards = await loaders.bank_cards_by_account.load(account_id)
    consents = await loaders.consents_by_account.load(account_id)
    versions = await loaders.policy_versions.all()

    assert (len(cards), len(consents) > 0, len(versions) > 0) == (1, True, True)
    assert not session.in_transaction()  # the session itself holds no connection
    assert (checkouts.total, checkouts.out) == (1, 1)
    assert await request_scope.finish() is True
    assert checkouts.out == 0


async def test_a_request_never_holds_two_connections(
    request_scope: RequestScope, engine: AsyncEngine, checkouts: Checkouts
) -> None:
    account_id = await _demo_account(engine)
    session = request_scope.session
    (card,) = await Loaders(session).bank_cards_by_account.load(account_id)

    # The session's own read, then reads in its transaction, a unit of work, and reads
    # outside every transaction again.
    assert await demo_individual(session) == account_id
    assert len(await Loaders(session).consents_by_account.load(account_id)) > 0
    async with request_scope.unit_of_work():
        stored = await session.get(BankCard, card.id)
        assert stored is not None
        stored.bank_name = "Changed in the unit"
    await request_scope.finish()
    (card,) = await Loaders(session).bank_cards_by_account.load(account_id)
    assert card.bank_name == "Changed in the unit"
    assert checkouts.out == 1
    await session.close()

    assert (checkouts.most, checkouts.out) == (1, 0)


async def test_concurrent_reads_outside_a_transaction_take_turns_on_one_connection(
    request_scope: RequestScope, engine: AsyncEngine, checkouts: Checkouts
) -> None:
    account_id = await _demo_account(engine)
    session = request_scope.session

    async def cards() -> int:
        return len(await Loaders(session).bank_cards_by_account.load(account_id))

    async def the_account() -> bool:
        return await demo_individual(session) == account_id

    found = await asyncio.gather(cards(), the_account(), cards(), the_account(), cards())

    assert found == [1, True, 1, True, 1]
    assert checkouts.most == 1


async def test_a_reading_connection_lost_is_replaced_by_a_fresh_one(
    request_scope: RequestScope, engine: AsyncEngine, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("a server connection to lose: PostgreSQL only")
    account_id = await _demo_account(engine)
    session = request_scope.session
    assert len(await Loaders(session).bank_cards_by_account.load(account_id)) == 1
    reading = await session.reading_connection()
    assert reading is not None
    victim = (await fetch_all(reading, "SELECT pg_backend_pid()", ()))[0][0]
    async with engine.connect() as killer:
        await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})

    with pytest.raises(DBAPIError) as lost:
        await Loaders(session).bank_cards_by_account.load(account_id)

    assert lost.value.connection_invalidated
    assert len(await Loaders(session).bank_cards_by_account.load(account_id)) == 1
    fresh = await session.reading_connection()
    assert fresh is not None
    assert fresh is not reading
    assert (await fetch_all(fresh, "SELECT pg_backend_pid()", ()))[0][0] != victim


async def test_a_read_after_its_request_ended_is_refused_and_takes_no_connection(
    request_scope: RequestScope, engine: AsyncEngine, checkouts: Checkouts
) -> None:
    account_id = await _demo_account(engine)
    async with request_scope as scope:
        session = scope.session
        assert len(await Loaders(session).bank_cards_by_account.load(account_id)) == 1
    assert checkouts.out == 0
    total = checkouts.total

    # What a request left running (a dataloader's batch in a task of its own).
    with pytest.raises(RuntimeError, match=ENDED):
        await Loaders(session).bank_cards_by_account.load(account_id)
    with pytest.raises(RuntimeError, match=ENDED):
        await demo_individual(session)
    with pytest.raises(RuntimeError, match=ENDED):
        async with session.begin():
            pass
    await session.close()

    assert (checkouts.total, checkouts.out) == (total, 0)


async def test_a_request_cancelled_while_it_ends_still_puts_its_connection_back(
    request_scope: RequestScope, engine: AsyncEngine, checkouts: Checkouts
) -> None:
    account_id = await _demo_account(engine)
    session = request_scope.session
    assert len(await Loaders(session).bank_cards_by_account.load(account_id)) == 1
    holding, done = asyncio.Event(), asyncio.Event()

    async def late_batch() -> None:  # still reading, in the session's turn
        async with session.turn():
            holding.set()
            await done.wait()

    late = asyncio.create_task(late_batch())
    await holding.wait()
    ending = asyncio.create_task(request_scope.__aexit__(None, None, None))
    await asyncio.sleep(0.01)  # waiting for the turn to close the session
    ending.cancel()  # a server's timeout, or its shutdown
    with pytest.raises(asyncio.CancelledError):
        await ending
    assert checkouts.out == 1
    done.set()
    await late

    for _ in range(100):  # the session is closed in a task of its own
        if checkouts.out == 0:
            break
        await asyncio.sleep(0.01)
    assert checkouts.out == 0
    with pytest.raises(RuntimeError, match=ENDED):
        await Loaders(session).bank_cards_by_account.load(account_id)
