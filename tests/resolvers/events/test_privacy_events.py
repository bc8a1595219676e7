"""Privacy events are written in the unit of work of their change, carry identifiers,
purposes and categories only, and are gone with a change that is rolled back."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AccountKind, DataRequest, DataRequestType, PrivacyEvent, SearchEntry, queries
from tests.helpers import graphql, staff_step_up
from tests.resolvers.rights.helpers import EMAIL, PHONE, create_person, request_global_id
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS
from tests.support.factories import create_data_request
from tests.support.ids import global_id
from tests.support.staff import create_staff
from tests.support.viewers import step_up_with_password

SET_CONSENT = f"""
mutation($purpose: ConsentPurpose!, $granted: Boolean!) {{
  setConsent(input: {{ purpose: $purpose, granted: $granted }}) {{ erased {USER_ERRORS} }}
}}
"""
RESOLVE = f"""
mutation($input: ResolveDataRequestInput!) {{
  resolveDataRequest(input: $input) {{ dataRequest {{ status }} {USER_ERRORS} }}
}}
"""
LIFT = f"""
mutation($input: LiftRestrictionInput!) {{ liftRestriction(input: $input) {{ {USER_ERRORS} }} }}
"""
CANCEL = f"""
mutation {{ cancelAccount(input: {{ confirmation: "CANCEL" }}) {{ ok {USER_ERRORS} }} }}
"""


async def events(db: AsyncSession) -> list[tuple[str, str | None, dict[str, Any]]]:
    rows = await db.scalars(select(PrivacyEvent).order_by(PrivacyEvent.sequence))
    return [(row.type, row.payload["accountId"], row.payload["data"]) for row in rows]


def consent_changed(who: str, purpose: str, granted: bool) -> tuple[str, str, dict[str, Any]]:
    return (
        "ConsentChanged",
        who,
        {"purpose": purpose, "granted": granted, "policyVersion": "1.0"},
    )


async def stepped_up_staff(api: Api) -> str:
    """A staff member's access token, stepped up with the authenticator."""
    staff = await api.sign_in(staff=await create_staff(api.db, api.clock()))
    await staff_step_up(api.client, staff, api.clock())
    return staff


async def resolve(api: Api, staff: str, request: DataRequest, **fields: Any) -> dict[str, Any]:
    """resolveDataRequest of `request` by the staff member, with `fields`."""
    variables = {"input": {"id": request_global_id(request), **fields}}
    return await graphql(api.client, RESOLVE, variables, token=staff)


async def test_every_consent_change_is_an_event_and_a_withdrawal_names_what_went(api: Api) -> None:
    person = await create_person(api.db, api.clock())
    token = await api.sign_in(account=person)
    await graphql(
        api.client, SET_CONSENT, {"purpose": "SEARCH_HISTORY", "granted": True}, token=token
    )
    entry = SearchEntry(account_id=person.id, created_at=api.clock())
    entry.query = "chairs"
    api.db.add(entry)
    await api.db.commit()

    await graphql(
        api.client, SET_CONSENT, {"purpose": "SEARCH_HISTORY", "granted": False}, token=token
    )
    await graphql(
        api.client, SET_CONSENT, {"purpose": "TARGETED_PUSH", "granted": False}, token=token
    )

    me = global_id(person)
    assert await events(api.db) == [
        consent_changed(me, "SEARCH_HISTORY", True),
        consent_changed(me, "SEARCH_HISTORY", False),
        (
            "DataErased",
            me,
            {
                "categories": ["search_history"],
                "reason": "CONSENT_WITHDRAWN",
                "dataRequestId": None,
            },
        ),
        consent_changed(me, "TARGETED_PUSH", False),
    ]


async def test_a_fulfilled_deletion_names_every_category_for_the_services_that_hold_them(
    api: Api,
) -> None:
    person = await create_person(api.db, api.clock())
    request = await create_data_request(api.db, person, api.clock(), type=DataRequestType.DELETION)
    staff = await stepped_up_staff(api)
    categories = ["search_history", "design_projects", "orders_and_payment"]

    body = await resolve(api, staff, request, status="FULFILLED", categories=categories)

    assert body["data"]["resolveDataRequest"]["userErrors"] == []
    me, request_id = global_id(person), request_global_id(request)
    assert await events(api.db) == [
        (
            "DataErased",
            me,
            {"categories": categories, "reason": "DELETION_REQUEST", "dataRequestId": request_id},
        ),
        (
            "DataRequestResolved",
            me,
            {
                "dataRequestId": request_id,
                "type": "DELETION",
                "status": "FULFILLED",
                "refusalReason": None,
                "origin": "ACCOUNT",
            },
        ),
    ]


