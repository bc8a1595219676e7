"""Incident notices over every channel with a delivery record per account and channel,
sent through the same senders and limits, retried; the person reads their incidents."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth.senders import HttpSender, Outbox
from models import (
    Account,
    AccountKind,
    DeliveryStatus,
    IncidentDelivery,
    IncidentRecipient,
    MessageChannel,
    QueuedMessage,
    StaffRole,
)
from resolvers.messaging.delivery import deliver_due
from resolvers.messaging.queue import queue_message
from resolvers.privacy.inventory import shipped_inventory
from resolvers.rights.retention import run_retention
from tests.fakes.sink import Sink, running_sink
from tests.helpers import graphql
from tests.resolvers.rights.helpers import EMAIL, PHONE, count_rows, create_person, staff_token
from tests.resolvers.rights.test_record_security_incident import INCIDENT, NOTICE
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS, data_of, refusal, without_locations
from tests.support.ids import global_id
from tests.support.staff import create_staff
from tests.support.viewers import sign_in, step_up_with_password

RECORD = f"""
mutation($input: RecordSecurityIncidentInput!) {{
  recordSecurityIncident(input: $input) {{
    notified
    securityIncident {{ id title categories cause harm measures advice contact channels }}
    {USER_ERRORS}
  }}
}}
"""
MY_INCIDENTS = """
query {
  viewer { account { securityIncidents { edges { node {
    notifiedAt
    incident { title description categories cause harm measures advice contact channels recordedAt }
    deliveries { channel status sentAt }
  } } } } }
}
"""
THEIR_INCIDENTS = """
query($id: ID!) {
  account(id: $id) { securityIncidents { edges { node { incident { title } deliveries { channel status } } } } }
}
"""
EVERY_CHANNEL = ["IN_APP", "SMS", "EMAIL"]


@pytest.fixture
def sink() -> Iterator[Sink]:
    with running_sink() as served:
        yield served


async def record(
    client: httpx.AsyncClient, token: str, affected: list[str], **fields: Any
) -> dict[str, Any]:
    variables = {"input": {**INCIDENT, "affectedAccountIds": affected, **fields}}
    body = await graphql(client, RECORD, variables, token=token)
    return data_of(body, "recordSecurityIncident")


async def my_incidents(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    body = await graphql(client, MY_INCIDENTS, token=token)
    assert "errors" not in body, body
    return [e["node"] for e in body["data"]["viewer"]["account"]["securityIncidents"]["edges"]]


async def test_every_channel_gets_the_notice_and_each_has_its_delivery_record(
    api: Api, person: Account, session_factory: async_sessionmaker[AsyncSession], outbox: Outbox
) -> None:
    no_phone = await create_person(
        api.db, api.clock(), kind=AccountKind.BUSINESS, phone=None, email="biz@example.com"
    )
    person_token = await api.sign_in(account=person)
    business_token = await api.sign_in(account=no_phone)
    officer = await staff_token(api, stepped_up=True)

    payload = await record(
        api.client, officer, [global_id(person), global_id(no_phone)], channels=EVERY_CHANNEL
    )
    before = await my_incidents(api.client, person_token)
    api.clock.advance(seconds=5)
    report = await deliver_due(session_factory, api.services, api.clock())
    after = await my_incidents(api.client, person_token)
    business = await my_incidents(api.client, business_token)

    assert payload["userErrors"] == []
    assert payload["notified"] == 2
    incident = payload["securityIncident"]
    assert incident | {"id": None} == {
        "id": None,
        "title": INCIDENT["title"],
        "categories": INCIDENT["categories"],
        "cause": INCIDENT["cause"],
        "harm": INCIDENT["harm"],
        "measures": INCIDENT["measures"],
        "advice": INCIDENT["advice"],
        "contact": "Personal information protection officer, contact@kanshan.in",
        "channels": EVERY_CHANNEL,
    }
    assert before[0]["deliveries"] == [
        {"channel": "IN_APP", "status": "SENT", "sentAt": before[0]["notifiedAt"]},
        {"channel": "SMS", "status": "PENDING", "sentAt": None},
        {"channel": "EMAIL", "status": "PENDING", "sentAt": None},
    ]
    assert report.sent == 3  # two to the person, one to the business's address
    assert after[0]["deliveries"] == [
        {"channel": "IN_APP", "status": "SENT", "sentAt": before[0]["notifiedAt"]},
        {"channel": "SMS", "status": "SENT", "sentAt": api.clock().isoformat()},
        {"channel": "EMAIL", "status": "SENT", "sentAt": api.clock().isoformat()},
    ]
    assert after[0]["incident"]["description"] == INCIDENT["description"]
    assert business[0]["deliveries"] == [
        {"channel": "IN_APP", "status": "SENT", "sentAt": business[0]["notifiedAt"]},
        {"channel": "SMS", "status": "NO_CONTACT", "sentAt": None},
        {"channel": "EMAIL", "status": "SENT", "sentAt": api.clock().isoformat()},
    ]
    [sms] = outbox.for_recipient(PHONE)
    [mail] = outbox.for_recipient(EMAIL)
    for message in (sms, mail):
        assert (message.purpose, message.code) == ("SECURITY_INCIDENT", None)
        assert message.body == f"{INCIDENT['title']}\n\n{NOTICE['body']}"


async def test_a_failing_provider_is_retried_and_the_record_shows_where_it_is(
    api: Api, person: Account, session_factory: async_sessionmaker[AsyncSession], sink: Sink
) -> None:
    person_token = await api.sign_in(account=person)
    officer = await staff_token(api, stepped_up=True)
    await record(api.client, officer, [global_id(person)], channels=["SMS"])
    http = dataclasses.replace(api.services, sms=HttpSender(sink.url + "/sms"))
    sink.fail_next = 1

    first = await deliver_due(session_factory, http, api.clock())
    waiting = await my_incidents(api.client, person_token)
    api.clock.advance(seconds=30)
    second = await deliver_due(session_factory, http, api.clock())
    sent = await my_incidents(api.client, person_token)

    assert (first.retried, second.sent) == (1, 1)
    assert waiting[0]["deliveries"] == [{"channel": "SMS", "status": "PENDING", "sentAt": None}]
    assert sent[0]["deliveries"] == [
        {"channel": "SMS", "status": "SENT", "sentAt": api.clock().isoformat()}
    ]
    assert [item.json()["purpose"] for item in sink.accepted] == ["SECURITY_INCIDENT"]


@pytest.mark.parametrize("role", list(StaffRole))
async def test_staff_read_a_person_s_incidents_and_others_are_refused(
    api: Api, person: Account, role: StaffRole
) -> None:
    stranger = await create_person(
        api.db, api.clock(), phone="+8613900139000", email="s@example.com"
    )
    stranger_token = await api.sign_in(account=stranger)
    officer = await staff_token(api, stepped_up=True)
    await record(api.client, officer, [global_id(person)])
    staff = await sign_in(
        api.db,
        api.services,
        api.clock(),
        staff=await create_staff(
            api.db, api.clock(), role, email=f"{role.value.lower()}@x.example"
        ),
    )

    by_staff = await graphql(api.client, THEIR_INCIDENTS, {"id": global_id(person)}, token=staff)
    by_stranger = await graphql(
        api.client,
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": global_id(person)},
        token=stranger_token,
    )

    assert by_staff == {
        "data": {
            "account": {
                "securityIncidents": {
                    "edges": [
                        {
                            "node": {
                                "incident": {"title": INCIDENT["title"]},
                                "deliveries": [{"channel": "IN_APP", "status": "SENT"}],
                            }
                        }
                    ]
                }
            }
        }
    }
    assert by_stranger == {"data": {"node": None}}


async def test_the_person_does_not_read_who_recorded_it(api: Api, person: Account) -> None:
    token = await api.sign_in(account=person)
    officer = await staff_token(api, stepped_up=True)
    await record(api.client, officer, [global_id(person)])

    body = await graphql(
        api.client,
        "{ viewer { account { securityIncidents { edges { node { incident { recordedBy { name } } } } } } } }",
        token=token,
    )

    assert without_locations(body)["errors"] == [
        refusal(
            "FORBIDDEN",
            "You may not read this field.",
            [
                "viewer",
                "account",
                "securityIncidents",
                "edges",
                0,
                "node",
                "incident",
                "recordedBy",
            ],
        )
    ]


async def test_cancelling_erases_the_notices_of_the_account(api: Api, person: Account) -> None:
    token = await api.sign_in(account=person)
    officer = await staff_token(api, stepped_up=True)
    await record(api.client, officer, [global_id(person)], channels=EVERY_CHANNEL)
    await step_up_with_password(api.client, token)

    await graphql(
        api.client,
        'mutation { cancelAccount(input: { confirmation: "CANCEL" }) { ok } }',
        token=token,
    )

    assert await count_rows(api.db, IncidentRecipient, account_id=person.id) == 0
    assert await count_rows(api.db, IncidentDelivery, account_id=person.id) == 0


async def test_the_record_that_a_notice_was_sent_outlives_the_messages_retention(
    api: Api, person: Account, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Messages are deleted 90 days after they were sent, but the record that a person was
    told of an incident is kept while the account exists (docs/spec/rights.md#retention):
    the retention run must not turn a sent notice into a FAILED one."""
    person_token = await api.sign_in(account=person)
    officer = await staff_token(api, stepped_up=True)
    await record(api.client, officer, [global_id(person)], channels=["SMS", "EMAIL"])
    sent_at = api.clock().isoformat()
    await deliver_due(session_factory, api.services, api.clock())
    other = queue_message(
        api.db,
        channel=MessageChannel.SMS,
        recipient=PHONE,
        purpose="DATA_REQUEST_UPDATED",
        body="Your request was answered.",
        now=api.clock(),
    )
    await api.db.commit()
    await deliver_due(session_factory, api.services, api.clock())
    # A second notice whose text message was given up on keeps the phone it never reached.
    # Recorded a minute later, it is the newer of the two.
    api.clock.advance(minutes=1)
    await record(api.client, officer, [global_id(person)], channels=["SMS"], title="Second")
    given_up = (
        await api.db.scalars(select(QueuedMessage).where(QueuedMessage.status == "PENDING"))
    ).one()
    given_up.status = DeliveryStatus.FAILED
    await api.db.commit()

    counts = await run_retention(api.db, shipped_inventory(), api.clock() + timedelta(days=91))
    later = await my_incidents(api.client, person_token)

    assert counts["notifications"] == 2
    assert await api.db.get(QueuedMessage, other.id, populate_existing=True) is None
    assert await api.db.get(QueuedMessage, given_up.id, populate_existing=True) is None
    assert [node["deliveries"] for node in later] == [
        [{"channel": "SMS", "status": "FAILED", "sentAt": None}],
        [
            {"channel": "SMS", "status": "SENT", "sentAt": sent_at},
            {"channel": "EMAIL", "status": "SENT", "sentAt": sent_at},
        ],
    ]
