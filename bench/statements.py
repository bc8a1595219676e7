"""Every SQL statement an engine sends to its server, transaction control and pings included.

SQLAlchemy's cursor hook sees the statements a session executes, but not what a driver
sends on its own: asyncpg's BEGIN, COMMIT and ROLLBACK, or the pool's pre-ping
(`BEGIN; ; ROLLBACK`). On PostgreSQL those are taken from asyncpg's own query logger;
on SQLite, where the gateway emits BEGIN itself, a commit or rollback inside a
transaction is the driver's COMMIT or ROLLBACK. Used by the throughput benchmark and by the tests that hold the
gateway to its statement counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# What asyncpg sends outside prepared statements: transaction control and the ping.
_DRIVER_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION", ";", "")


def _driver_statement(query: str) -> bool:
    text = query.strip().upper()
    return text in ("", ";") or text.startswith(_DRIVER_STATEMENTS[:4])


class StatementLog:
    """Statements (their SQL text, parameters left out) in the order they were sent.

    `listen()` starts recording, `remove()` stops. A statement asyncpg sends itself is
    reported on the event loop's next turn: await `settle()` before reading.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        self._postgres = engine.dialect.name == "postgresql"
        self._original_ping: Callable[[Any], bool] | None = None
        self._drivers: set[Any] = set()

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()

    # SQLAlchemy's hooks.
    def _cursor(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    @staticmethod
    def _sqlite_in_transaction(conn: Any) -> bool:
        """Whether SQLite's driver will send COMMIT or ROLLBACK: only inside a transaction
        (a read outside one, models/unit_of_work.py, ends with neither)."""
        driver = conn.connection.driver_connection
        return bool(getattr(driver, "in_transaction", True))

    def _commit(self, conn: Any) -> None:
        if self._sqlite_in_transaction(conn):
            self.statements.append("COMMIT")

    def _rollback(self, conn: Any) -> None:
        if self._sqlite_in_transaction(conn):
            self.statements.append("ROLLBACK")

    # asyncpg's logger, on every connection the pool hands out or pings.
    def _logged(self, record: Any) -> None:
        if _driver_statement(record.query):
            self.statements.append(record.query.strip() or ";")

    def _watch(self, dbapi_connection: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and hasattr(driver, "add_query_logger"):
            driver.add_query_logger(self._logged)
            self._drivers.add(driver)

    def _checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        self._watch(dbapi_connection)

    def listen(self) -> None:
        sync_engine = self.engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", self._cursor)
        if self._postgres:
            event.listen(sync_engine.pool, "checkout", self._checkout)
            dialect = sync_engine.dialect
            original = self._original_ping = dialect.do_ping

            def ping(dbapi_connection: Any) -> bool:
                self._watch(dbapi_connection)
                return original(dbapi_connection)

            dialect.do_ping = ping  # type: ignore[method-assign]
        else:
            event.listen(sync_engine, "commit", self._commit)
            event.listen(sync_engine, "rollback", self._rollback)

    def remove(self) -> None:
        sync_engine = self.engine.sync_engine
        event.remove(sync_engine, "before_cursor_execute", self._cursor)
        if self._postgres:
            event.remove(sync_engine.pool, "checkout", self._checkout)
            if self._original_ping is not None:
                sync_engine.dialect.do_ping = self._original_ping  # type: ignore[method-assign]
            for driver in self._drivers:
                driver.remove_query_logger(self._logged)
            self._drivers.clear()
        else:
            event.remove(sync_engine, "commit", self._commit)
            event.remove(sync_engine, "rollback", self._rollback)

    async def settle(self) -> None:
        """Let asyncpg's logger callbacks (scheduled with call_soon) run."""
        import asyncio

        await asyncio.sleep(0)
        await asyncio.sleep(0)