async def test_restrictions_and_their_lifting_are_events(api: Api) -> None:
    person = await create_person(api.db, api.clock())
    request = await create_data_request(
        api.db, person, api.clock(), type=DataRequestType.RESTRICTION
    )
    staff = await stepped_up_staff(api)
    request_id = request_global_id(request)

    await resolve(api, staff, request, status="IN_PROGRESS")
    await resolve(
        api, staff, request, status="FULFILLED", purposes=["TARGETED_PUSH", "THIRD_PARTY_SHARING"]
    )
    await graphql(
        api.client,
        LIFT,
        {"input": {"accountId": global_id(person), "purpose": "TARGETED_PUSH"}},
        token=staff,
    )

    me = global_id(person)
    resolved = {
        "dataRequestId": request_id,
        "type": "RESTRICTION",
        "refusalReason": None,
        "origin": "ACCOUNT",
    }
    assert await events(api.db) == [
        ("DataRequestResolved", me, {**resolved, "status": "IN_PROGRESS"}),
        (
            "ProcessingRestricted",
            me,
            {"purposes": ["TARGETED_PUSH", "THIRD_PARTY_SHARING"], "dataRequestId": request_id},
        ),
        ("DataRequestResolved", me, {**resolved, "status": "FULFILLED"}),
        ("RestrictionLifted", me, {"purpose": "TARGETED_PUSH"}),
    ]


async def test_a_refusal_is_an_event_with_its_reason(api: Api) -> None:
    person = await create_person(api.db, api.clock())
    request = await create_data_request(
        api.db, person, api.clock(), type=DataRequestType.PORTABILITY
    )
    staff = await api.sign_in(staff=await create_staff(api.db, api.clock()))

    await resolve(api, staff, request, status="REFUSED", refusalReason="TRADE_SECRET")

    assert await events(api.db) == [
        (
            "DataRequestResolved",
            global_id(person),
            {
                "dataRequestId": request_global_id(request),
                "type": "PORTABILITY",
                "status": "REFUSED",
                "refusalReason": "TRADE_SECRET",
                "origin": "ACCOUNT",
            },
        )
    ]


async def test_cancelling_an_enterprise_is_an_event_per_account(api: Api) -> None:
    enterprise = await create_person(api.db, api.clock(), kind=AccountKind.ENTERPRISE)
    member = await create_person(
        api.db,
        api.clock(),
        kind=AccountKind.SUB_ACCOUNT,
        enterprise=enterprise,
        phone="+8613900139000",
        email="member@example.com",
    )
    token = await api.sign_in(account=enterprise)
    await step_up_with_password(api.client, token)

    body = await graphql(api.client, CANCEL, token=token)

    assert body == {"data": {"cancelAccount": {"ok": True, "userErrors": []}}}
    assert await events(api.db) == [
        (
            "AccountCancelled",
            global_id(member),
            {"kind": "SUB_ACCOUNT", "enterpriseId": global_id(enterprise)},
        ),
        ("AccountCancelled", global_id(enterprise), {"kind": "ENTERPRISE", "enterpriseId": None}),
    ]


async def test_a_change_rolled_back_leaves_no_event(
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = await create_person(api.db, api.clock())
    request = await create_data_request(api.db, person, api.clock(), type=DataRequestType.DELETION)
    staff = await stepped_up_staff(api)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the notification could not be written")

    monkeypatch.setattr(queries, "notify_accounts", broken)
    body = await resolve(api, staff, request, status="FULFILLED", categories=["search_history"])

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTERNAL_SERVER_ERROR"]
    assert await events(api.db) == []


async def test_no_event_holds_a_personal_value(api: Api) -> None:
    person = await create_person(api.db, api.clock(), display_name="Zhang San")
    token = await api.sign_in(account=person)
    for purpose in ("SEARCH_HISTORY", "PUBLIC_PROFILE"):
        await graphql(api.client, SET_CONSENT, {"purpose": purpose, "granted": True}, token=token)
    await step_up_with_password(api.client, token)
    await graphql(api.client, CANCEL, token=token)

    stored = (await api.db.scalars(select(PrivacyEvent))).all()
    dumped = orjson.dumps([row.payload for row in stored]).decode()
    assert [row.type for row in stored] == ["ConsentChanged", "ConsentChanged", "AccountCancelled"]
    for value in (PHONE, PHONE.removeprefix("+86"), EMAIL, "Zhang San", str(person.id)):
        assert value not in dumped
