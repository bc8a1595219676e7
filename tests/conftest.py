"""Shared fixtures: one database per run (migrated once), one rolled-back transaction per test.

The run uses SQLite unless GATEWAY_TEST_DATABASE_URL names another database (the
PostgreSQL run of `make test` sets it). When it is set, the database must answer:
a CI run never skips PostgreSQL silently.
"""

from __future__ import annotations

import base64
import io
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from auth import passwords
from auth.senders import Outbox
from auth.services import AuthServices
from gateway.app import create_app
from gateway.logging import JsonFormatter, quiet_url_loggers
from gateway.services import build_services, configure_encryption
from gateway.settings import Environment, Settings
from models import Base, migrate
from models.database import (
    SerializedSession,
    create_engine,
    create_session_factory,
    is_sqlite,
)
from models.unit_of_work import RequestScope
from resolvers.policies.shipped import SHIPPED_VERSION, ensure_shipped_policy
from tests.support.api import Api
from tests.support.apps import client_of
from tests.support.clock import Clock
from tests.support.passwords import FAST_HASHER
from tests.support.sealing import recording_sealed_values
from tests.support.viewers import SignedIn, Viewers

TEST_SECRETS = {
    "token_signing_key": "t1:" + base64.urlsafe_b64encode(b"t" * 32).decode(),
    "data_keys": "test1:" + base64.urlsafe_b64encode(b"d" * 32).decode(),
    "blind_index_key": "b1:" + base64.urlsafe_b64encode(b"b" * 32).decode(),
}


def database_url(tmp_dir: Path) -> str:
    return os.environ.get("GATEWAY_TEST_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{tmp_dir / 'test.db'}"
    )


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def is_postgres(db_url: str) -> bool:
    return not is_sqlite(db_url)


async def _reset_postgres(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))


# The server's own loopback address shows in uvicorn's start-up lines; it is not a
# person's address.
NOT_PERSONAL = {"127.0.0.1", "::1", "testclient"}


def _distinctive(value: str) -> bool:
    """Worth looking for: not a plain English word that any log line may hold
    (tests store search queries such as "first")."""
    return len(value) >= 10 or not (value.isascii() and value.isalpha())


@pytest.fixture(scope="session", autouse=True)
def no_clear_value_in_logs() -> Iterator[None]:
    """Every value sealed during the run is looked for in everything the run logged.

    Log lines are captured as the gateway writes them (JSON, INFO and above, as in
    production); the run fails if any of them holds a clear personal value.
    """
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    quiet_url_loggers()
    root.addHandler(handler)
    with recording_sealed_values() as sealed:
        yield
    root.removeHandler(handler)
    root.setLevel(level)
    logged = stream.getvalue()
    leaked = sorted(
        value for value in sealed - NOT_PERSONAL if _distinctive(value) and value in logged
    )
    assert not leaked, f"{len(leaked)} clear personal values were logged"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", FAST_HASHER.hash("not-a-password-of-anyone-1"))


@pytest.fixture(scope="session", autouse=True)
def encryption_keys() -> None:
    """The test keys, configured before any model seals a value."""
    configure_encryption(make_settings("sqlite+aiosqlite://"))


@pytest.fixture(scope="session")
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    if not is_sqlite(db_url):
        await _reset_postgres(engine)
    await migrate.upgrade(engine)
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        await ensure_shipped_policy(session, body_file=None, now=datetime.now(UTC))
        await session.flush()
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection whose outer transaction is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
def session_factory(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions that commit into savepoints of the test's transaction."""
    return create_session_factory(connection, join_transaction_mode="create_savepoint")


@pytest.fixture
async def db(session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with session_factory() as session:
        yield session


def make_settings(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"env": Environment.TEST, "database_url": db_url, **TEST_SECRETS}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def viewers(db: AsyncSession, services: AuthServices, clock: Clock) -> Viewers:
    """Signed-in accounts of every kind and staff members, made on demand."""
    return Viewers(db, services, clock)


@pytest.fixture
async def individual(viewers: Viewers) -> SignedIn:
    """An individual account with a phone, signed in (`Viewers.individual`)."""
    return await viewers.individual()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
async def services(settings: Settings, outbox: Outbox) -> AsyncIterator[AuthServices]:
    """Fresh in-memory rate limits per test; messages kept in the test's outbox."""
    services = build_services(settings, outbox)
    yield services
    await services.limiter.close()


@pytest.fixture
def app(
    settings: Settings,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    services: AuthServices,
    outbox: Outbox,
    clock: Clock,
) -> Starlette:
    return create_app(
        settings,
        engine=engine,
        session_factory=session_factory,
        services=services,
        outbox=outbox,
        clock=clock,
    )


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(app) as client:
        yield client


@pytest.fixture
def api(client: httpx.AsyncClient, db: AsyncSession, services: AuthServices, clock: Clock) -> Api:
    """The test's client, session, services and clock in one (tests/support/api.py)."""
    return Api(client=client, db=db, services=services, clock=clock)


ClientWith = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_with(
    db_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    services: AuthServices,
    clock: Clock,
) -> ClientWith:
    """`async with client_with(**settings)`: a client of the test's app built with those
    settings changed (the rest as in `app`, the outbox its own)."""

    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(
            make_settings(db_url, **overrides),
            engine=engine,
            session_factory=session_factory,
            services=services,
            clock=clock,
        )
        async with client_of(app) as client:
            yield client

    return open_client


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def sql_statements(engine: AsyncEngine) -> Iterator[StatementCounter]:
    """Every SQL statement the test's code sends (savepoint bookkeeping excluded)."""
    counter = StatementCounter()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            counter.statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield counter
    event.remove(engine.sync_engine, "before_cursor_execute", record)


@dataclass
class Live:
    """The app on the real engine, as in production: every request on a connection of
    its own, committing for real. `session()` commits test data the app can see."""

    client: httpx.AsyncClient
    factory: async_sessionmaker[SerializedSession]
    services: AuthServices

    def session(self) -> SerializedSession:
        return self.factory()


@pytest.fixture
async def engine_scope(engine: AsyncEngine) -> AsyncIterator[RequestScope]:
    """A request scope on the real engine, as in production (reads outside any
    transaction, units of work committing for real); every committed row is wiped
    after the test."""
    try:
        async with RequestScope(create_session_factory(engine)) as scope:
            yield scope
    finally:
        await wipe(engine)


async def wipe(engine: AsyncEngine) -> None:
    """Delete every committed row but the shipped policy version, children first."""
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            statement = table.delete()
            if table.name == "privacy_policies":
                statement = statement.where(table.c.version != SHIPPED_VERSION)
            await connection.execute(statement)


@pytest.fixture
async def live(
    settings: Settings,
    engine: AsyncEngine,
    services: AuthServices,
    outbox: Outbox,
    clock: Clock,
) -> AsyncIterator[Live]:
    app = create_app(settings, engine=engine, services=services, outbox=outbox, clock=clock)
    try:
        async with client_of(app) as client:
            yield Live(client=client, factory=create_session_factory(engine), services=services)
    finally:
        await wipe(engine)
