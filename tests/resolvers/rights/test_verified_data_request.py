"""submitVerifiedDataRequest: a guardian, a close relative of a deceased person, or a
person without an account files a rights request, proven by a code sent to their phone
or e-mail; it joins the staff queue with the 15-day clock."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth.rate_limits import RateLimiter
from auth.senders import Outbox
from models import (
    AccessLogEntry,
    AccountStatus,
    DataRequest,
    DataRequestRequester,
    DataRequestType,
    DeliveryStatus,
    QueuedMessage,
    RequestOrigin,
    StaffRole,
)
from resolvers.messaging.delivery import deliver_due
from resolvers.privacy.inventory import shipped_inventory
from tests.helpers import graphql
from tests.resolvers.rights.helpers import (
    count_rows,
    create_person,
    notifications,
    request_global_id,
    resolving,
    staff_token,
)
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS, data_of, error
from tests.support.factories import create_data_request
from tests.support.ids import global_id

REQUEST_CODE = f"""
mutation($contact: String!) {{
  requestDataRequestCode(input: {{ contact: $contact }}) {{ sent retryAfterSeconds expiresAt {USER_ERRORS} }}
}}
"""
SUBMIT = f"""
mutation($input: SubmitVerifiedDataRequestInput!) {{
  submitVerifiedDataRequest(input: $input) {{ reference dueAt {USER_ERRORS} }}
}}
"""
QUEUE = """
{
  dataRequests {
    edges { node {
      id type status origin dueAt account { id }
      requester { relation name phone email subjectName subjectContact evidence provenAt }
    } }
  }
}
"""
REVEALED = """
query {
  dataRequests { edges { node { requester {
    name(reveal: true) phone(reveal: true) subjectName(reveal: true) evidence(reveal: true)
  } } } }
}
"""
RESOLVE = resolving("status")
GUARDIAN_PHONE = "+8613500135000"
MINOR_PHONE = "+8613812345678"
RELATIVE_EMAIL = "wang.fang@example.com"
INVALID_CODE = error("INVALID_CODE", "The code is not right.", "code")


def sms_code(outbox: Outbox, phone: str) -> str:
    codes = [m.code for m in outbox.for_recipient(phone) if m.purpose == "DATA_REQUEST"]
    assert codes, "no DATA_REQUEST code sent"
    assert codes[0] is not None
    return codes[0]


async def ask_code(client: httpx.AsyncClient, contact: str) -> dict[str, Any]:
    body = await graphql(client, REQUEST_CODE, {"contact": contact})
    payload: dict[str, Any] = body["data"]["requestDataRequestCode"]
    return payload


async def submit(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = await graphql(client, SUBMIT, {"input": fields})
    return data_of(body, "submitVerifiedDataRequest")


def queue_of(*nodes: dict[str, Any]) -> dict[str, Any]:
    """The staff queue's answer: the requests `nodes`, oldest due first."""
    return {"data": {"dataRequests": {"edges": [{"node": node} for node in nodes]}}}


def guardian_request(code: str, **overrides: Any) -> dict[str, Any]:
    return {
        "type": "DELETION",
        "deletionGround": "CONSENT_WITHDRAWN",
        "relation": "GUARDIAN",
        "requesterName": "王芳",
        "contact": "135 0013 5000",
        "code": code,
        "subjectName": "张小明",
        "subjectContact": "13812345678",
        "evidence": "Household register, page 3, sent by post on 2 May",
        "details": "Please delete my son's search history.",
        "categories": ["search_history"],
        **overrides,
    }


