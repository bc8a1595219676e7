"""withdrawDataRequest (docs/spec/rights.md#data-requests)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from models import DataRequest, DataRequestStatus
from resolvers.global_id import to_global_id
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.rights.helpers import create_person, notifications, request_global_id
from tests.support.assertions import USER_ERRORS, error
from tests.support.factories import create_data_request
from tests.support.ids import global_id
from tests.support.viewers import sign_in

WITHDRAW = f"""
mutation($input: WithdrawDataRequestInput!) {{
  withdrawDataRequest(input: $input) {{
    dataRequest {{ id type status resolvedAt overdue }} {USER_ERRORS}
  }}
}}
"""
NOT_FOUND = error("NOT_FOUND", "No such request.", "id")
CLOSED = error("INVALID_STATE", "This request is closed.", "id")


async def withdraw(client: httpx.AsyncClient, token: str, request_id: str) -> dict[str, Any]:
    body = await graphql(client, WITHDRAW, {"input": {"id": request_id}}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["withdrawDataRequest"]
    return payload


async def test_the_person_withdraws_an_open_request_and_is_told(
    client: httpx.AsyncClient, db: AsyncSession, services: AuthServices, clock: Clock
) -> None:
    person = await create_person(db, clock())
    request = await create_data_request(db, person, clock() - timedelta(days=20))
    token = await sign_in(db, services, clock(), account=person)

    payload = await withdraw(client, token, request_global_id(request))

    assert payload == {
        "dataRequest": {
            "id": request_global_id(request),
            "type": "ACCESS_COPY",
            "status": "WITHDRAWN",
            "resolvedAt": clock().isoformat(),
            "overdue": False,
        },
        "userErrors": [],
    }
    await db.refresh(request)
    assert request.status is DataRequestStatus.WITHDRAWN
    assert await notifications(client, token) == [
        {
            "kind": "DATA_REQUEST_UPDATED",
            "title": "Your access copy request",
            "body": "You withdrew this request.",
        }
    ]


async def test_a_closed_request_cannot_be_withdrawn(
    client: httpx.AsyncClient, db: AsyncSession, services: AuthServices, clock: Clock
) -> None:
    person = await create_person(db, clock())
    request = await create_data_request(db, person, clock())
    fulfilled = await create_data_request(
        db, person, clock() - timedelta(days=2), status=DataRequestStatus.FULFILLED
    )
    token = await sign_in(db, services, clock(), account=person)
    await withdraw(client, token, request_global_id(request))

    again = await withdraw(client, token, request_global_id(request))
    after_fulfilment = await withdraw(client, token, request_global_id(fulfilled))

    assert again == {"dataRequest": None, "userErrors": [CLOSED]}
    assert after_fulfilment == {"dataRequest": None, "userErrors": [CLOSED]}
    await db.refresh(fulfilled)
    assert fulfilled.status is DataRequestStatus.FULFILLED
    assert len(await notifications(client, token)) == 1


async def test_another_accounts_request_is_not_found_and_stays_open(
    client: httpx.AsyncClient, db: AsyncSession, services: AuthServices, clock: Clock
) -> None:
    owner = await create_person(db, clock(), phone="+8613900139000", email="owner@example.com")
    request = await create_data_request(db, owner, clock())
    person = await create_person(db, clock())
    token = await sign_in(db, services, clock(), account=person)

    payload = await withdraw(client, token, request_global_id(request))

    assert payload == {"dataRequest": None, "userErrors": [NOT_FOUND]}
    await db.refresh(request)
    assert request.status is DataRequestStatus.SUBMITTED
    assert await db.get(DataRequest, request.id) is not None


async def test_an_unknown_or_foreign_id_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession, services: AuthServices, clock: Clock
) -> None:
    person = await create_person(db, clock())
    await create_data_request(db, person, clock())
    token = await sign_in(db, services, clock(), account=person)

    unknown = await withdraw(client, token, to_global_id("DataRequest", uuid.uuid4()))
    an_account = await withdraw(client, token, global_id(person))

    assert unknown == an_account == {"dataRequest": None, "userErrors": [NOT_FOUND]}
