"""Two submissions of one request type at once (PostgreSQL): one opens, one is refused.

Each request runs in its own transaction on its own connection, as in production; both
look for an open request before either inserts, so only the database can decide.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from auth.services import AuthServices
from gateway.settings import Settings
from models import DataRequest
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.consents.test_races import both_read_before_either_writes
from tests.support.races import Racer, racing_account, skip_unless_postgres

SUBMIT = """
mutation { submitDataRequest(input: { type: ACCESS_COPY }) {
  dataRequest { status } userErrors { field code message }
} }
"""


@pytest.fixture
async def stepped_up(
    is_postgres: bool, engine: AsyncEngine, settings: Settings, services: AuthServices, clock: Clock
) -> AsyncIterator[Racer]:
    skip_unless_postgres(is_postgres)
    async with racing_account(
        engine, settings, services, clock, display_name="Requester", elevated=True
    ) as racer:
        yield racer


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