async def test_a_guardian_files_for_a_minor_and_it_joins_the_queue_with_the_clock(
    api: Api, session_factory: async_sessionmaker[AsyncSession], outbox: Outbox
) -> None:
    minor = await create_person(
        api.db,
        api.clock(),
        phone=MINOR_PHONE,
        email=None,
        status=AccountStatus.PENDING_GUARDIAN_CONSENT,
    )
    minor_token = await api.sign_in(account=minor)
    sent = await ask_code(api.client, GUARDIAN_PHONE)
    due = (api.clock() + timedelta(days=15)).isoformat()

    payload = await submit(api.client, **guardian_request(sms_code(outbox, GUARDIAN_PHONE)))

    request = (await api.db.scalars(select(DataRequest))).one()
    assert sent == {
        "sent": True,
        "retryAfterSeconds": 60,
        "expiresAt": (api.clock() + timedelta(minutes=5)).isoformat(),
        "userErrors": [],
    }
    assert payload == {"reference": request_global_id(request), "dueAt": due, "userErrors": []}
    assert (request.account_id, request.origin, request.categories) == (
        minor.id,
        RequestOrigin.VERIFIED_CONTACT,
        ["search_history"],
    )
    token = await staff_token(api, StaffRole.SUPPORT)
    queue = await graphql(api.client, QUEUE, token=token)
    assert queue == queue_of(
        {
            "id": request_global_id(request),
            "type": "DELETION",
            "status": "SUBMITTED",
            "origin": "VERIFIED_CONTACT",
            "dueAt": due,
            "account": {"id": global_id(minor)},
            "requester": {
                "relation": "GUARDIAN",
                "name": "*芳",
                "phone": "135****5000",
                "email": None,
                "subjectName": "**明",
                "subjectContact": "+*************",
                "evidence": "H******** ********* **** ** **** ** **** ** * ***",
                "provenAt": api.clock().isoformat(),
            },
        }
    )
    # The minor is told someone filed for them, and whom as.
    assert (await notifications(api.client, minor_token))[0] == {
        "kind": "DATA_REQUEST_UPDATED",
        "title": "A deletion request about your data",
        "body": (
            "Someone filed it for you as your guardian. We will answer by "
            f"{(api.clock() + timedelta(days=15)).date()}."
        ),
    }
    # The guardian hears by SMS once the worker sends the queued message.
    report = await deliver_due(session_factory, api.services, api.clock())
    assert report.sent == 1
    [ack] = [m for m in outbox.for_recipient(GUARDIAN_PHONE) if m.purpose != "DATA_REQUEST"]
    assert (ack.channel, ack.purpose, ack.code, ack.body) == (
        "sms",
        "DATA_REQUEST_UPDATED",
        None,
        (
            "Your deletion request: We received your request and will answer by "
            f"{(api.clock() + timedelta(days=15)).date()}.\n\nReference: {request_global_id(request)}"
        ),
    )


async def test_staff_reveal_a_requester_only_stepped_up_and_each_read_is_logged(
    api: Api, outbox: Outbox
) -> None:
    await ask_code(api.client, GUARDIAN_PHONE)
    await submit(api.client, **guardian_request(sms_code(outbox, GUARDIAN_PHONE)))
    token = await staff_token(api, stepped_up=True)

    body = await graphql(api.client, REVEALED, token=token)

    assert body == queue_of(
        {
            "requester": {
                "name": "王芳",
                "phone": GUARDIAN_PHONE,
                "subjectName": "张小明",
                "evidence": "Household register, page 3, sent by post on 2 May",
            }
        }
    )
    entries = (await api.db.scalars(select(AccessLogEntry))).all()
    request = (await api.db.scalars(select(DataRequest))).one()
    assert sorted((e.field.value, e.subject_id, e.reason, e.clear) for e in entries) == sorted(
        (kind, None, request_global_id(request), True)
        for kind in ("PERSON_NAME", "PHONE", "PERSON_NAME", "REQUEST_DETAILS")
    )


