"""Staff reveal a person's values only to work an open request of theirs (RULES.md 3, 8)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from models import AccessLogEntry, DataRequestStatus, StaffRole
from tests.conftest import Clock
from tests.helpers import graphql, staff_step_up
from tests.resolvers.rights.helpers import (
    PHONE,
    STAFF_NAMES,
    count_rows,
    create_data_request,
    create_person,
    create_staff,
    global_id,
    refusal,
    request_global_id,
    sign_in,
    without_locations,
)

PHONE_OF = """
query($id: ID!, $reveal: Boolean!) { account(id: $id) { id phone(reveal: $reveal) } }
"""
ACCESS_LOG = """
query { viewer { account { accessLog { edges { node { at actorKind actorName field reason } } } } } }
"""


async def phone_of(
    client: httpx.AsyncClient, token: str, account_id: str, *, reveal: bool = True
) -> dict[str, Any]:
    return await graphql(client, PHONE_OF, {"id": account_id, "reveal": reveal}, token=token)


@pytest.mark.parametrize("role", list(StaffRole))
async def test_with_an_open_request_staff_see_the_phone_and_the_request_is_the_reason(
    client: httpx.AsyncClient,
    db: AsyncSession,
    services: AuthServices,
    clock: Clock,
    role: StaffRole,
) -> None:
    person = await create_person(db, clock())
    await create_data_request(
        db, person, clock() - timedelta(days=40), status=DataRequestStatus.FULFILLED
    )
    request = await create_data_request(
        db, person, clock() - timedelta(days=2), status=DataRequestStatus.IN_PROGRESS
    )
    person_token = await sign_in(db, services, clock(), account=person)
    staff = await create_staff(db, clock(), role)
    token = await sign_in(db, services, clock(), staff=staff)
    await staff_step_up(client, token, clock())

    body = await phone_of(client, token, global_id(person))

    assert body == {"data": {"account": {"id": global_id(person), "phone": PHONE}}}
    log = await graphql(client, ACCESS_LOG, token=person_token)
    assert log["data"]["viewer"]["account"]["accessLog"]["edges"] == [
        {
            "node": {
                "at": clock().isoformat(),
                "actorKind": "STAFF",
                "actorName": STAFF_NAMES[role],
                "field": "PHONE",
                "reason": request_global_id(request),
            }
        }
    ]


@pytest.mark.parametrize(
    "closed",
    [None, DataRequestStatus.FULFILLED, DataRequestStatus.REFUSED, DataRequestStatus.WITHDRAWN],
)
async def test_without_an_open_request_a_staff_reveal_is_forbidden(
    client: httpx.AsyncClient,
    db: AsyncSession,
    services: AuthServices,
    clock: Clock,
    closed: DataRequestStatus | None,
) -> None:
    person = await create_person(db, clock())
    other = await create_person(db, clock(), phone="+8613900139000", email="other@example.com")
    await create_data_request(db, other, clock())
    if closed is not None:
        await create_data_request(db, person, clock() - timedelta(days=1), status=closed)
    staff = await create_staff(db, clock())
    token = await sign_in(db, services, clock(), staff=staff)
    await staff_step_up(client, token, clock())

    body = await phone_of(client, token, global_id(person))

    assert without_locations(body) == {
        "data": {"account": {"id": global_id(person), "phone": None}},
        "errors": [refusal("FORBIDDEN", "You may not read this field.", ["account", "phone"])],
    }
    assert await count_rows(db, AccessLogEntry) == 0


async def test_an_open_request_without_step_up_asks_for_step_up(
    client: httpx.AsyncClient, db: AsyncSession, services: AuthServices, clock: Clock
) -> None:
    person = await create_person(db, clock())
    await create_data_request(db, person, clock())
    staff = await create_staff(db, clock())
    token = await sign_in(db, services, clock(), staff=staff)

    body = await phone_of(client, token, global_id(person))
    masked = await phone_of(client, token, global_id(person), reveal=False)

    assert without_locations(body) == {
        "data": {"account": {"id": global_id(person), "phone": None}},
        "errors": [
            refusal(
                "STEP_UP_REQUIRED",
                "Confirm it is you (elevateSession), then ask again.",
                ["account", "phone"],
            )
        ],
    }
    assert masked == {"data": {"account": {"id": global_id(person), "phone": "138****5678"}}}
    assert await count_rows(db, AccessLogEntry) == 0
