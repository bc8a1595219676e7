"""elevateSession over HTTP: step-up with the password or a STEP_UP code
(docs/spec/sign-in.md#step-up)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from models import AccountKind
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.auth.helpers import (
    EMAIL,
    PASSWORD,
    PHONE,
    create_password_account,
    error,
    latest_code,
    login_with_password,
    request_sms_code,
    sign_in_with_sms,
    signed_in_owner,
    viewer,
)
from tests.support.assertions import without_locations
from tests.support.refusals import unauthenticated
from tests.support.viewers import ELEVATE

LOGIN_HISTORY_REVEALED = """
{ viewer { account { loginHistory(first: 1) { edges { node { ipAddress(reveal: true) } } } } } }
"""


async def elevate(client: httpx.AsyncClient, token: str | None, **values: str) -> dict[str, Any]:
    return await graphql(client, ELEVATE, {"input": values}, token=token)


def not_elevated(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"elevateSession": {"elevatedUntil": None, "userErrors": list(user_errors)}}}


async def elevated_until(client: httpx.AsyncClient, token: str) -> str | None:
    signed_in = await viewer(client, token)
    assert signed_in is not None
    until: str | None = signed_in["elevatedUntil"]
    return until


async def test_the_password_steps_the_session_up_for_five_minutes(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    token = await signed_in_owner(client, db)
    until = (clock.now + timedelta(minutes=5)).isoformat()

    body = await elevate(client, token, password=PASSWORD)

    assert body == {"data": {"elevateSession": {"elevatedUntil": until, "userErrors": []}}}
    assert await elevated_until(client, token) == until


async def test_a_step_up_code_sent_to_the_bound_phone_steps_the_session_up(
    client: httpx.AsyncClient, outbox: Outbox, clock: Clock
) -> None:
    token = (await sign_in_with_sms(client, outbox, PHONE))["accessToken"]
    await request_sms_code(client, None, "STEP_UP", token=token)
    code = latest_code(outbox, PHONE, "STEP_UP")
    until = (clock.now + timedelta(minutes=5)).isoformat()

    body = await elevate(client, token, smsCode=code)
    again = await elevate(client, token, smsCode=code)

    assert body == {"data": {"elevateSession": {"elevatedUntil": until, "userErrors": []}}}
    assert await elevated_until(client, token) == until
    assert again == not_elevated(error("INVALID_CODE", "The code is not right.", "smsCode"))


async def test_a_code_of_another_purpose_does_not_step_up(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    token = (await sign_in_with_sms(client, outbox, PHONE))["accessToken"]
    await request_sms_code(client, PHONE, "BIND_PHONE")

    body = await elevate(client, token, smsCode=latest_code(outbox, PHONE, "BIND_PHONE"))

    assert body == not_elevated(error("INVALID_CODE", "The code is not right.", "smsCode"))
    assert await elevated_until(client, token) is None


@pytest.mark.parametrize(
    ("values", "user_error"),
    [
        (
            {"password": "wrong-Password-1"},
            error("INVALID_CREDENTIALS", "The password is not right.", "password"),
        ),
        (
            {"smsCode": "123456"},
            error("CONTACT_REQUIRED", "There is no bound phone to send a code to."),
        ),
    ],
    ids=["a-wrong-password", "a-code-without-a-bound-phone"],
)
async def test_a_wrong_password_or_a_code_without_a_bound_phone_does_not_step_up(
    client: httpx.AsyncClient, db: AsyncSession, values: dict[str, str], user_error: dict[str, Any]
) -> None:
    token = await signed_in_owner(client, db)

    body = await elevate(client, token, **values)

    assert body == not_elevated(user_error)
    assert await elevated_until(client, token) is None


async def test_an_account_without_a_password_cannot_step_up_with_one(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    token = (await sign_in_with_sms(client, outbox, PHONE))["accessToken"]

    body = await elevate(client, token, password="")

    assert body == not_elevated(
        error("INVALID_CREDENTIALS", "The password is not right.", "password")
    )


@pytest.mark.parametrize("values", [{}, {"password": PASSWORD, "smsCode": "123456"}])
async def test_neither_or_both_answer_invalid_input(
    client: httpx.AsyncClient, db: AsyncSession, values: dict[str, str]
) -> None:
    await create_password_account(db, email=EMAIL, kind=AccountKind.ENTERPRISE, phone=PHONE)
    token = (await login_with_password(client, EMAIL))["accessToken"]

    body = await elevate(client, token, **values)

    assert body == not_elevated(error("INVALID_INPUT", "Give one of smsCode, password or totp."))
    assert await elevated_until(client, token) is None


async def test_anonymous_step_up_answers_unauthenticated(client: httpx.AsyncClient) -> None:
    body = await elevate(client, None, password=PASSWORD)

    assert without_locations(body) == unauthenticated("elevateSession")


async def test_the_step_up_belongs_to_its_session_and_lasts_five_minutes(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    token = await signed_in_owner(client, db)
    other = (await login_with_password(client, EMAIL))["accessToken"]
    await elevate(client, token, password=PASSWORD)

    clock.advance(minutes=4, seconds=59)
    revealed = await graphql(client, LOGIN_HISTORY_REVEALED, token=token)
    from_other = await graphql(client, LOGIN_HISTORY_REVEALED, token=other)
    clock.advance(seconds=1)
    expired = await graphql(client, LOGIN_HISTORY_REVEALED, token=token)

    assert await elevated_until(client, other) is None
    history = ["viewer", "account", "loginHistory", "edges", 0, "node", "ipAddress"]
    assert revealed == {
        "data": {
            "viewer": {
                "account": {"loginHistory": {"edges": [{"node": {"ipAddress": "127.0.0.1"}}]}}
            }
        }
    }
    for refused in (from_other, expired):
        assert refused["data"]["viewer"]["account"]["loginHistory"]["edges"] == [
            {"node": {"ipAddress": None}}
        ]
        assert [(e["path"], e["extensions"]) for e in refused["errors"]] == [
            (history, {"code": "STEP_UP_REQUIRED"})
        ]