async def test_a_close_relative_proves_an_e_mail_address(api: Api, outbox: Outbox) -> None:
    deceased = await create_person(api.db, api.clock(), phone=None, email="li.wei@example.com")
    await api.db.commit()
    # The domain is normalized, the local part kept; the address is proven whatever its case.
    sent = await ask_code(api.client, "Wang.Fang@Example.com")
    [code_message] = outbox.for_recipient("Wang.Fang@example.com")

    payload = await submit(
        api.client,
        type="ACCESS_COPY",
        relation="CLOSE_RELATIVE",
        requesterName="王芳",
        contact=RELATIVE_EMAIL,
        code=code_message.code,
        subjectName="李伟",
        subjectContact="li.wei@example.com",
        evidence="Death certificate no. 2024-0117, copy with the notary",
    )

    assert sent["sent"] is True
    assert (code_message.channel, code_message.purpose) == ("email", "DATA_REQUEST")
    assert payload["userErrors"] == []
    request = (await api.db.scalars(select(DataRequest))).one()
    requester = (await api.db.scalars(select(DataRequestRequester))).one()
    assert request.account_id == deceased.id
    assert (requester.relation.value, requester.email, requester.phone) == (
        "CLOSE_RELATIVE",
        RELATIVE_EMAIL,
        None,
    )
    assert code_message.body == (
        f"Your code to confirm a request about personal data is {code_message.code}."
        " It expires in 5 minutes."
    )


async def test_a_contact_holder_without_an_account_is_answered_as_one_with_an_account(
    api: Api, outbox: Outbox
) -> None:
    await create_person(api.db, api.clock(), phone="+8613700137000", email=None)
    await api.db.commit()
    answers = []
    for phone in ("+8613700137000", "+8613600136000"):
        await ask_code(api.client, phone)
        answers.append(
            await submit(
                api.client,
                type="EXPLANATION",
                relation="CONTACT_HOLDER",
                requesterName="Chen",
                contact=phone,
                code=sms_code(outbox, phone),
                details="Which data of mine do you hold from customer service?",
            )
        )

    assert [{**a, "reference": None} for a in answers] == [
        {
            "reference": None,
            "dueAt": (api.clock() + timedelta(days=15)).isoformat(),
            "userErrors": [],
        }
    ] * 2
    linked = [
        r.account_id is not None
        for r in (
            await api.db.scalars(select(DataRequest).order_by(DataRequest.submitted_at))
        ).all()
    ]
    assert sorted(linked) == [False, True]


async def test_a_guardian_s_request_does_not_block_the_minor_s_own_of_the_same_type(
    api: Api, outbox: Outbox
) -> None:
    minor = await create_person(api.db, api.clock(), phone=MINOR_PHONE, email=None)
    await create_data_request(api.db, minor, api.clock(), type=DataRequestType.DELETION)
    await api.db.commit()
    await ask_code(api.client, GUARDIAN_PHONE)

    payload = await submit(api.client, **guardian_request(sms_code(outbox, GUARDIAN_PHONE)))

    assert payload["userErrors"] == []
    assert await count_rows(api.db, DataRequest) == 2


async def test_a_wrong_code_stores_nothing_and_a_code_works_once(api: Api, outbox: Outbox) -> None:
    await ask_code(api.client, GUARDIAN_PHONE)
    code = sms_code(outbox, GUARDIAN_PHONE)
    wrong = "000000" if code != "000000" else "111111"

    refused = await submit(api.client, **guardian_request(wrong))
    accepted = await submit(api.client, **guardian_request(code))
    again = await submit(api.client, **guardian_request(code))

    assert refused == {"reference": None, "dueAt": None, "userErrors": [INVALID_CODE]}
    assert accepted["userErrors"] == []
    assert again == refused
    assert await count_rows(api.db, DataRequest) == 1


