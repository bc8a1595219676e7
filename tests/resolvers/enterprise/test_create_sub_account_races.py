"""createSubAccount under concurrent requests: the cap and uniqueness hold (PostgreSQL).

Each request runs in a transaction of its own on a connection of its own, as in
production, so the rows here are committed for real and removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from auth.senders import Outbox
from auth.services import AuthServices
from auth.sessions import elevate, open_session
from gateway.app import create_app
from models import Account, AccountKind, queries
from tests.conftest import Clock, make_settings
from tests.helpers import graphql
from tests.resolvers.auth.helpers import forget_rate_limits
from tests.resolvers.consents.test_races import both_read_before_either_writes
from tests.resolvers.enterprise.helpers import CREATE
from tests.support.races import skip_unless_postgres
from tests.support.viewers import PASSWORD

CAP = 3
CONFIRM_EMAIL = """
mutation($token: String!) { confirmEmail(input: { token: $token }) {
  userErrors { field code message } } }
"""
EMAIL_TAKEN = {
    "field": ["email"],
    "code": "ALREADY_EXISTS",
    "message": "This email is bound to another account.",
}
LIMIT_REACHED = {
    "field": None,
    "code": "LIMIT_REACHED",
    "message": f"An enterprise has at most {CAP} sub-accounts.",
}


@pytest.fixture(autouse=True)
def postgres_only(is_postgres: bool) -> None:
    skip_unless_postgres(is_postgres)


@dataclass(frozen=True)
class Racers:
    client: httpx.AsyncClient
    tokens: list[str]
    enterprises: list[uuid.UUID]


@pytest.fixture
async def racers(
    engine: AsyncEngine, db_url: str, services: AuthServices, clock: Clock
) -> AsyncIterator[Racers]:
    """A client of an app capped at CAP sub-accounts, and two enterprises signed in and
    stepped up."""
    tokens, enterprises = [], []
    async with AsyncSession(engine, expire_on_commit=False) as session:
        for n in range(2):
            enterprise = Account(
                kind=AccountKind.ENTERPRISE,
                display_name=f"Racer {n}",
                company_name=f"Racer {n} Co.",
                created_at=clock() - timedelta(days=1),
                accepted_policy_version="1.0",
                accepted_policy_at=clock(),
            )
            session.add(enterprise)
            await session.flush()
            issued = await open_session(
                session, services.tokens, now=clock(), account_id=enterprise.id
            )
            # Creating a sub-account needs a stepped-up session.
            await elevate(session, issued.session_id, clock())
            tokens.append(issued.access_token)
            enterprises.append(enterprise.id)
        await session.commit()
    app = create_app(
        make_settings(db_url, max_sub_accounts=CAP),
        engine=engine,
        services=services,
        clock=clock,
    )
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Racers(client, tokens, enterprises)
    finally:
        async with engine.begin() as connection:
            await connection.execute(delete(Account).where(Account.enterprise_id.in_(enterprises)))
            await connection.execute(delete(Account).where(Account.id.in_(enterprises)))


def meet_before_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests wait (at most 2 s) for each other just before the cap is counted.

    Without serialisation both then count the same rows; with it, the second arrives
    only after the first is done, and goes on alone when the wait runs out.
    """
    arrived = 0
    both_here = asyncio.Event()
    count: Callable[..., Awaitable[int]] = queries.count_sub_accounts

    async def count_after_meeting(*args: Any, **kwargs: Any) -> int:
        nonlocal arrived
        arrived += 1
        if arrived == 2:
            both_here.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_here.wait(), 2)
        return await count(*args, **kwargs)

    monkeypatch.setattr(queries, "count_sub_accounts", count_after_meeting)


def new(n: int, email: str | None = None) -> dict[str, Any]:
    return {
        "input": {
            "displayName": f"Racer sub {n}",
            "email": email or f"racer{n}@race.example",
            "phone": f"+86135{n:08d}",
            "password": PASSWORD,
            "role": "MEMBER",
            "permissions": [],
        }
    }


async def count_where(engine: AsyncEngine, *where: Any) -> int:
    async with AsyncSession(engine) as session:
        found = await session.scalar(select(func.count()).select_from(Account).where(*where))
    return int(found or 0)


async def test_two_enterprises_typing_one_address_create_both_and_one_proves_it(
    racers: Racers,
    engine: AsyncEngine,
    outbox: Outbox,
    services: AuthServices,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A typed address is unproven: it blocks nobody. Of two invitations to it
    confirmed at once, the unique sign-in address lets one through."""
    client, tokens = racers.client, racers.tokens

    first = await graphql(client, CREATE, new(1, "shared@race.example"), token=tokens[0])
    await forget_rate_limits(services)  # a minute later: one invitation a minute an address
    second = await graphql(client, CREATE, new(2, "shared@race.example"), token=tokens[1])
    created = [first, second]
    invitations = [m.code for m in outbox.for_recipient("shared@race.example")]
    # Both look for the address's holder before either takes it.
    both_read_before_either_writes(monkeypatch, "accounts")
    confirmed = await asyncio.gather(
        *(graphql(client, CONFIRM_EMAIL, {"token": token}) for token in invitations)
    )

    assert [a["data"]["createSubAccount"]["userErrors"] for a in created] == [[], []]
    assert len(invitations) == 2
    assert sorted((str(a["data"]["confirmEmail"]["userErrors"]) for a in confirmed), key=len) == [
        "[]",
        str([EMAIL_TAKEN]),
    ]
    email_index = Account.email.index_of("shared@race.example")
    assert await count_where(engine, Account.email_index == email_index) == 1


async def test_requests_racing_for_the_last_place_under_the_cap_take_it_once(
    racers: Racers,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, tokens = racers.client, racers.tokens
    for n in range(CAP - 1):
        body = await graphql(client, CREATE, new(10 + n), token=tokens[0])
        assert body["data"]["createSubAccount"]["userErrors"] == [], body
    meet_before_counting(monkeypatch)

    answers = await asyncio.gather(
        graphql(client, CREATE, new(20), token=tokens[0]),
        graphql(client, CREATE, new(21), token=tokens[0]),
    )

    assert all("errors" not in answer for answer in answers), answers
    user_errors = sorted(
        (answer["data"]["createSubAccount"]["userErrors"] for answer in answers), key=len
    )
    assert user_errors == [[], [LIMIT_REACHED]]
    assert await count_where(engine, Account.enterprise_id == racers.enterprises[0]) == CAP
