"""One request's database work: its session, its units of work, and what its answer needs.

The rules (docs/spec/limits.md#units-of-work):

- A query only reads, and reads outside any transaction: no BEGIN, no COMMIT (on an
  engine; a session bound to a connection, as in tests, reads in that connection's
  transaction). A write there is refused before it is sent. What its answer depends on
  (access-log entries of clear reveals, WeChat states) is handed to `before_response`
  and committed, in one short writing transaction, before the response leaves; if that
  commit fails the response must not be sent (`finish` says so).
- Each root mutation field is one unit of work (`unit_of_work`): committed when its
  resolver returns, rolled back alone when it raises. A payload never describes an
  effect that was rolled back.
- Security state (a try of a code, a failed sign-in) is recorded for good before the
  answer that depends on it (`record_for_good`): it is committed at once, so neither a
  later failure, nor an alias, nor a concurrent request undoes it. It must come before
  the unit of work writes anything else, which keeps the unit whole.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Self, TypeVar

from sqlalchemy import Engine, Executable, event
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

from models.database import OUTSIDE, WRITING, SerializedSession, reading_engine, write_gate

T = TypeVar("T")
logger = logging.getLogger("gateway.unit_of_work")


class WriteTracker:
    """Whether the session's current transaction has written anything; with `guard`, a
    write outside a unit of work is refused before it is sent (a read that runs outside
    any transaction would otherwise commit it at once)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.wrote = False
        self.guard = False
        self.writing = False
        # Whether the operation only reads, so that its reads outside a unit of work may
        # bypass the ORM (models/display.py).
        self.display_reads = False
        session.info[TRACKER] = self

    def flushing(self, session: Session) -> None:
        if self.guard and not self.writing:
            changed = session.new or session.deleted
            if changed or any(session.is_modified(row) for row in session.dirty):
                raise RuntimeError(OUTSIDE)

    def executed(self, state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            if self.guard and not self.writing:
                raise RuntimeError(OUTSIDE)
            self.wrote = True

    @property
    def pending(self) -> bool:
        """Written, or holding changes the next flush would write."""
        session = self.session
        return self.wrote or bool(session.new or session.dirty or session.deleted)


# Where a request's session keeps its tracker; the listeners are set once, for every
# session (making them per session cost each request a tenth of a millisecond), and do
# nothing for a session without a tracker. A write that bypasses the ORM is refused on
# the reading engine's connections (models/database.py).
TRACKER = "write_tracker"


@event.listens_for(Session, "before_flush")
def _flushing(session: Session, context: Any, instances: Any) -> None:
    if (tracker := session.info.get(TRACKER)) is not None:
        tracker.flushing(session)


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, context: Any) -> None:
    if (tracker := session.info.get(TRACKER)) is not None:
        tracker.wrote = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if (tracker := state.session.info.get(TRACKER)) is not None:
        tracker.executed(state)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _ended(session: Session) -> None:
    if (tracker := session.info.get(TRACKER)) is not None:
        tracker.wrote = False