async def test_an_e_mail_code_is_tried_five_times_at_most(api: Api, outbox: Outbox) -> None:
    await ask_code(api.client, RELATIVE_EMAIL)
    [message] = outbox.for_recipient(RELATIVE_EMAIL)
    wrong = "000000" if message.code != "000000" else "111111"
    fields = {
        "type": "COMPLAINT",
        "relation": "CONTACT_HOLDER",
        "requesterName": "Wang",
        "contact": RELATIVE_EMAIL,
    }

    tries = [await submit(api.client, **fields, code=wrong) for _ in range(5)]
    late = await submit(api.client, **fields, code=message.code)

    assert [t["userErrors"] for t in tries] == [[INVALID_CODE]] * 5
    assert late["userErrors"] == [
        error("TOO_MANY_ATTEMPTS", "Too many tries; ask for a new code.", "code")
    ]
    assert await count_rows(api.db, DataRequest) == 0


async def test_codes_are_limited_per_contact(client: httpx.AsyncClient) -> None:
    first = await ask_code(client, RELATIVE_EMAIL)
    second = await ask_code(client, RELATIVE_EMAIL)
    other_address = await ask_code(client, "other@example.com")
    bad = await ask_code(client, "not a contact")

    assert first["sent"] is True
    assert second == {
        "sent": False,
        "retryAfterSeconds": 60,
        "expiresAt": None,
        "userErrors": [error("RATE_LIMITED", "Wait 60 s before asking for another code.")],
    }
    assert other_address["sent"] is True
    assert bad == {
        "sent": False,
        "retryAfterSeconds": 0,
        "expiresAt": None,
        "userErrors": [
            error("INVALID_INPUT", "Give a mobile number or an e-mail address.", "contact")
        ],
    }


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"subjectName": None}, error("INVALID_INPUT", "Give 1 to 100 characters.", "subjectName")),
        ({"evidence": "  "}, error("INVALID_INPUT", "Give 1 to 500 characters.", "evidence")),
        ({"evidence": "x" * 501}, error("INVALID_INPUT", "Give 1 to 500 characters.", "evidence")),
        ({"requesterName": ""}, error("INVALID_INPUT", "Give 1 to 100 characters.", "requesterName")),
        ({"contact": "nobody"}, error("INVALID_INPUT", "Give a mobile number or an e-mail address.", "contact")),
        ({"subjectContact": "x@"}, error("INVALID_INPUT", "Give the person's mobile number or e-mail address.", "subjectContact")),
        ({"deletionGround": None}, error("INVALID_INPUT", "A deletion request names its ground.", "deletionGround")),
        ({"categories": ["shoe_size"]}, error("INVALID_INPUT", "Name categories by their dataCategories key.", "categories")),
        ({"relation": "CONTACT_HOLDER"}, error("INVALID_INPUT", "A contact holder asks about their own data: name nobody else.", "subjectContact")),
    ],
)  # fmt: skip
async def test_invalid_input_is_refused_before_the_code_is_tried(
    api: Api, outbox: Outbox, overrides: dict[str, Any], expected: dict[str, Any]
) -> None:
    await ask_code(api.client, GUARDIAN_PHONE)
    code = sms_code(outbox, GUARDIAN_PHONE)

    refused = await submit(api.client, **guardian_request(code, **overrides))
    accepted = await submit(api.client, **guardian_request(code))

    assert refused == {"reference": None, "dueAt": None, "userErrors": [expected]}
    assert accepted["userErrors"] == []


