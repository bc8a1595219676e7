"""recordSecurityIncident: privacy officers tell each affected account
(docs/spec/rights.md#security-incidents)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from models import (
    Account,
    AccountKind,
    AccountStatus,
    Notification,
    QueuedMessage,
    SecurityIncident,
    StaffRole,
)
from resolvers.global_id import to_global_id
from tests.helpers import graphql, staff_step_up
from tests.resolvers.rights.helpers import count_rows, create_person, notifications, staff_token
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS, data_of, error
from tests.support.ids import global_id
from tests.support.refusals import answer, forbidden, unauthenticated

RECORD = f"""
mutation($input: RecordSecurityIncidentInput!) {{
  recordSecurityIncident(input: $input) {{ notified {USER_ERRORS} }}
}}
"""
INCIDENT = {
    "title": "Unauthorised access to order records",
    "description": "On 3 March an attacker read order records through a leaked support login.",
    "categories": ["orders_and_payment", "phone_and_sms_code"],
    "cause": "A support login was phished and had no second factor.",
    "harm": "Someone may contact you pretending to be us and ask you to pay an order.",
    "measures": "We disabled the login, rotated every support credential and told the regulator.",
    "advice": "Watch for messages that ask for payment; we never ask for card numbers.",
}
OFFICER = "Personal information protection officer, contact@kanshan.in"
NOTICE = {
    "kind": "SECURITY_INCIDENT",
    "title": INCIDENT["title"],
    "body": (
        f"{INCIDENT['description']}\n\n"
        "Personal information involved: Orders and payments; Mobile number and SMS codes\n\n"
        f"Cause: {INCIDENT['cause']}\n\n"
        f"Possible harm: {INCIDENT['harm']}\n\n"
        f"What we did: {INCIDENT['measures']}\n\n"
        f"What you can do: {INCIDENT['advice']}\n\n"
        f"Contact: {OFFICER}"
    ),
}
NOT_FOUND = error(
    "NOT_FOUND",
    "Some affected account IDs are unknown or cancelled; nothing was sent.",
    "affectedAccountIds",
)


async def record(
    client: httpx.AsyncClient, token: str, affected: list[str], **texts: Any
) -> dict[str, Any]:
    variables = {"input": {**INCIDENT, **texts, "affectedAccountIds": affected}}
    body = await graphql(client, RECORD, variables, token=token)
    return data_of(body, "recordSecurityIncident")


async def test_each_affected_account_learns_what_happened_what_was_done_and_what_to_do(
    api: Api,
) -> None:
    zhang = await create_person(api.db, api.clock())
    business = await create_person(
        api.db, api.clock(), kind=AccountKind.BUSINESS, phone=None, email="biz@example.com"
    )
    bystander = await create_person(
        api.db, api.clock(), phone="+8613900139000", email="b@example.com"
    )
    tokens = [await api.sign_in(account=a) for a in (zhang, business)]
    bystander_token = await api.sign_in(account=bystander)
    token = await staff_token(api, stepped_up=True)

    payload = await record(
        api.client, token, [global_id(zhang), global_id(business), global_id(zhang)]
    )

    assert payload == {"notified": 2, "userErrors": []}
    for account_token in tokens:
        assert await notifications(api.client, account_token) == [NOTICE]
    assert await notifications(api.client, bystander_token) == []


@pytest.mark.parametrize("field", ["title", "description", "cause", "harm", "measures", "advice"])
async def test_every_text_is_required(api: Api, person: Account, field: str) -> None:
    token = await staff_token(api)

    empty = await record(api.client, token, [global_id(person)], **{field: ""})
    # A title holds one line; the other texts may hold line breaks.
    blank_text = "   " if field == "title" else "   \n "
    blank = await record(api.client, token, [global_id(person)], **{field: blank_text})

    limit = 200 if field == "title" else 5000
    expected = {
        "notified": 0,
        "userErrors": [error("INVALID_INPUT", f"Give 1 to {limit} characters.", field)],
    }
    assert empty == blank == expected
    assert await count_rows(api.db, Notification) == 0


async def test_texts_must_fit_what_a_notification_holds(api: Api, person: Account) -> None:
    person_token = await api.sign_in(account=person)
    token = await staff_token(api, stepped_up=True)

    too_long_title = await record(api.client, token, [global_id(person)], title="T" * 201)
    too_long_advice = await record(api.client, token, [global_id(person)], advice="a" * 5001)
    longest = await record(
        api.client, token, [global_id(person)], title="T" * 200, description="d" * 5000
    )

    assert too_long_title == {
        "notified": 0,
        "userErrors": [error("INVALID_INPUT", "Give 1 to 200 characters.", "title")],
    }
    assert too_long_advice == {
        "notified": 0,
        "userErrors": [error("INVALID_INPUT", "Give 1 to 5000 characters.", "advice")],
    }
    assert longest == {"notified": 1, "userErrors": []}
    [notice] = await notifications(api.client, person_token)
    assert notice["title"] == "T" * 200
    assert notice["body"].startswith("d" * 5000 + "\n\nPersonal information involved: ")


async def test_an_incident_names_its_accounts(api: Api) -> None:
    token = await staff_token(api)

    payload = await record(api.client, token, [], title="", categories=[], channels=[])
    unknown_category = await record(api.client, token, [], categories=["shoe_size"])

    assert payload == {
        "notified": 0,
        "userErrors": [
            error("INVALID_INPUT", "Give 1 to 200 characters.", "title"),
            error(
                "INVALID_INPUT",
                "Name the kinds of personal information involved by their dataCategories key.",
                "categories",
            ),
            error("INVALID_INPUT", "Name at least one channel.", "channels"),
            error("INVALID_INPUT", "Name the affected accounts.", "affectedAccountIds"),
        ],
    }
    assert unknown_category["userErrors"][0]["field"] == ["categories"]


async def test_an_unknown_or_cancelled_account_sends_nothing_to_anyone(
    api: Api, person: Account
) -> None:
    cancelled = await create_person(
        api.db, api.clock(), phone=None, email=None, status=AccountStatus.CANCELLED
    )
    token = await staff_token(api)
    unknown = to_global_id("IndividualAccount", uuid.uuid4())

    answers = [
        await record(api.client, token, [global_id(person), unknown]),
        await record(
            api.client, token, [global_id(person), to_global_id("DataRequest", person.id)]
        ),
        await record(api.client, token, [global_id(person), global_id(cancelled)]),
    ]

    assert answers == [{"notified": 0, "userErrors": [NOT_FOUND]}] * 3
    assert await count_rows(api.db, Notification) == 0


@pytest.mark.parametrize("viewer", ["support", "account"])
async def test_only_privacy_officers_record_incidents(
    api: Api, person: Account, viewer: str
) -> None:
    if viewer == "support":
        token = await staff_token(api, StaffRole.SUPPORT)
    else:
        token = await api.sign_in(account=person)
    variables = {"input": {**INCIDENT, "affectedAccountIds": [global_id(person)]}}

    assert await answer(api.client, RECORD, variables, token=token) == forbidden(
        "recordSecurityIncident"
    )
    assert await answer(api.client, RECORD, variables) == unauthenticated("recordSecurityIncident")
    assert await count_rows(api.db, Notification) == 0


async def test_a_stolen_officer_token_alone_sends_no_notice(api: Api, person: Account) -> None:
    """A notice goes by SMS and e-mail in the platform's name to whomever it names, and
    cannot be taken back: like fulfilling a request, it needs the officer's authenticator
    (docs/spec/rights.md#staff-step-up)."""
    person_token = await api.sign_in(account=person)
    token = await staff_token(api)

    refused = await record(api.client, token, [global_id(person)], channels=["IN_APP", "SMS"])
    nothing = (await count_rows(api.db, Notification), await count_rows(api.db, QueuedMessage))
    await staff_step_up(api.client, token, api.clock())
    sent = await record(api.client, token, [global_id(person)], channels=["IN_APP", "SMS"])

    assert refused == {
        "notified": 0,
        "userErrors": [
            {
                "field": None,
                "code": "STEP_UP_REQUIRED",
                "message": "Confirm it is you (elevateSession with totp), then try again.",
            }
        ],
    }
    assert nothing == (0, 0)
    assert await count_rows(api.db, SecurityIncident) == 1
    assert sent == {"notified": 1, "userErrors": []}
    assert await notifications(api.client, person_token) == [NOTICE]