class RequestScope:
    """Owns one request's session, its units of work and its writes before the response.

    Use as `async with RequestScope(factory) as scope:`; call `finish()` once the answer
    is computed and before it is sent.
    """

    def __init__(self, session_factory: async_sessionmaker[SerializedSession]) -> None:
        self.session: SerializedSession = session_factory()
        sync_session = self.session.sync_session
        bind = sync_session.get_bind()
        self._gate = write_gate(bind.engine)
        self._tracker = WriteTracker(sync_session)
        self._writing_options: dict[str, Any] = WRITING
        if isinstance(bind, Engine) and sync_session.bind is bind:
            # Reads on connections outside any transaction; units of work in one.
            sync_session.bind, self._writing_options = reading_engine(bind)
            self._tracker.guard = True
        self._before_response: list[tuple[object, bool]] = []
        self._rollback_hooks: list[Callable[[], Awaitable[None]]] = []
        self._writing = False
        # What was derived from loaded rows (a viewer's relation to an account), under
        # keys its users choose: kept while no unit of work runs, and forgotten when one
        # begins and when it ends, since it may change the rows (`derived`).
        self._derived: dict[object, Any] = {}

    @property
    def display_reads(self) -> bool:
        """Whether reads outside a unit of work may bypass the ORM (models/display.py):
        set for a query operation, whose rows are only shown."""
        return self._tracker.display_reads

    @display_reads.setter
    def display_reads(self, on: bool) -> None:
        self._tracker.display_reads = on

    @property
    def derived(self) -> dict[object, Any] | None:
        """Values derived from the rows this request loaded, or None while a unit of
        work runs (then derive afresh: its rows may change under it)."""
        return None if self._writing else self._derived

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        session = self.session
        if isinstance(session, SerializedSession):
            # What the request left running (a dataloader's batch) takes no connection.
            await session.end()
        else:
            await session.close()

    def on_rollback(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run `hook` after a unit of work was rolled back (objects loaded before it are
        expired then: whoever holds them reloads them here)."""
        self._rollback_hooks.append(hook)

    def before_response(self, *items: object, required: bool = True) -> None:
        """Rows to add, or statements to execute, before the response is sent.

        `required`: the answer depends on them (a clear value and its access-log entry),
        so the response must not leave if they cannot be committed.
        """
        self._before_response.extend((item, required) for item in items)

    @property
    def answer_depends_on_writes(self) -> bool:
        return any(required for _, required in self._before_response)

    async def _end_read(self) -> None:
        """End the current read-only transaction, so that the next one begins afresh,
        and put back the connection of the reads outside it."""
        if isinstance(self.session, SerializedSession):
            await self.session.put_back_reading()
        if not self.session.in_transaction():
            return
        if self._tracker.pending:
            raise RuntimeError(OUTSIDE)
        try:
            await self.session.commit()
        except PendingRollbackError:
            # A read cut short (a field cancelled beside a failing one) invalidated the
            # transaction's connection. The transaction wrote nothing: rolling it back
            # ends it, and the pool replaces the connection.
            await self.session.rollback()

    async def _begin_writing(self) -> None:
        await self.session.connection(execution_options=self._writing_options)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[None]:
        """Commit what the block did when it returns; roll back only it when it raises."""
        if self._writing:
            raise RuntimeError("units of work do not nest")
        await self._end_read()
        async with self._gate():
            self._writing = self._tracker.writing = True
            self._derived.clear()
            try:
                await self._begin_writing()
                try:
                    yield
                except BaseException:
                    await self._roll_back()
                    raise
                await self.session.commit()
            finally:
                self._writing = self._tracker.writing = False
                self._derived.clear()

    async def _roll_back(self) -> None:
        await self.session.rollback()
        for hook in self._rollback_hooks:
            await hook()

    async def record_for_good(self, work: Callable[[SerializedSession], Awaitable[T]]) -> T:
        """Run `work` and commit it at once, before anything depends on its outcome.

        Only state that no failure may undo goes here (the try of a code, a failed
        sign-in), and before the unit of work has written anything of its own.
        """
        if self._tracker.pending:
            raise RuntimeError("security state is recorded before the unit of work writes")
        if not self._writing:
            async with self.unit_of_work():
                return await work(self.session)
        result = await work(self.session)
        await self.session.commit()
        await self._begin_writing()
        return result

    async def finish(self) -> bool:
        """Commit the writes the answer needs; False when the response must not be sent."""
        items, self._before_response = self._before_response, []
        required = any(needed for _, needed in items)
        try:
            await self._end_read()
            if items:
                async with self.unit_of_work():
                    for item, _ in items:
                        if isinstance(item, Executable):
                            await self.session.execute(item)
                        else:
                            self.session.add(item)
        except Exception:
            logger.exception("the writes the answer needs could not be committed")
            return not required
        return True