async def test_a_refusal_reaches_the_requester_with_the_regulator(
    api: Api, session_factory: async_sessionmaker[AsyncSession], outbox: Outbox
) -> None:
    await ask_code(api.client, GUARDIAN_PHONE)
    payload = await submit(api.client, **guardian_request(sms_code(outbox, GUARDIAN_PHONE)))
    api.clock.advance(days=2)
    token = await staff_token(api)

    refused = await graphql(
        api.client,
        RESOLVE,
        {
            "input": {
                "id": payload["reference"],
                "status": "REFUSED",
                "refusalReason": "ABUSE_OF_RIGHTS",
            }
        },
        token=token,
    )
    first = await deliver_due(session_factory, api.services, api.clock())
    # One SMS of a purpose a minute to a phone: the second waits for the limit (the
    # limits keep real time; a fresh limiter stands for the minute gone by).
    api.clock.advance(seconds=60)
    later = dataclasses.replace(api.services, limiter=RateLimiter.from_url(None))
    second = await deliver_due(session_factory, later, api.clock())
    await later.limiter.close()

    assert (first.sent, first.postponed, second.sent) == (1, 1, 1)
    assert refused["data"]["resolveDataRequest"]["userErrors"] == []
    newest = [m for m in outbox.for_recipient(GUARDIAN_PHONE) if m.purpose != "DATA_REQUEST"][0]
    assert newest.body == (
        "Your deletion request: We could not grant your request: we have evidence that the"
        " request abuses the right or is made in bad faith.\n\n"
        f"{shipped_inventory().contact.regulator}\n\nReference: {payload['reference']}"
    )
    messages = (await api.db.scalars(select(QueuedMessage))).all()
    assert [(m.status, m.recipient) for m in messages] == [(DeliveryStatus.SENT, None)] * 2


async def test_one_code_files_one_request_however_many_aliases_ask(
    api: Api, outbox: Outbox
) -> None:
    await ask_code(api.client, GUARDIAN_PHONE)
    fields = guardian_request(sms_code(outbox, GUARDIAN_PHONE))
    aliases = " ".join(
        f"a{n}: submitVerifiedDataRequest(input: $input) {{ reference {USER_ERRORS} }}"
        for n in range(10)
    )

    body = await graphql(
        api.client,
        f"mutation($input: SubmitVerifiedDataRequestInput!) {{ {aliases} }}",
        {"input": fields},
    )

    answers = list(body["data"].values())
    assert sum(answer["reference"] is not None for answer in answers) == 1
    refused = [answer["userErrors"] for answer in answers if answer["reference"] is None]
    assert refused == [[INVALID_CODE]] * 9
    assert await count_rows(api.db, DataRequest) == 1


async def test_a_fulfilled_deletion_tells_the_requester_nothing_of_whether_an_account_was_found(
    api: Api, session_factory: async_sessionmaker[AsyncSession], outbox: Outbox
) -> None:
    client, db, services, clock = api.client, api.db, api.services, api.clock
    # One request names an account's phone, the other a phone no account has.
    await create_person(db, clock(), phone=MINOR_PHONE, email=None)
    await db.commit()
    other_guardian = "+8613500135999"
    await ask_code(client, GUARDIAN_PHONE)
    await ask_code(client, other_guardian)
    found = await submit(client, **guardian_request(sms_code(outbox, GUARDIAN_PHONE)))
    unknown = await submit(
        client,
        **guardian_request(
            sms_code(outbox, other_guardian),
            contact=other_guardian,
            subjectContact="13912345000",
        ),
    )
    clock.advance(days=2)
    token = await staff_token(api, stepped_up=True)
    for payload in (found, unknown):
        variables = {"input": {"id": payload["reference"], "status": "FULFILLED"}}
        body = await graphql(client, RESOLVE, variables, token=token)
        assert body["data"]["resolveDataRequest"]["userErrors"] == [], body
    await deliver_due(session_factory, services, clock())
    # One SMS of a purpose a minute to a phone: the notices wait for the limit (the limits
    # keep real time; a fresh limiter stands for the minute gone by).
    clock.advance(seconds=60)
    later = dataclasses.replace(services, limiter=RateLimiter.from_url(None))
    await deliver_due(session_factory, later, clock())
    await later.limiter.close()

    def told(phone: str, reference: str) -> str:
        [notice] = [m for m in outbox.for_recipient(phone) if "fulfilled" in m.body]
        return notice.body.replace(reference, "REF")

    assert told(GUARDIAN_PHONE, found["reference"]) == told(other_guardian, unknown["reference"])
    assert "erased" not in told(GUARDIAN_PHONE, found["reference"])
