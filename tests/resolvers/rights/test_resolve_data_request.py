"""resolveDataRequest: staff move a request on; every change notifies the person."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Account,
    AccountStatus,
    AuthSession,
    DataRequest,
    DataRequestStatus,
    DataRequestType,
    Notification,
    StaffRole,
)
from resolvers.global_id import to_global_id
from resolvers.privacy.inventory import CONTACT_FILE, DEFAULT_DIR
from tests.helpers import graphql, staff_step_up
from tests.resolvers.rights.helpers import (
    VIEWER_ACCOUNT,
    count_rows,
    notifications,
    request_global_id,
    resolving,
    staff_token,
)
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS, data_of, error
from tests.support.factories import create_data_request
from tests.support.ids import global_id
from tests.support.refusals import answer, forbidden
from tests.support.staff import create_staff

RESOLVE = resolving("id type status resolvedAt resolutionNote refusalReason overdue")
REFUSAL_REASON_REQUIRED = error(
    "REFUSAL_REASON_REQUIRED", "A refusal names one of the policy's exceptions.", "refusalReason"
)
CLOSED = error("INVALID_STATE", "This request is closed.", "id")
REGULATOR = json.loads((DEFAULT_DIR / CONTACT_FILE).read_text(encoding="utf-8"))["regulator"]
NOT_FOUND = error("NOT_FOUND", "No such request.", "id")


async def resolve(
    client: httpx.AsyncClient, token: str, request: DataRequest | str, status: str, **fields: Any
) -> dict[str, Any]:
    request_id = request if isinstance(request, str) else request_global_id(request)
    variables = {"input": {"id": request_id, "status": status, **fields}}
    body = await graphql(client, RESOLVE, variables, token=token)
    return data_of(body, "resolveDataRequest")


async def stored(db: AsyncSession, request: DataRequest) -> tuple[Any, ...]:
    await db.refresh(request)
    return (
        request.status,
        request.resolved_at,
        request.resolution_note,
        request.refusal_reason,
    )


@pytest.mark.parametrize("role", list(StaffRole))
async def test_staff_work_a_request_and_the_person_hears_of_every_step(
    api: Api, person: Account, role: StaffRole
) -> None:
    request = await create_data_request(
        api.db, person, api.clock() - timedelta(days=20), type=DataRequestType.CORRECTION
    )
    person_token = await api.sign_in(account=person)
    token = await staff_token(api, role)

    working = await resolve(
        api.client, token, request, "IN_PROGRESS", note="  Checking the address.  "
    )
    api.clock.advance(seconds=30)
    await staff_step_up(api.client, token, api.clock())
    done = await resolve(
        api.client,
        token,
        request,
        "FULFILLED",
        note="Address corrected.",
        correction="Postal address replaced with the one the person gave.",
    )

    assert working == {
        "dataRequest": {
            "id": request_global_id(request),
            "type": "CORRECTION",
            "status": "IN_PROGRESS",
            "resolvedAt": None,
            "resolutionNote": "Checking the address.",
            "refusalReason": None,
            "overdue": True,
        },
        "userErrors": [],
    }
    assert done == {
        "dataRequest": {
            "id": request_global_id(request),
            "type": "CORRECTION",
            "status": "FULFILLED",
            "resolvedAt": api.clock().isoformat(),
            "resolutionNote": "Address corrected.",
            "refusalReason": None,
            "overdue": False,
        },
        "userErrors": [],
    }
    assert await notifications(api.client, person_token) == [
        {
            "kind": "DATA_REQUEST_UPDATED",
            "title": "Your correction request",
            "body": (
                "Your request has been fulfilled. The request records what we changed."
                "\n\nAddress corrected."
            ),
        },
        {
            "kind": "DATA_REQUEST_UPDATED",
            "title": "Your correction request",
            "body": "We are working on your request.\n\nChecking the address.",
        },
    ]


async def test_a_refusal_needs_one_of_the_policys_exceptions(api: Api, person: Account) -> None:
    request = await create_data_request(api.db, person, api.clock(), type=DataRequestType.DELETION)
    person_token = await api.sign_in(account=person)
    token = await staff_token(api)
    before = await stored(api.db, request)

    without_reason = await resolve(api.client, token, request, "REFUSED", note="No.")
    unchanged = await stored(api.db, request)
    messages_after_refusal_attempt = await notifications(api.client, person_token)
    refused = await resolve(
        api.client,
        token,
        request,
        "REFUSED",
        refusalReason="LEGAL_OBLIGATION",
        note="Tax law keeps invoices for 5 years.",
    )

    assert without_reason == {"dataRequest": None, "userErrors": [REFUSAL_REASON_REQUIRED]}
    assert unchanged == before
    assert messages_after_refusal_attempt == []
    assert refused["userErrors"] == []
    assert refused["dataRequest"] | {"id": None} == {
        "id": None,
        "type": "DELETION",
        "status": "REFUSED",
        "resolvedAt": api.clock().isoformat(),
        "resolutionNote": "Tax law keeps invoices for 5 years.",
        "refusalReason": "LEGAL_OBLIGATION",
        "overdue": False,
    }
    assert await notifications(api.client, person_token) == [
        {
            "kind": "DATA_REQUEST_UPDATED",
            "title": "Your deletion request",
            "body": (
                "We could not grant your request: the law obliges us to keep or process this"
                " information.\n\n" + REGULATOR + "\n\nTax law keeps invoices for 5 years."
            ),
        }
    ]


# Every refusal names its exception in words and ends with where to complain next.
REFUSAL_GROUNDS = {
    "LEGAL_OBLIGATION": "the law obliges us to keep or process this information",
    "NATIONAL_SECURITY": "it concerns national security or defence",
    "PUBLIC_INTEREST": "it concerns public safety, public health or another major public interest",
    "CRIMINAL_INVESTIGATION": (
        "it concerns a criminal investigation, prosecution, trial or the enforcement of a judgment"
    ),
    "ABUSE_OF_RIGHTS": "we have evidence that the request abuses the right or is made in bad faith",
    "PROTECT_LIFE_PROPERTY": (
        "it is needed to protect someone's life, property or other major interests and their"
        " consent cannot be asked in time"
    ),
    "HARM_TO_OTHERS": (
        "granting it would seriously harm the lawful rights of other people or organisations"
    ),
    "TRADE_SECRET": "granting it would disclose trade secrets",
}


@pytest.mark.parametrize("reason", sorted(REFUSAL_GROUNDS))
async def test_every_refusal_notice_gives_the_ground_and_the_regulator(
    api: Api, person: Account, reason: str
) -> None:
    request = await create_data_request(
        api.db, person, api.clock(), type=DataRequestType.CORRECTION
    )
    person_token = await api.sign_in(account=person)
    token = await staff_token(api)

    refused = await resolve(api.client, token, request, "REFUSED", refusalReason=reason)

    assert refused["userErrors"] == []
    assert await notifications(api.client, person_token) == [
        {
            "kind": "DATA_REQUEST_UPDATED",
            "title": "Your correction request",
            "body": f"We could not grant your request: {REFUSAL_GROUNDS[reason]}.\n\n{REGULATOR}",
        }
    ]


@pytest.mark.parametrize(
    "status", [DataRequestStatus.FULFILLED, DataRequestStatus.REFUSED, DataRequestStatus.WITHDRAWN]
)
async def test_a_closed_request_stays_as_it_was(
    api: Api, person: Account, status: DataRequestStatus
) -> None:
    request = await create_data_request(
        api.db, person, api.clock() - timedelta(days=1), status=status
    )
    token = await staff_token(api)
    before = await stored(api.db, request)

    answers = [
        await resolve(api.client, token, request, "IN_PROGRESS"),
        await resolve(api.client, token, request, "FULFILLED"),
        await resolve(api.client, token, request, "REFUSED", refusalReason="ABUSE_OF_RIGHTS"),
    ]

    assert answers == [{"dataRequest": None, "userErrors": [CLOSED]}] * 3
    assert await stored(api.db, request) == before
    assert await count_rows(api.db, Notification) == 0


async def test_only_in_progress_fulfilled_or_refused_are_resolutions(
    api: Api, person: Account
) -> None:
    request = await create_data_request(api.db, person, api.clock())
    token = await staff_token(api)
    invalid = error(
        "INVALID_INPUT", "Move a request to IN_PROGRESS, FULFILLED or REFUSED.", "status"
    )

    answers = [
        await resolve(api.client, token, request, "WITHDRAWN"),
        await resolve(api.client, token, request, "SUBMITTED"),
    ]

    assert answers == [{"dataRequest": None, "userErrors": [invalid]}] * 2
    assert (await stored(api.db, request))[0] is DataRequestStatus.SUBMITTED


async def test_an_unknown_request_is_not_found(api: Api) -> None:
    token = await staff_token(api)

    unknown = await resolve(
        api.client, token, to_global_id("DataRequest", uuid.uuid4()), "FULFILLED"
    )

    assert unknown == {"dataRequest": None, "userErrors": [NOT_FOUND]}


async def test_accounts_may_not_resolve_even_their_own_request(api: Api, person: Account) -> None:
    request = await create_data_request(api.db, person, api.clock())
    token = await api.sign_in(account=person)
    variables = {"input": {"id": request_global_id(request), "status": "FULFILLED"}}

    body = await answer(api.client, RESOLVE, variables, token=token)

    assert body == forbidden("resolveDataRequest")
    assert (await stored(api.db, request))[0] is DataRequestStatus.SUBMITTED
    assert await count_rows(api.db, Notification) == 0


async def test_fulfilling_a_cancellation_request_cancels_the_account(
    api: Api, person: Account
) -> None:
    request = await create_data_request(
        api.db, person, api.clock(), type=DataRequestType.CANCELLATION
    )
    person_token = await api.sign_in(account=person)
    token = await staff_token(api, stepped_up=True)

    payload = await resolve(api.client, token, request, "FULFILLED")

    assert payload["userErrors"] == []
    assert payload["dataRequest"]["status"] == "FULFILLED"
    account = await api.db.get_one(Account, person.id, populate_existing=True)
    assert account.status is AccountStatus.CANCELLED
    assert (account.phone, account.email, account.phone_index, account.email_index) == (None,) * 4
    assert await count_rows(api.db, AuthSession, account_id=person.id) == 0
    refused = await api.client.post(
        "/graphql",
        json={"query": VIEWER_ACCOUNT},
        headers={"Authorization": f"Bearer {person_token}"},
    )
    assert refused.status_code == 401
    await api.db.refresh(request)
    assert request.status is DataRequestStatus.FULFILLED


async def test_fulfilling_another_type_leaves_the_account_alone(api: Api, person: Account) -> None:
    request = await create_data_request(api.db, person, api.clock(), type=DataRequestType.DELETION)
    person_token = await api.sign_in(account=person)
    token = await staff_token(api)

    await resolve(api.client, token, request, "FULFILLED")

    body = await graphql(api.client, VIEWER_ACCOUNT, token=person_token)
    assert body["data"]["viewer"]["account"]["status"] == "ACTIVE"


async def test_a_note_holds_at_most_2000_characters(api: Api, person: Account) -> None:
    request = await create_data_request(api.db, person, api.clock())
    staff = await create_staff(api.db, api.clock())
    token = await api.sign_in(staff=staff)

    too_long = await resolve(api.client, token, request, "IN_PROGRESS", note="n" * 2001)
    unchanged = await stored(api.db, request)
    longest = await resolve(api.client, token, request, "IN_PROGRESS", note="n" * 2000)

    assert too_long == {
        "dataRequest": None,
        "userErrors": [error("INVALID_INPUT", "At most 2000 characters.", "note")],
    }
    assert unchanged[0] is DataRequestStatus.SUBMITTED
    assert longest["userErrors"] == []
    assert longest["dataRequest"]["resolutionNote"] == "n" * 2000


# --- a stolen staff token ends no account -----------------------------------------------
# docs/spec/rights.md#staff-step-up: fulfilling a request and lifting a restriction act on
# a person's data for good, so they need a staff session stepped up with the authenticator.

LIFT = f"""
mutation($input: LiftRestrictionInput!) {{
  liftRestriction(input: $input) {{ consent {{ purpose restricted }} {USER_ERRORS} }}
}}
"""
STAFF_STEP_UP_REQUIRED = {
    "field": None,
    "code": "STEP_UP_REQUIRED",
    "message": "Confirm it is you (elevateSession with totp), then try again.",
}


@pytest.mark.parametrize(
    ("request_type", "fields"),
    [
        (DataRequestType.CANCELLATION, {}),
        (DataRequestType.DELETION, {"categories": ["search_history"]}),
        (DataRequestType.RESTRICTION, {"purposes": ["SEARCH_HISTORY"]}),
        (DataRequestType.CORRECTION, {"correction": "Address replaced."}),
        (DataRequestType.ACCESS_COPY, {}),
    ],
)
async def test_fulfilling_needs_a_stepped_up_staff_session(
    api: Api, person: Account, request_type: DataRequestType, fields: dict[str, Any]
) -> None:
    request = await create_data_request(api.db, person, api.clock(), type=request_type)
    person_token = await api.sign_in(account=person)
    token = await staff_token(api, StaffRole.SUPPORT)

    refused = await resolve(api.client, token, request, "FULFILLED", **fields)
    still = await graphql(api.client, VIEWER_ACCOUNT, token=person_token)
    working = await resolve(api.client, token, request, "IN_PROGRESS")
    notified_before_step_up = await count_rows(api.db, Notification)
    await staff_step_up(api.client, token, api.clock())
    done = await resolve(api.client, token, request, "FULFILLED", **fields)

    assert refused == {"dataRequest": None, "userErrors": [STAFF_STEP_UP_REQUIRED]}
    assert still["data"]["viewer"]["account"]["status"] == "ACTIVE"
    assert working["userErrors"] == []
    assert (done["userErrors"], done["dataRequest"]["status"]) == ([], "FULFILLED")
    await api.db.refresh(request)
    assert request.status is DataRequestStatus.FULFILLED
    # The refused attempt told the person nothing; only moving it on did.
    assert notified_before_step_up == 1


async def test_a_stepped_up_session_expires_after_five_minutes(api: Api, person: Account) -> None:
    request = await create_data_request(
        api.db, person, api.clock(), type=DataRequestType.CANCELLATION
    )
    token = await staff_token(api, stepped_up=True)
    api.clock.advance(minutes=5, seconds=1)

    refused = await resolve(api.client, token, request, "FULFILLED")

    assert refused == {"dataRequest": None, "userErrors": [STAFF_STEP_UP_REQUIRED]}
    account = await api.db.get_one(Account, person.id, populate_existing=True)
    assert account.status is AccountStatus.ACTIVE


async def test_lifting_a_restriction_needs_a_stepped_up_staff_session(
    api: Api, person: Account
) -> None:
    request = await create_data_request(
        api.db, person, api.clock(), type=DataRequestType.RESTRICTION
    )
    token = await staff_token(api, StaffRole.SUPPORT, stepped_up=True)
    await resolve(api.client, token, request, "FULFILLED", purposes=["TARGETED_PUSH"])
    api.clock.advance(minutes=6)
    variables = {"input": {"accountId": global_id(person), "purpose": "TARGETED_PUSH"}}

    refused = await graphql(api.client, LIFT, variables, token=token)
    await staff_step_up(api.client, token, api.clock())
    lifted = await graphql(api.client, LIFT, variables, token=token)

    assert refused == {
        "data": {"liftRestriction": {"consent": None, "userErrors": [STAFF_STEP_UP_REQUIRED]}}
    }
    assert lifted == {
        "data": {
            "liftRestriction": {
                "consent": {"purpose": "TARGETED_PUSH", "restricted": False},
                "userErrors": [],
            }
        }
    }
