"""Two requests changing the same consent or device permission at once (PostgreSQL).

Each request runs in a transaction of its own on a connection of its own, as in
production, so the rows here are committed for real and removed afterwards. Both requests
read the current state (no row yet) before either writes, as two taps on the same switch
in two tabs can.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from auth.services import AuthServices
from gateway.settings import Settings
from models import (
    Consent,
    ConsentEvent,
    DevicePermission,
    DevicePermissionEvent,
    PrivacyEvent,
)
from tests.conftest import Clock
from tests.helpers import graphql
from tests.support.races import Racer, racing_account, skip_unless_postgres


@pytest.fixture(autouse=True)
def postgres_only(is_postgres: bool) -> None:
    skip_unless_postgres(is_postgres)


@pytest.fixture
async def racer(
    engine: AsyncEngine, settings: Settings, services: AuthServices, clock: Clock
) -> AsyncIterator[Racer]:
    """A committed account with a session, and a client whose requests each get their own
    connection; the account goes again afterwards (its rows cascade)."""
    async with racing_account(engine, settings, services, clock) as racer:
        yield racer


def both_read_before_either_writes(monkeypatch: pytest.MonkeyPatch, table: str) -> None:
    """Each request's first read of `table` waits until the other request has read it too."""
    both_read = asyncio.Barrier(2)
    waited: set[int] = set()
    scalars = AsyncSession.scalars

    async def scalars_then_wait(self: AsyncSession, statement: Any, *args: Any, **kw: Any) -> Any:
        result = await scalars(self, statement, *args, **kw)
        froms = {getattr(f, "name", None) for f in statement.get_final_froms()}
        if table in froms and id(self) not in waited:
            waited.add(id(self))
            async with asyncio.timeout(10):
                await both_read.wait()
        return result

    monkeypatch.setattr(AsyncSession, "scalars", scalars_then_wait)


async def twice_at_once(racer: Racer, mutation: str) -> list[dict[str, Any]]:
    """The answers to the same mutation sent twice at once by the racing account."""
    first = graphql(racer.client, mutation, token=racer.token)
    second = graphql(racer.client, mutation, token=racer.token)
    return list(await asyncio.gather(first, second))


async def count(engine: AsyncEngine, model: Any, account_id: uuid.UUID) -> int:
    async with AsyncSession(engine) as session:
        statement = select(func.count()).select_from(model).where(model.account_id == account_id)
        return int(await session.scalar(statement) or 0)


async def test_two_first_grants_at_once_both_succeed_with_one_state_and_two_events(
    racer: Racer, engine: AsyncEngine
) -> None:
    # A consent change holds the account's row from its start (the order every writer of
    # the account's privacy events takes), so the second waits for the first: they
    # cannot both read before either writes, and the unique index is only a backstop.
    grant = """
    mutation { setConsent(input: { purpose: SEARCH_HISTORY, granted: true }) {
      consent { granted } userErrors { code }
    } }
    """

    answers = await twice_at_once(racer, grant)

    granted = {"data": {"setConsent": {"consent": {"granted": True}, "userErrors": []}}}
    assert answers == [granted, granted]
    assert await count(engine, Consent, racer.account_id) == 1
    assert await count(engine, ConsentEvent, racer.account_id) == 2
    async with AsyncSession(engine) as session:
        sequence = (
            await session.scalars(
                select(PrivacyEvent.type)
                .where(PrivacyEvent.account_id == racer.account_id)
                .order_by(PrivacyEvent.sequence)
            )
        ).all()
    assert sequence == ["ConsentChanged", "ConsentChanged"]


async def test_two_first_changes_of_a_device_permission_at_once_both_succeed(
    racer: Racer, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    both_read_before_either_writes(monkeypatch, "device_permissions")
    enable = """
    mutation { setDevicePermission(input: { permission: CAMERA, enabled: true }) {
      devicePermission { enabled } userErrors { code }
    } }
    """

    answers = await twice_at_once(racer, enable)

    enabled = {
        "data": {"setDevicePermission": {"devicePermission": {"enabled": True}, "userErrors": []}}
    }
    assert answers == [enabled, enabled]
    assert await count(engine, DevicePermission, racer.account_id) == 1
    assert await count(engine, DevicePermissionEvent, racer.account_id) == 2
