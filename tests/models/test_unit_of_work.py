"""The request scope's rules, each in isolation, on the real engine."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import AccessLogEntry, Account, AccountKind, ActorKind, SensitiveKind
from models.database import SerializedSession, create_session_factory, writes
from models.unit_of_work import RequestScope
from tests.conftest import wipe


@pytest.fixture
def scope(engine_scope: RequestScope) -> RequestScope:
    return engine_scope


def account() -> Account:
    now = datetime.now(UTC)
    return Account(kind=AccountKind.INDIVIDUAL, display_name="Someone", created_at=now)


async def accounts(engine: AsyncEngine) -> int:
    async with create_session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(Account)) or 0)


async def test_concurrent_tasks_share_one_session_safely(scope: RequestScope) -> None:
    answers = await asyncio.gather(*(scope.session.scalar(select(1)) for _ in range(30)))

    assert answers == [1] * 30


async def test_a_unit_of_work_commits_what_it_did(scope: RequestScope, engine: AsyncEngine) -> None:
    async with scope.unit_of_work():
        scope.session.add(account())

    assert await accounts(engine) == 1


async def test_a_failing_unit_of_work_undoes_only_itself(
    scope: RequestScope, engine: AsyncEngine
) -> None:
    async def add_then_fail() -> None:
        async with scope.unit_of_work():
            scope.session.add(account())
            await scope.session.flush()
            raise RuntimeError("boom")

    async with scope.unit_of_work():
        scope.session.add(account())
    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()

    assert await accounts(engine) == 1


async def test_security_state_survives_the_rollback_of_its_unit(
    scope: RequestScope, engine: AsyncEngine
) -> None:
    async def store(session: SerializedSession) -> None:
        session.add(account())

    async def record_then_fail() -> None:
        async with scope.unit_of_work():
            await scope.record_for_good(store)
            scope.session.add(account())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await record_then_fail()

    assert await accounts(engine) == 1


async def test_security_state_must_come_before_the_unit_writes(scope: RequestScope) -> None:
    async def store(session: object) -> None:
        raise AssertionError("never run")

    async def write_then_record() -> None:
        async with scope.unit_of_work():
            scope.session.add(account())
            await scope.record_for_good(store)

    with pytest.raises(RuntimeError, match="before the unit of work writes"):
        await write_then_record()


async def test_units_of_work_do_not_nest(scope: RequestScope) -> None:
    with pytest.raises(RuntimeError, match="do not nest"):
        async with scope.unit_of_work(), scope.unit_of_work():
            pass


async def refuses_a_read_that_writes(scope: RequestScope) -> None:
    """A flush of a new row and an update, each refused outside a unit of work."""
    scope.session.add(account())

    with pytest.raises(RuntimeError, match="outside a unit of work"):
        await scope.session.flush()
    scope.session.expunge_all()
    with pytest.raises(RuntimeError, match="outside a unit of work"):
        await scope.session.execute(update(Account).values(display_name="x"))


async def test_a_read_that_writes_is_refused(scope: RequestScope, engine: AsyncEngine) -> None:
    # A read runs outside any transaction: the write is refused before it is sent.
    await refuses_a_read_that_writes(scope)
    assert await accounts(engine) == 0


async def test_a_read_that_writes_is_refused_whatever_session_class_the_factory_makes(
    engine: AsyncEngine,
) -> None:
    # The scope guards the session it is given: a factory of plain AsyncSessions, not the
    # gateway's SerializedSession, must not lose the guard.
    factory = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with RequestScope(factory) as scope:  # type: ignore[arg-type]
            await refuses_a_read_that_writes(scope)
        assert await accounts(engine) == 0
    finally:
        await wipe(engine)


async def _update_as_text(session: AsyncSession) -> None:
    await session.execute(text("UPDATE accounts SET display_name = 'x'"))


async def _update_on_the_connection(session: AsyncSession) -> None:
    connection = await session.connection()
    await connection.execute(update(Account).values(display_name="x"))


@pytest.mark.parametrize("write", [_update_as_text, _update_on_the_connection])
async def test_a_read_that_writes_past_the_orm_is_refused(
    scope: RequestScope, engine: AsyncEngine, write: Callable[[AsyncSession], Awaitable[None]]
) -> None:
    # A textual statement, or one sent on the session's connection, writes as surely as
    # an ORM update; outside a unit of work it would be committed at once.
    async with scope.unit_of_work():
        scope.session.add(account())

    with pytest.raises(RuntimeError, match="outside a unit of work"):
        await write(scope.session)
    async with create_session_factory(engine)() as session:
        assert list(await session.scalars(select(Account.display_name))) == ["Someone"]


def unstorable_entry() -> AccessLogEntry:
    """An entry the database refuses: it names no subject that exists."""
    return AccessLogEntry(
        subject_id=account().id,
        created_at=datetime.now(UTC),
        actor_kind=ActorKind.SELF,
        actor_name="x",
        field=SensitiveKind.PHONE,
    )


async def test_the_response_may_not_leave_when_what_it_needs_is_not_stored(
    scope: RequestScope,
) -> None:
    scope.before_response(unstorable_entry())

    assert await scope.finish() is False


async def test_a_write_the_answer_does_not_need_may_fail_quietly(
    scope: RequestScope, engine: AsyncEngine
) -> None:
    scope.before_response(
        update(Account).values(display_name="x"), unstorable_entry(), required=False
    )

    assert await scope.finish() is True
    assert await accounts(engine) == 0


@pytest.mark.parametrize(
    ("statement", "changes"),
    [
        ("SELECT accounts.updated_at FROM accounts", False),
        ("  select 1", False),
        ("WITH recent AS (SELECT id FROM accounts) SELECT * FROM recent", False),
        ("INSERT INTO accounts (id) VALUES ($1)", True),
        ("\n  update accounts set display_name = 'x'", True),
        ("DELETE FROM accounts", True),
        ("WITH gone AS (DELETE FROM accounts RETURNING id) SELECT count(*) FROM gone", True),
        ("TRUNCATE accounts", True),
        ("", False),
    ],
)
def test_a_statement_that_writes_is_told_by_its_text(statement: str, changes: bool) -> None:
    assert writes(statement) is changes


async def test_what_was_derived_from_rows_lasts_only_while_nothing_writes(
    scope: RequestScope,
) -> None:
    derived = scope.derived
    assert derived == {}
    derived["kept"] = 1
    assert scope.derived == {"kept": 1}
    async with scope.unit_of_work():
        assert scope.derived is None
    assert scope.derived == {}

    derived["kept"] = 2

    async def fail() -> None:
        async with scope.unit_of_work():
            raise LookupError("undone")

    with pytest.raises(LookupError):
        await fail()
    assert scope.derived == {}
