"""submitDataRequest and the 15-day clock (docs/spec/rights.md#data-requests)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from models import (
    Account,
    AccountStatus,
    DataRequest,
    DataRequestStatus,
    DataRequestType,
    Notification,
)
from tests.helpers import graphql
from tests.resolvers.rights.helpers import (
    count_rows,
    create_person,
    notifications,
    request_global_id,
    staff_token,
    stepped_up_session,
)
from tests.support.api import Api
from tests.support.assertions import STEP_UP_REQUIRED, USER_ERRORS, data_of, error
from tests.support.factories import create_data_request
from tests.support.refusals import ACCOUNTS_ONLY, answer, forbidden, unauthenticated

REQUEST_FIELDS = """
  id type status details deletionGround submittedAt dueAt overdue resolvedAt resolutionNote
  refusalReason
"""
SUBMIT = f"""
mutation($input: SubmitDataRequestInput!) {{
  submitDataRequest(input: $input) {{ dataRequest {{ {REQUEST_FIELDS} }} {USER_ERRORS} }}
}}
"""
OWN_REQUESTS = """
query { viewer { account { dataRequests { totalCount edges { node { id status dueAt overdue } } } } } }
"""
FIFTEEN_DAYS = timedelta(days=15)


async def submit(client: httpx.AsyncClient, token: str, type: str, **fields: Any) -> dict[str, Any]:
    body = await graphql(client, SUBMIT, {"input": {"type": type, **fields}}, token=token)
    return data_of(body, "submitDataRequest")


async def own_requests(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await graphql(client, OWN_REQUESTS, token=token)
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["viewer"]["account"]["dataRequests"]
    return connection


async def test_a_request_is_due_exactly_15_days_after_it_was_submitted(
    api: Api, person: Account
) -> None:
    token = await stepped_up_session(api, person)
    submitted_at = api.clock()

    payload = await submit(api.client, token, "ACCESS_COPY", details="  Send me a copy.  ")

    stored = (await api.db.scalars(select(DataRequest))).one()
    assert stored.account_id == person.id
    assert stored.due_at - stored.submitted_at == FIFTEEN_DAYS
    assert payload == {
        "dataRequest": {
            "id": request_global_id(stored),
            "type": "ACCESS_COPY",
            "status": "SUBMITTED",
            "details": "Send me a copy.",
            "deletionGround": None,
            "submittedAt": submitted_at.isoformat(),
            "dueAt": (submitted_at + FIFTEEN_DAYS).isoformat(),
            "overdue": False,
            "resolvedAt": None,
            "resolutionNote": None,
            "refusalReason": None,
        },
        "userErrors": [],
    }
    assert await notifications(api.client, token) == [
        {
            "kind": "DATA_REQUEST_UPDATED",
            "title": "Your access copy request",
            "body": f"We received your request and will answer by {(submitted_at + FIFTEEN_DAYS).date()}.",
        }
    ]


async def test_a_request_is_overdue_only_after_its_due_moment(api: Api, person: Account) -> None:
    token = await stepped_up_session(api, person)
    submitted = await submit(api.client, token, "CORRECTION")
    request_id = submitted["dataRequest"]["id"]
    due_at = submitted["dataRequest"]["dueAt"]

    api.clock.advance(days=15)
    token = await api.sign_in(account=person)
    at_due_moment = await own_requests(api.client, token)
    api.clock.advance(seconds=1)
    after_due_moment = await own_requests(api.client, token)

    assert at_due_moment["edges"] == [
        {"node": {"id": request_id, "status": "SUBMITTED", "dueAt": due_at, "overdue": False}}
    ]
    assert after_due_moment["edges"] == [
        {"node": {"id": request_id, "status": "SUBMITTED", "dueAt": due_at, "overdue": True}}
    ]


async def test_a_closed_request_is_never_overdue(api: Api, person: Account) -> None:
    await create_data_request(
        api.db, person, api.clock() - timedelta(days=30), status=DataRequestStatus.FULFILLED
    )
    token = await api.sign_in(account=person)

    connection = await own_requests(api.client, token)

    assert [edge["node"]["overdue"] for edge in connection["edges"]] == [False]


async def test_submitting_needs_step_up_and_stores_nothing_without_it(
    api: Api, person: Account
) -> None:
    token = await api.sign_in(account=person)

    payload = await submit(api.client, token, "ACCESS_COPY")

    assert payload == {"dataRequest": None, "userErrors": [STEP_UP_REQUIRED]}
    assert await count_rows(api.db, DataRequest) == 0
    assert await count_rows(api.db, Notification) == 0


async def test_a_deletion_request_names_its_ground(api: Api, person: Account) -> None:
    token = await stepped_up_session(api, person)

    without_ground = await submit(api.client, token, "DELETION")
    with_ground = await submit(api.client, token, "DELETION", deletionGround="CONSENT_WITHDRAWN")

    assert without_ground == {
        "dataRequest": None,
        "userErrors": [
            error("INVALID_INPUT", "A deletion request names its ground.", "deletionGround")
        ],
    }
    assert with_ground["userErrors"] == []
    assert with_ground["dataRequest"]["type"] == "DELETION"
    assert with_ground["dataRequest"]["deletionGround"] == "CONSENT_WITHDRAWN"
    assert await count_rows(api.db, DataRequest) == 1


async def test_details_longer_than_2000_characters_are_refused(api: Api, person: Account) -> None:
    token = await stepped_up_session(api, person)

    too_long = await submit(api.client, token, "CORRECTION", details="x" * 2001)
    longest = await submit(api.client, token, "COMPLAINT", details="x" * 2000)

    assert too_long == {
        "dataRequest": None,
        "userErrors": [error("INVALID_INPUT", "At most 2000 characters.", "details")],
    }
    assert longest["userErrors"] == []
    assert await count_rows(api.db, DataRequest) == 1


async def test_one_open_request_of_each_type(api: Api, person: Account) -> None:
    await create_data_request(
        api.db, person, api.clock() - timedelta(days=3), status=DataRequestStatus.FULFILLED
    )
    token = await stepped_up_session(api, person)

    first = await submit(api.client, token, "ACCESS_COPY")
    second = await submit(api.client, token, "ACCESS_COPY")
    other_type = await submit(api.client, token, "PORTABILITY")

    assert first["userErrors"] == []
    assert second == {
        "dataRequest": None,
        "userErrors": [error("ALREADY_EXISTS", "A request of this type is already open.", "type")],
    }
    assert other_type["userErrors"] == []
    assert await count_rows(api.db, DataRequest, type=DataRequestType.ACCESS_COPY) == 2


async def test_an_in_progress_request_also_blocks_a_second_one(api: Api, person: Account) -> None:
    await create_data_request(
        api.db,
        person,
        api.clock() - timedelta(days=3),
        type=DataRequestType.EXPLANATION,
        status=DataRequestStatus.IN_PROGRESS,
    )
    token = await stepped_up_session(api, person)

    payload = await submit(api.client, token, "EXPLANATION")

    assert payload["userErrors"] == [
        error("ALREADY_EXISTS", "A request of this type is already open.", "type")
    ]


async def test_another_accounts_open_request_does_not_block(api: Api) -> None:
    other = await create_person(
        api.db, api.clock(), phone="+8613900139000", email="other@example.com"
    )
    await create_data_request(api.db, other, api.clock())
    person = await create_person(api.db, api.clock())
    token = await stepped_up_session(api, person)

    payload = await submit(api.client, token, "ACCESS_COPY")

    assert payload["userErrors"] == []


async def test_staff_and_anonymous_callers_submit_nothing(api: Api) -> None:
    token = await staff_token(api, stepped_up=True)
    variables = {"input": {"type": "ACCESS_COPY"}}

    assert await answer(api.client, SUBMIT, variables, token=token) == forbidden(
        "submitDataRequest", ACCOUNTS_ONLY
    )
    assert await answer(api.client, SUBMIT, variables) == unauthenticated("submitDataRequest")
    assert await count_rows(api.db, DataRequest) == 0


async def test_a_minor_awaiting_guardian_consent_may_submit(api: Api) -> None:
    person = await create_person(api.db, api.clock(), status=AccountStatus.PENDING_GUARDIAN_CONSENT)
    token = await stepped_up_session(api, person)

    payload = await submit(api.client, token, "EXPLANATION")

    assert payload["userErrors"] == []
    assert payload["dataRequest"]["status"] == "SUBMITTED"


async def test_after_withdrawing_the_same_type_can_be_submitted_again(
    api: Api, person: Account
) -> None:
    token = await stepped_up_session(api, person)
    first = await submit(api.client, token, "RESTRICTION")
    withdrawn = await graphql(
        api.client,
        "mutation($id: ID!) { withdrawDataRequest(input: {id: $id}) { userErrors { code } } }",
        {"id": first["dataRequest"]["id"]},
        token=token,
    )

    again = await submit(api.client, token, "RESTRICTION")

    assert withdrawn == {"data": {"withdrawDataRequest": {"userErrors": []}}}
    assert again["userErrors"] == []
    assert again["dataRequest"]["id"] != first["dataRequest"]["id"]
    assert await count_rows(api.db, DataRequest, status=DataRequestStatus.SUBMITTED) == 1
