"""While a minor's account awaits guardian consent, every mutation but a few is refused.

The mutations are read from the schema itself, so a mutation added later is covered
without touching this file (docs/spec/privacy-centre.md#minors).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLField,
    GraphQLObjectType,
    get_nullable_type,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from models import Account, AccountStatus, Base
from resolvers.global_id import to_global_id
from schema import schema
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.auth.helpers import (
    AUTH_PAYLOAD,
    PHONE,
    USER_ERRORS,
    error,
    latest_code,
    request_sms_code,
    sign_in_with_sms,
    viewer,
)
from tests.support.literals import arguments

# What a minor may still do while consent is pending (docs/spec/privacy-centre.md#minors):
# protecting oneself (revokeOtherSessions), the withdrawals, which are never harder than
# granting, and what someone filing for another person does, which changes nothing of
# the account.
ALLOWED_WHILE_PENDING = {
    "revokeOtherSessions",
    "requestSmsCode",
    "recordGuardianConsent",
    "acceptPrivacyPolicy",
    "elevateSession",
    "refreshSession",
    "logout",
    "exportMyData",
    "submitDataRequest",
    "cancelAccount",
    "clearSearchHistory",
    "unbindBankCard",
    "withdrawGuardianConsent",
    "requestDataRequestCode",
    "submitVerifiedDataRequest",
}
GUARDIAN_CONSENT_REQUIRED = error(
    "GUARDIAN_CONSENT_REQUIRED", "A guardian must consent before this account can do that."
)
DUMMY_ID = f'"{to_global_id("Dummy", uuid.UUID(int=0))}"'
MUTATIONS: dict[str, GraphQLField] = dict(schema._schema.mutation_type.fields)  # type: ignore[union-attr]
GATED = sorted(set(MUTATIONS) - ALLOWED_WHILE_PENDING)
ALLOWED = sorted(set(MUTATIONS) & ALLOWED_WHILE_PENDING, key=lambda name: (name == "logout", name))


def payload_type(name: str) -> GraphQLObjectType:
    type_ = get_nullable_type(MUTATIONS[name].type)
    assert isinstance(type_, GraphQLObjectType), f"{name} returns no payload object"
    return type_


def minimal_call(name: str) -> str:
    """`mutation { name(required arguments) { __typename userErrors {…} } }`."""
    given = arguments(MUTATIONS[name], id_literal=DUMMY_ID)
    payload = payload_type(name)
    assert "userErrors" in payload.fields, f"{name} has no userErrors"
    call = f"{name}({given})" if given else name
    return f"mutation {{ {call} {{ __typename {USER_ERRORS} }} }}"


async def gated_among(client: httpx.AsyncClient, names: list[str], token: str) -> list[str]:
    """Those of the mutations `names` the guardian gate refuses to the viewer of `token`."""
    return [
        name
        for name in names
        if gate_answered(await graphql(client, minimal_call(name), token=token), name)
    ]


async def snapshot(db: AsyncSession) -> dict[str, list[str]]:
    """Every row of every table, to show that nothing changed."""
    return {
        table.name: sorted(repr(tuple(row)) for row in await db.execute(select(table)))
        for table in Base.metadata.sorted_tables
    }


def fifteen_years_before(today: date) -> str:
    return date(today.year - 15, 1, 1).isoformat()


@pytest.fixture
async def minor(client: httpx.AsyncClient, outbox: Outbox, clock: Clock) -> dict[str, Any]:
    """A 15-year-old, signed in, whose account awaits a guardian's consent."""
    payload = await sign_in_with_sms(
        client, outbox, PHONE, birth_date=fifteen_years_before(clock.now.date())
    )
    assert payload["account"]["status"] == "PENDING_GUARDIAN_CONSENT"
    return payload


def test_the_schema_has_gated_and_allowed_mutations() -> None:
    assert {"loginWithPassword", "registerBusiness", "revokeSession"} <= set(GATED)
    assert {"requestSmsCode", "elevateSession", "refreshSession", "logout"} <= set(ALLOWED)


@pytest.mark.parametrize("name", GATED)
async def test_a_pending_minor_gets_guardian_consent_required_and_nothing_changes(
    client: httpx.AsyncClient, db: AsyncSession, minor: dict[str, Any], name: str
) -> None:
    before = await snapshot(db)

    body = await graphql(client, minimal_call(name), token=minor["accessToken"])

    assert body == {
        "data": {
            name: {
                "__typename": payload_type(name).name,
                "userErrors": [GUARDIAN_CONSENT_REQUIRED],
            }
        }
    }
    assert await snapshot(db) == before


def gate_answered(body: dict[str, Any], name: str) -> bool:
    answer = (body.get("data") or {}).get(name) or {}
    return GUARDIAN_CONSENT_REQUIRED in answer.get("userErrors", [])


async def test_an_active_account_is_not_gated(client: httpx.AsyncClient, outbox: Outbox) -> None:
    adult = await sign_in_with_sms(client, outbox, PHONE)

    gated = await gated_among(client, GATED, adult["accessToken"])

    assert gated == []


async def test_the_allowed_mutations_are_not_gated(
    client: httpx.AsyncClient, minor: dict[str, Any]
) -> None:
    gated = await gated_among(client, ALLOWED, minor["accessToken"])

    assert gated == []


async def test_a_pending_minor_steps_up_refreshes_and_logs_out(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession, minor: dict[str, Any]
) -> None:
    token = minor["accessToken"]

    sent = await request_sms_code(client, None, "STEP_UP", token=token)
    elevated = await graphql(
        client,
        f"mutation($c: String!) {{ elevateSession(input: {{smsCode: $c}}) {{ {USER_ERRORS} }} }}",
        {"c": latest_code(outbox, PHONE, "STEP_UP")},
        token=token,
    )
    refreshed = await graphql(
        client,
        "mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { "
        + AUTH_PAYLOAD
        + " } }",
        {"t": minor["refreshToken"]},
        token=token,
    )
    new_token = refreshed["data"]["refreshSession"]["accessToken"]
    signed_in = await viewer(client, new_token)
    logged_out = await graphql(
        client, f"mutation {{ logout {{ ok {USER_ERRORS} }} }}", token=new_token
    )

    assert sent["sent"] is True
    assert elevated == {"data": {"elevateSession": {"userErrors": []}}}
    assert refreshed["data"]["refreshSession"]["userErrors"] == []
    assert signed_in is not None
    assert signed_in["elevatedUntil"] is not None
    assert logged_out == {"data": {"logout": {"ok": True, "userErrors": []}}}
    account = await db.scalar(select(Account))
    assert account is not None
    assert account.status is AccountStatus.PENDING_GUARDIAN_CONSENT


def test_a_minimal_call_fills_every_required_argument_and_input_field() -> None:
    assert minimal_call("loginWithSms") == (
        'mutation { loginWithSms(input: {phone: "x", code: "x"}) '
        "{ __typename userErrors { field code message } } }"
    )
    assert minimal_call("requestSmsCode") == (
        "mutation { requestSmsCode(input: {purpose: LOGIN}) "
        "{ __typename userErrors { field code message } } }"
    )
    assert minimal_call("logout") == (
        "mutation { logout { __typename userErrors { field code message } } }"
    )
