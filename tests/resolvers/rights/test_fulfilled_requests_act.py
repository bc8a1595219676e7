"""Fulfilled requests act: a DELETION erases the categories it names,
a RESTRICTION restricts purposes until staff lift it, a CORRECTION records what changed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Account,
    BankCard,
    Consent,
    ConsentPurpose,
    DataRequest,
    DataRequestStatus,
    DataRequestType,
    ProcessingRestriction,
    StaffRole,
)
from resolvers.global_id import to_global_id
from tests.conftest import Clock
from tests.helpers import graphql, staff_step_up
from tests.resolvers.consents.test_set_consent import add_searches
from tests.resolvers.rights.helpers import (
    count_rows,
    create_person,
    notifications,
    request_global_id,
    resolving,
    staff_token,
    stepped_up_session,
)
from tests.resolvers.settings.helpers import add_personal_data
from tests.support.api import Api
from tests.support.assertions import (
    EMPTY_PROFILE,
    USER_ERRORS,
    data_of,
    error,
    refusal,
    without_locations,
)
from tests.support.factories import create_data_request
from tests.support.ids import global_id
from tests.support.refusals import forbidden
from tests.support.viewers import step_up_with_password

RESOLVE = resolving("type status categories purposes")
SUBMIT = f"""
mutation($input: SubmitDataRequestInput!) {{
  submitDataRequest(input: $input) {{ dataRequest {{ id type categories purposes }} {USER_ERRORS} }}
}}
"""
LIFT = f"""
mutation($input: LiftRestrictionInput!) {{
  liftRestriction(input: $input) {{ consent {{ purpose granted restricted restrictedSince }} {USER_ERRORS} }}
}}
"""
EXPORT = f"mutation {{ exportMyData {{ export {USER_ERRORS} }} }}"
EVERYTHING_READABLE = """
query {
  viewer {
    account {
      displayName avatarUrl
      profile { bio industry position companySize needs }
      verifications { realName { status } student { status } }
      bankCards { last4 }
      searchHistory { edges { node { query } } }
    }
  }
}
"""
CONSENTS = """
{ viewer { account { consents { purpose granted restricted restrictedSince } } } }
"""
RECORD_SEARCH = 'mutation { recordSearch(input: { query: "lamps" }) { recorded } }'
ERASED_HERE = [
    "search_history",
    "real_name",
    "student",
    "bank_card",
    "industry_profile",
    "public_profile",
]
ERASED_NAMES = (
    "Search history; Real-name verification; Student verification; Bank card;"
    " Industry and needs; Public profile"
)


async def resolve(
    client: httpx.AsyncClient, token: str, request: DataRequest | str, status: str, **fields: Any
) -> dict[str, Any]:
    request_id = request if isinstance(request, str) else request_global_id(request)
    body = await graphql(
        client, RESOLVE, {"input": {"id": request_id, "status": status, **fields}}, token=token
    )
    return data_of(body, "resolveDataRequest")


async def a_person_with_everything(db: AsyncSession, clock: Clock) -> Account:
    person = await create_person(
        db,
        clock(),
        industry="Retail",
        position="Owner",
        company_size="1-10",
        needs=["templates"],
        bio="I sell lamps",
        avatar_url="https://cdn.example/me.png",
    )
    await add_personal_data(db, person, clock)
    await add_searches(db, person.id, clock())
    await db.commit()
    return person


# --- deletion --------------------------------------------------------------------------


async def test_a_fulfilled_deletion_erases_its_categories_from_every_path(api: Api) -> None:
    person = await a_person_with_everything(api.db, api.clock)
    card = (await api.db.scalars(select(BankCard).where(BankCard.account_id == person.id))).one()
    request = await create_data_request(api.db, person, api.clock(), type=DataRequestType.DELETION)
    person_token = await api.sign_in(account=person)
    token = await staff_token(api, StaffRole.SUPPORT, stepped_up=True)

    done = await resolve(api.client, token, request, "FULFILLED", categories=ERASED_HERE)
    read = await graphql(api.client, EVERYTHING_READABLE, token=person_token)
    card_node = await graphql(
        api.client,
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": to_global_id("BankCard", card.id)},
        token=person_token,
    )
    await step_up_with_password(api.client, person_token)
    exported = await graphql(api.client, EXPORT, token=person_token)

    assert done == {
        "dataRequest": {
            "type": "DELETION",
            "status": "FULFILLED",
            "categories": ERASED_HERE,
            "purposes": [],
        },
        "userErrors": [],
    }
    account = read["data"]["viewer"]["account"]
    assert account["displayName"].startswith("User ")
    assert account | {"displayName": None} == {
        "displayName": None,
        "avatarUrl": None,
        "profile": EMPTY_PROFILE,
        "verifications": {"realName": None, "student": None},
        "bankCards": [],
        "searchHistory": {"edges": []},
    }
    assert card_node == {"data": {"node": None}}
    export = exported["data"]["exportMyData"]["export"]
    for table in (
        "search_entries",
        "real_name_verifications",
        "student_verifications",
        "bank_cards",
    ):
        assert export["tables"][table] == [], table
    assert {
        key: export["account"][key]
        for key in ("bio", "industry", "position", "company_size", "needs", "avatar_url")
    } == {
        "bio": None,
        "industry": None,
        "position": None,
        "company_size": None,
        "needs": [],
        "avatar_url": None,
    }
    assert "I sell lamps" not in str(export)
    assert "chairs" not in str(export)
    assert (await notifications(api.client, person_token))[0]["body"] == (
        f"Your request has been fulfilled. We erased: {ERASED_NAMES}."
    )


async def test_a_deletion_erases_what_the_person_named_when_staff_name_nothing(api: Api) -> None:
    person = await a_person_with_everything(api.db, api.clock)
    person_token = await stepped_up_session(api, person)
    submitted = await graphql(
        api.client,
        SUBMIT,
        {
            "input": {
                "type": "DELETION",
                "deletionGround": "CONSENT_WITHDRAWN",
                "categories": ["search_history", "search_history", "bank_card"],
            }
        },
        token=person_token,
    )
    request_id = submitted["data"]["submitDataRequest"]["dataRequest"]["id"]
    token = await staff_token(api, StaffRole.SUPPORT, stepped_up=True)

    done = await resolve(api.client, token, request_id, "FULFILLED")

    assert submitted["data"]["submitDataRequest"]["dataRequest"]["categories"] == [
        "search_history",
        "bank_card",
    ]
    assert done["dataRequest"]["categories"] == ["search_history", "bank_card"]
    read = await graphql(api.client, EVERYTHING_READABLE, token=person_token)
    account = read["data"]["viewer"]["account"]
    assert (account["bankCards"], account["searchHistory"]) == ([], {"edges": []})
    assert account["verifications"] == {
        "realName": {"status": "VERIFIED"},
        "student": {"status": "VERIFIED"},
    }


@pytest.mark.parametrize(
    ("categories", "message"),
    [
        (None, "Name the categories of personal data erased."),
        ([], "Name the categories of personal data erased."),
        (["shoe_size"], "Name categories by their dataCategories key."),
        (
            ["search_history", "phone_and_sms_code"],
            "Not erased here while the account exists: phone_and_sms_code. Sign-in data goes"
            " with the account (cancellation); what the law keeps is refused.",
        ),
        (
            ["date_of_birth", "device_and_access_logs"],
            "Not erased here while the account exists: date_of_birth, device_and_access_logs."
            " Sign-in data goes with the account (cancellation); what the law keeps is refused.",
        ),
    ],
)
async def test_a_deletion_is_fulfilled_only_with_categories_the_gateway_may_erase(
    api: Api,
    categories: list[str] | None,
    message: str,
) -> None:
    person = await a_person_with_everything(api.db, api.clock)
    request = await create_data_request(api.db, person, api.clock(), type=DataRequestType.DELETION)
    token = await staff_token(api, StaffRole.SUPPORT)
    fields = {} if categories is None else {"categories": categories}

    body = await resolve(api.client, token, request, "FULFILLED", **fields)

    assert body == {
        "dataRequest": None,
        "userErrors": [error("INVALID_INPUT", message, "categories")],
    }
    await api.db.refresh(request)
    assert request.status is DataRequestStatus.SUBMITTED
    assert await count_rows(api.db, BankCard, account_id=person.id) == 1


@pytest.mark.parametrize(
    ("request_type", "status", "fields", "field", "message"),
    [
        (DataRequestType.DELETION, "IN_PROGRESS", {"categories": ["bank_card"]}, "categories", "Categories are named when fulfilling a deletion."),
        (DataRequestType.ACCESS_COPY, "FULFILLED", {"categories": ["bank_card"]}, "categories", "Categories are named when fulfilling a deletion."),
        (DataRequestType.DELETION, "FULFILLED", {"categories": ["bank_card"], "purposes": ["TARGETED_PUSH"]}, "purposes", "Purposes are named when fulfilling a restriction."),
        (DataRequestType.CORRECTION, "REFUSED", {"refusalReason": "LEGAL_OBLIGATION", "correction": "x"}, "correction", "A correction is described when fulfilling one."),
        (DataRequestType.RESTRICTION, "FULFILLED", {"purposes": []}, "purposes", "Name the purposes whose processing is restricted."),
        (DataRequestType.RESTRICTION, "FULFILLED", {}, "purposes", "Name the purposes whose processing is restricted."),
        (DataRequestType.CORRECTION, "FULFILLED", {}, "correction", "Describe what was changed in 1 to 2000 characters."),
        (DataRequestType.CORRECTION, "FULFILLED", {"correction": "   "}, "correction", "Describe what was changed in 1 to 2000 characters."),
        (DataRequestType.CORRECTION, "FULFILLED", {"correction": "x" * 2001}, "correction", "Give 1 to 2000 characters."),
    ],
)  # fmt: skip
async def test_what_fulfilment_needs_is_given_for_its_type_only(
    api: Api,
    person: Account,
    request_type: DataRequestType,
    status: str,
    fields: dict[str, Any],
    field: str,
    message: str,
) -> None:
    request = await create_data_request(api.db, person, api.clock(), type=request_type)
    token = await staff_token(api, StaffRole.SUPPORT)

    body = await resolve(api.client, token, request, status, **fields)

    assert body == {"dataRequest": None, "userErrors": [error("INVALID_INPUT", message, field)]}
    await api.db.refresh(request)
    assert request.status is DataRequestStatus.SUBMITTED


# --- restriction -----------------------------------------------------------------------


async def grant(client: httpx.AsyncClient, token: str, purpose: str) -> None:
    body = await graphql(
        client,
        f"mutation {{ setConsent(input: {{ purpose: {purpose}, granted: true }}) {{ {USER_ERRORS} }} }}",
        token=token,
    )
    assert body["data"]["setConsent"]["userErrors"] == [], body


async def lift(
    client: httpx.AsyncClient, token: str, account: Account, purpose: str
) -> dict[str, Any]:
    variables = {"input": {"accountId": global_id(account), "purpose": purpose}}
    return await graphql(client, LIFT, variables, token=token)


async def consents_of(client: httpx.AsyncClient, token: str) -> dict[str, dict[str, Any]]:
    body = await graphql(client, CONSENTS, token=token)
    return {c["purpose"]: c for c in body["data"]["viewer"]["account"]["consents"]}


async def test_a_fulfilled_restriction_reads_as_withdrawn_until_staff_lift_it(
    api: Api, person: Account
) -> None:
    person_token = await api.sign_in(account=person)
    for purpose in ("SEARCH_HISTORY", "TARGETED_PUSH"):
        await grant(api.client, person_token, purpose)
    request = await create_data_request(
        api.db, person, api.clock(), type=DataRequestType.RESTRICTION
    )
    token = await staff_token(api, StaffRole.SUPPORT)
    api.clock.advance(minutes=5)
    await staff_step_up(api.client, token, api.clock())
    restricted_at = api.clock().isoformat()

    done = await resolve(
        api.client, token, request, "FULFILLED", purposes=["SEARCH_HISTORY", "THIRD_PARTY_SHARING"]
    )
    while_restricted = await consents_of(api.client, person_token)
    not_recorded = await graphql(api.client, RECORD_SEARCH, token=person_token)
    api.clock.advance(minutes=5)
    await staff_step_up(api.client, token, api.clock())
    lifted = await lift(api.client, token, person, "SEARCH_HISTORY")
    after = await consents_of(api.client, person_token)
    recorded = await graphql(api.client, RECORD_SEARCH, token=person_token)

    assert done["userErrors"] == []
    assert done["dataRequest"]["purposes"] == ["SEARCH_HISTORY", "THIRD_PARTY_SHARING"]
    assert while_restricted["SEARCH_HISTORY"] == {
        "purpose": "SEARCH_HISTORY",
        "granted": False,
        "restricted": True,
        "restrictedSince": restricted_at,
    }
    assert while_restricted["THIRD_PARTY_SHARING"]["restricted"] is True
    assert while_restricted["TARGETED_PUSH"] == {
        "purpose": "TARGETED_PUSH",
        "granted": True,
        "restricted": False,
        "restrictedSince": None,
    }
    assert not_recorded == {"data": {"recordSearch": {"recorded": False}}}
    assert lifted == {
        "data": {
            "liftRestriction": {
                "consent": {
                    "purpose": "SEARCH_HISTORY",
                    "granted": True,
                    "restricted": False,
                    "restrictedSince": None,
                },
                "userErrors": [],
            }
        }
    }
    assert after["SEARCH_HISTORY"]["granted"] is True
    assert after["THIRD_PARTY_SHARING"]["restricted"] is True
    assert recorded == {"data": {"recordSearch": {"recorded": True}}}
    rows = (
        await api.db.scalars(select(ProcessingRestriction).order_by(ProcessingRestriction.purpose))
    ).all()
    assert [(r.purpose, r.lifted_at is not None) for r in rows] == [
        (ConsentPurpose.SEARCH_HISTORY, True),
        (ConsentPurpose.THIRD_PARTY_SHARING, False),
    ]
    # The consent itself stays as the person gave it: a restriction is not a withdrawal.
    stored = await api.db.scalar(
        select(Consent).where(
            Consent.account_id == person.id, Consent.purpose == ConsentPurpose.SEARCH_HISTORY
        )
    )
    assert stored is not None
    assert stored.granted is True
    messages = await notifications(api.client, person_token)
    assert messages[0] == {
        "kind": "DATA_REQUEST_UPDATED",
        "title": "A restriction was lifted",
        "body": "Processing for SEARCH_HISTORY is no longer restricted.",
    }
    assert messages[1]["body"] == (
        "Your request has been fulfilled. Processing is restricted for: SEARCH_HISTORY,"
        " THIRD_PARTY_SHARING. Those consents read as withdrawn until the restriction is lifted."
    )


async def test_a_restriction_in_force_is_not_doubled_and_only_staff_lift_one(
    api: Api, person: Account
) -> None:
    person_token = await api.sign_in(account=person)
    token = await staff_token(api, StaffRole.SUPPORT, stepped_up=True)
    for _ in range(2):
        request = await create_data_request(
            api.db, person, api.clock(), type=DataRequestType.RESTRICTION
        )
        body = await resolve(api.client, token, request, "FULFILLED", purposes=["TARGETED_PUSH"])
        assert body["userErrors"] == []

    by_person = await lift(api.client, person_token, person, "TARGETED_PUSH")
    not_restricted = await lift(api.client, token, person, "SEARCH_HISTORY")
    stranger = await create_person(api.db, api.clock(), phone=None, email=None)
    unknown = await lift(api.client, token, stranger, "TARGETED_PUSH")

    assert await count_rows(api.db, ProcessingRestriction) == 1
    assert without_locations(by_person) == forbidden("liftRestriction")
    not_found = error("NOT_FOUND", "No restriction of this purpose is in force.", "purpose")
    assert not_restricted == {
        "data": {"liftRestriction": {"consent": None, "userErrors": [not_found]}}
    }
    assert unknown == not_restricted


# --- correction ------------------------------------------------------------------------


async def test_a_fulfilled_correction_records_what_staff_changed(api: Api, person: Account) -> None:
    person_token = await api.sign_in(account=person)
    request = await create_data_request(
        api.db, person, api.clock(), type=DataRequestType.CORRECTION
    )
    token = await staff_token(api, StaffRole.SUPPORT, stepped_up=True)

    done = await graphql(
        api.client,
        resolving("status correction"),
        {
            "input": {
                "id": request_global_id(request),
                "status": "FULFILLED",
                "correction": "  Industry changed from Retail to Design.  ",
            }
        },
        token=token,
    )
    own = await graphql(
        api.client,
        "{ viewer { account { dataRequests { edges { node { correction } } } } } }",
        token=person_token,
    )

    # Closed now: staff work no request of the person, so even they read it no more.
    assert without_locations(done) == {
        "data": {
            "resolveDataRequest": {
                "dataRequest": {"status": "FULFILLED", "correction": None},
                "userErrors": [],
            }
        },
        "errors": [
            refusal(
                "FORBIDDEN",
                "You may not read this field.",
                ["resolveDataRequest", "dataRequest", "correction"],
            )
        ],
    }
    assert own == {
        "data": {
            "viewer": {
                "account": {
                    "dataRequests": {
                        "edges": [
                            {"node": {"correction": "Industry changed from Retail to Design."}}
                        ]
                    }
                }
            }
        }
    }


async def test_an_erased_name_is_gone_from_the_access_log_too(api: Api) -> None:
    """The access log named the person by the display name they had when they read their
    own values (an export, a reveal): erasing the public profile must not leave the old
    name there, where the person, staff and the next export still read it."""
    person = await create_person(api.db, api.clock(), display_name="Zhang San")
    person_token = await stepped_up_session(api, person)
    first = await graphql(api.client, EXPORT, token=person_token)
    assert first["data"]["exportMyData"]["userErrors"] == []
    request = await create_data_request(api.db, person, api.clock(), type=DataRequestType.DELETION)
    token = await staff_token(api, StaffRole.SUPPORT, stepped_up=True)

    done = await resolve(api.client, token, request, "FULFILLED", categories=["public_profile"])
    log = await graphql(
        api.client,
        "{ viewer { account { displayName accessLog(first: 50) { edges { node { actorKind"
        " actorName } } } } } }",
        token=person_token,
    )
    exported = await graphql(api.client, EXPORT, token=person_token)

    assert done["userErrors"] == []
    account = log["data"]["viewer"]["account"]
    names = {edge["node"]["actorName"] for edge in account["accessLog"]["edges"]}
    assert names == {account["displayName"]}
    assert account["displayName"] != "Zhang San"
    assert "Zhang San" not in str(exported["data"]["exportMyData"]["export"])
