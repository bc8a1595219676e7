"""Two requests at once (PostgreSQL only): a committed account whose requests each run
in a transaction of their own, on a connection of their own, as in production."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from auth.services import AuthServices
from auth.sessions import elevate, open_session
from gateway.app import create_app
from gateway.settings import Settings
from models import Account, AccountKind
from tests.support.clock import Clock

NEEDS_POSTGRES = (
    "needs the PostgreSQL run (GATEWAY_TEST_DATABASE_URL): SQLite lets one writer "
    "in at a time, so two requests cannot race"
)


def skip_unless_postgres(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip(NEEDS_POSTGRES)


@dataclass(frozen=True)
class Racer:
    client: httpx.AsyncClient
    token: str
    account_id: uuid.UUID


@asynccontextmanager
async def racing_account(
    engine: AsyncEngine,
    settings: Settings,
    services: AuthServices,
    clock: Clock,
    *,
    display_name: str = "Racer",
    elevated: bool = False,
) -> AsyncIterator[Racer]:
    """A committed individual with a session (stepped up when `elevated`), and a client
    of an app on the real engine; the account goes again afterwards (its rows cascade)."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        account = Account(
            kind=AccountKind.INDIVIDUAL,
            display_name=display_name,
            created_at=clock(),
            accepted_policy_version="1.0",
            accepted_policy_at=clock(),
        )
        session.add(account)
        await session.flush()
        issued = await open_session(session, services.tokens, now=clock(), account_id=account.id)
        if elevated:
            claims = services.tokens.verify_access(issued.access_token, clock())
            await elevate(session, claims.session_id, clock())
        await session.commit()
    app = create_app(settings, engine=engine, services=services, clock=clock)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Racer(client=client, token=issued.access_token, account_id=account.id)
    finally:
        async with engine.begin() as connection:
            await connection.execute(delete(Account).where(Account.id == account.id))
