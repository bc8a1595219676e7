"""Two submissions of one request type at once (PostgreSQL): one opens, one is refused.

Each request runs in its own transaction on its own connection, as in production; both
look for an open request before either inserts, so only the database can decide.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from auth.services import AuthServices
from auth.sessions import elevate, open_session
from gateway.app import create_app
from gateway.settings import Settings
from models import Account, AccountKind, DataRequest
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.consents.test_races import Racer, both_read_before_either_writes

SUBMIT = """
mutation { submitDataRequest(input: { type: ACCESS_COPY }) {
  dataRequest { status } userErrors { field code message }
} }
"""


@pytest.fixture
async def stepped_up(
    is_postgres: bool, engine: AsyncEngine, settings: Settings, services: AuthServices, clock: Clock
) -> AsyncIterator[Racer]:
    if not is_postgres:
        pytest.skip(
            "needs the PostgreSQL run (GATEWAY_TEST_DATABASE_URL): SQLite lets one writer "
            "in at a time, so two requests cannot race"
        )
    async with AsyncSession(engine, expire_on_commit=False) as session:
        account = Account(
            kind=AccountKind.INDIVIDUAL,
            display_name="Requester",
            created_at=clock(),
            accepted_policy_version="1.0",
            accepted_policy_at=clock(),
        )
        session.add(account)
        await session.flush()
        issued = await open_session(session, services.tokens, now=clock(), account_id=account.id)
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


async def test_two_submissions_of_one_type_at_once_open_one_request(
    stepped_up: Racer, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    both_read_before_either_writes(monkeypatch, "data_requests")

    answers = await asyncio.gather(
        graphql(stepped_up.client, SUBMIT, token=stepped_up.token),
        graphql(stepped_up.client, SUBMIT, token=stepped_up.token),
    )

    opened = {
        "data": {"submitDataRequest": {"dataRequest": {"status": "SUBMITTED"}, "userErrors": []}}
    }
    refused = {
        "data": {
            "submitDataRequest": {
                "dataRequest": None,
                "userErrors": [
                    {
                        "field": ["type"],
                        "code": "ALREADY_EXISTS",
                        "message": "A request of this type is already open.",
                    }
                ],
            }
        }
    }
    assert sorted(answers, key=str) == sorted([opened, refused], key=str)
    async with AsyncSession(engine) as session:
        statement = (
            select(func.count())
            .select_from(DataRequest)
            .where(DataRequest.account_id == stepped_up.account_id)
        )
        assert await session.scalar(statement) == 1
