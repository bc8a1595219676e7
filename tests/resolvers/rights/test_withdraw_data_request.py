"""withdrawDataRequest (docs/spec/rights.md#data-requests)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx

from models import Account, DataRequest, DataRequestStatus
from resolvers.global_id import to_global_id
from tests.helpers import graphql
from tests.resolvers.rights.helpers import create_person, notifications, request_global_id
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS, data_of, error
from tests.support.factories import create_data_request
from tests.support.ids import global_id

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
    return data_of(body, "withdrawDataRequest")


async def test_the_person_withdraws_an_open_request_and_is_told(api: Api, person: Account) -> None:
    request = await create_data_request(api.db, person, api.clock() - timedelta(days=20))
    token = await api.sign_in(account=person)

    payload = await withdraw(api.client, token, request_global_id(request))

    assert payload == {
        "dataRequest": {
            "id": request_global_id(request),
            "type": "ACCESS_COPY",
            "status": "WITHDRAWN",
            "resolvedAt": api.clock().isoformat(),
            "overdue": False,
        },
        "userErrors": [],
    }
    await api.db.refresh(request)
    assert request.status is DataRequestStatus.WITHDRAWN
    assert await notifications(api.client, token) == [
        {
            "kind": "DATA_REQUEST_UPDATED",
            "title": "Your access copy request",
            "body": "You withdrew this request.",
        }
    ]


async def test_a_closed_request_cannot_be_withdrawn(api: Api, person: Account) -> None:
    request = await create_data_request(api.db, person, api.clock())
    fulfilled = await create_data_request(
        api.db, person, api.clock() - timedelta(days=2), status=DataRequestStatus.FULFILLED
    )
    token = await api.sign_in(account=person)
    await withdraw(api.client, token, request_global_id(request))

    again = await withdraw(api.client, token, request_global_id(request))
    after_fulfilment = await withdraw(api.client, token, request_global_id(fulfilled))

    assert again == {"dataRequest": None, "userErrors": [CLOSED]}
    assert after_fulfilment == {"dataRequest": None, "userErrors": [CLOSED]}
    await api.db.refresh(fulfilled)
    assert fulfilled.status is DataRequestStatus.FULFILLED
    assert len(await notifications(api.client, token)) == 1


async def test_another_accounts_request_is_not_found_and_stays_open(api: Api) -> None:
    owner = await create_person(
        api.db, api.clock(), phone="+8613900139000", email="owner@example.com"
    )
    request = await create_data_request(api.db, owner, api.clock())
    person = await create_person(api.db, api.clock())
    token = await api.sign_in(account=person)

    payload = await withdraw(api.client, token, request_global_id(request))

    assert payload == {"dataRequest": None, "userErrors": [NOT_FOUND]}
    await api.db.refresh(request)
    assert request.status is DataRequestStatus.SUBMITTED
    assert await api.db.get(DataRequest, request.id) is not None


async def test_an_unknown_or_foreign_id_is_not_found(api: Api, person: Account) -> None:
    await create_data_request(api.db, person, api.clock())
    token = await api.sign_in(account=person)

    unknown = await withdraw(api.client, token, to_global_id("DataRequest", uuid.uuid4()))
    an_account = await withdraw(api.client, token, global_id(person))

    assert unknown == an_account == {"dataRequest": None, "userErrors": [NOT_FOUND]}
