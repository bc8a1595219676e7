"""Two privacy officers publishing the same version at once (PostgreSQL).

Each request runs in a transaction of its own on a connection of its own, as in
production, so the rows here are committed for real and removed afterwards. The version
is not material and takes effect in a far future, so no other test sees it as current or
receives a notification while it exists.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from auth.services import AuthServices
from auth.sessions import elevate, open_session
from gateway.app import create_app
from gateway.settings import Settings
from models import PrivacyEvent, PrivacyPolicy, StaffMember, queries
from tests.conftest import Clock
from tests.resolvers.policies.helpers import publish
from tests.support.races import skip_unless_postgres
from tests.support.staff import create_staff
from tests.support.viewers import SignedIn


@pytest.fixture(autouse=True)
def postgres_only(is_postgres: bool) -> None:
    skip_unless_postgres(is_postgres)


async def test_two_officers_publishing_one_version_at_once_store_it_once(
    engine: AsyncEngine,
    settings: Settings,
    services: AuthServices,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    version = f"race-{uuid.uuid4().hex[:8]}"
    tokens: list[str] = []
    staff_ids: list[uuid.UUID] = []
    async with AsyncSession(engine, expire_on_commit=False) as session:
        for n in range(2):
            officer = await create_staff(
                session,
                clock(),
                name=f"Racing officer {n}",
                email=f"racer-{uuid.uuid4().hex}@platform.example",
            )
            issued = await open_session(session, services.tokens, now=clock(), staff_id=officer.id)
            # Publishing needs a session stepped up with the authenticator.
            await elevate(session, issued.session_id, clock())
            tokens.append(issued.access_token)
            staff_ids.append(officer.id)
        await session.commit()
    # Both requests have looked the version up, and found none, before either stores it.
    both_looked = asyncio.Barrier(2)
    policy_by_version = queries.policy_by_version

    async def after_both_looked(session: AsyncSession, wanted: str) -> Any:
        found = await policy_by_version(session, wanted)
        async with asyncio.timeout(10):
            await both_looked.wait()
        return found

    monkeypatch.setattr(queries, "policy_by_version", after_both_looked)
    app = create_app(settings, engine=engine, services=services, clock=clock)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answers = await asyncio.gather(
                *(
                    publish(
                        client, SignedIn(token=token), version, date(2999, 1, 1), material=False
                    )
                    for token in tokens
                )
            )
        async with AsyncSession(engine) as session:
            stored = await session.scalar(
                select(func.count()).where(PrivacyPolicy.version == version)
            )
    finally:
        async with engine.begin() as connection:
            await connection.execute(delete(PrivacyPolicy).where(PrivacyPolicy.version == version))
            await connection.execute(
                delete(PrivacyEvent).where(PrivacyEvent.type == "PrivacyPolicyPublished")
            )
            await connection.execute(delete(StaffMember).where(StaffMember.id.in_(staff_ids)))

    assert all("errors" not in answer for answer in answers), answers
    user_errors = sorted(
        (answer["data"]["publishPrivacyPolicy"]["userErrors"] for answer in answers), key=len
    )
    assert user_errors == [
        [],
        [
            {
                "field": ["version"],
                "code": "ALREADY_EXISTS",
                "message": "This version was published already.",
            }
        ],
    ]
    assert stored == 1
