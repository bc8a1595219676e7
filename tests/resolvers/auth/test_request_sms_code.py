"""requestSmsCode over HTTP: what is sent, to whom, and how often
(docs/spec/sign-in.md#sms-codes)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from auth.message_limits import LIMITS, recipient_key
from auth.senders import Outbox
from auth.services import AuthServices
from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.auth.helpers import (
    PHONE,
    create_password_account,
    e164,
    error,
    login_with_password,
    login_with_sms,
    request_sms_code,
    sent_code,
    sign_in_with_sms,
)
from tests.support.factories import create_account

PHONE_E164 = "+8613812345678"
OTHER_PHONE = "13900001111"
INVALID_PHONE = error("INVALID_PHONE", "This is not a valid phone number.", "phone")
CONTACT_REQUIRED = error(
    "CONTACT_REQUIRED", "Step-up by SMS needs a signed-in account with a bound phone."
)


def not_sent(*user_errors: dict[str, object], retry_after: int = 0) -> dict[str, object]:
    return {
        "sent": False,
        "retryAfterSeconds": retry_after,
        "expiresAt": None,
        "userErrors": list(user_errors),
    }


def rate_limited(retry_after: int) -> dict[str, object]:
    return not_sent(
        error("RATE_LIMITED", f"Wait {retry_after} s before asking for another code."),
        retry_after=retry_after,
    )


@pytest.fixture
async def dev_app(
    settings: Settings,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> AsyncIterator[Starlette]:
    """The app as `serve` builds it: its own senders, writing to the outbox it serves."""
    app = create_app(settings, engine=engine, session_factory=session_factory, clock=clock)
    yield app
    await app.state.services.limiter.close()


async def test_a_code_is_sent_for_five_minutes_as_six_digits(
    client: httpx.AsyncClient, outbox: Outbox, clock: Clock
) -> None:
    payload = await request_sms_code(client, PHONE)

    assert payload == {
        "sent": True,
        "retryAfterSeconds": 60,
        "expiresAt": (clock.now + timedelta(minutes=5)).isoformat(),
        "userErrors": [],
    }
    [message] = outbox.for_recipient(PHONE_E164)
    assert (message.to, message.channel, message.purpose, message.sent_at) == (
        PHONE_E164,
        "sms",
        "LOGIN",
        clock.now,
    )
    assert message.code is not None
    assert re.fullmatch(r"\d{6}", message.code)
    assert message.body == f"Your sign-in code is {message.code}. It expires in 5 minutes."


async def test_dev_outbox_returns_the_messages_sent_to_a_phone_newest_first(
    dev_app: Starlette, clock: Clock
) -> None:
    transport = httpx.ASGITransport(app=dev_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await request_sms_code(client, PHONE, "LOGIN"))["sent"]
        clock.advance(seconds=1)
        assert (await request_sms_code(client, "+86 138 1234 5678", "BIND_PHONE"))["sent"]
        assert (await request_sms_code(client, OTHER_PHONE, "LOGIN"))["sent"]

        response = await client.get("/dev/outbox", params={"to": PHONE})

    assert response.status_code == 200
    messages = response.json()
    assert [list(message) for message in messages] == [
        ["to", "channel", "purpose", "code", "body", "sentAt"]
    ] * 2
    bind, login = messages
    for message in messages:
        assert re.fullmatch(r"\d{6}", message["code"])
    assert login == {
        "to": PHONE_E164,
        "channel": "sms",
        "purpose": "LOGIN",
        "code": login["code"],
        "body": f"Your sign-in code is {login['code']}. It expires in 5 minutes.",
        "sentAt": (clock.now - timedelta(seconds=1)).isoformat(),
    }
    assert bind == {
        "to": PHONE_E164,
        "channel": "sms",
        "purpose": "BIND_PHONE",
        "code": bind["code"],
        "body": f"Your code to bind this phone is {bind['code']}. It expires in 5 minutes.",
        "sentAt": clock.now.isoformat(),
    }


async def test_the_answer_is_the_same_for_a_registered_and_an_unregistered_phone(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession
) -> None:
    registered = await create_account(db)
    registered.phone = e164(OTHER_PHONE)
    await db.commit()

    for_registered = await request_sms_code(client, OTHER_PHONE)
    for_unregistered = await request_sms_code(client, PHONE)

    assert for_registered == for_unregistered
    assert for_registered["sent"] is True
    assert len(outbox.for_recipient(e164(OTHER_PHONE))) == 1
    assert len(outbox.for_recipient(PHONE_E164)) == 1


@pytest.mark.parametrize("phone", ["12345", "+86 138 1234", "not a phone", "", None])
async def test_an_invalid_phone_answers_invalid_phone_and_sends_nothing(
    client: httpx.AsyncClient, outbox: Outbox, phone: str | None
) -> None:
    payload = await request_sms_code(client, phone)

    assert payload == not_sent(INVALID_PHONE)
    assert len(outbox) == 0


async def test_a_second_code_within_60_seconds_is_refused_with_the_wait(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    await request_sms_code(client, PHONE)

    again = await request_sms_code(client, PHONE)
    # The same phone written another way is the same phone.
    reworded = await request_sms_code(client, "+86 138-1234-5678")

    wait = again["retryAfterSeconds"]
    assert 1 <= wait <= 60
    assert again == rate_limited(wait)
    assert reworded["userErrors"][0]["code"] == "RATE_LIMITED"
    assert len(outbox.for_recipient(PHONE_E164)) == 1


async def test_the_60_second_interval_is_per_purpose(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    await request_sms_code(client, PHONE, "LOGIN")

    other_purpose = await request_sms_code(client, PHONE, "BIND_PHONE")

    assert other_purpose["sent"] is True
    assert [m.purpose for m in outbox.for_recipient(PHONE_E164)] == [
        "BIND_PHONE",
        "LOGIN",
    ]


async def test_the_eleventh_code_for_one_phone_in_a_day_is_refused(
    client: httpx.AsyncClient, outbox: Outbox, services: AuthServices
) -> None:
    # Given eight codes already sent to the phone today (earlier, outside the 60 s interval).
    for _ in range(8):
        assert (
            await services.limiter.hit(LIMITS["sms"].daily, recipient_key("sms", PHONE_E164))
        ).allowed

    ninth = await request_sms_code(client, PHONE, "LOGIN")
    tenth = await request_sms_code(client, PHONE, "BIND_PHONE")
    eleventh = await request_sms_code(client, PHONE, "GUARDIAN_CONSENT")

    assert ninth["sent"] is True
    assert tenth["sent"] is True
    wait = eleventh["retryAfterSeconds"]
    assert 24 * 3600 - 600 < wait <= 24 * 3600
    assert eleventh == rate_limited(wait)
    assert [m.purpose for m in outbox.for_recipient(PHONE_E164)] == [
        "BIND_PHONE",
        "LOGIN",
    ]


async def test_the_31st_code_from_one_client_address_in_an_hour_is_refused(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    phones = [f"139123456{n:02d}" for n in range(31)]
    thirty = " ".join(
        f'c{n}: requestSmsCode(input: {{phone: "{phone}", purpose: LOGIN}}) {{ sent }}'
        for n, phone in enumerate(phones[:30])
    )

    first = await graphql(client, "mutation { " + thirty + " }")
    last = await request_sms_code(client, phones[30])

    assert first == {"data": {f"c{n}": {"sent": True} for n in range(30)}}
    wait = last["retryAfterSeconds"]
    assert 3600 - 600 < wait <= 3600
    assert last == rate_limited(wait)
    assert len(outbox) == 30
    assert outbox.for_recipient(e164(phones[30])) == []


async def test_step_up_goes_to_the_viewers_bound_phone_with_no_phone_in_the_input(
    client: httpx.AsyncClient, outbox: Outbox, clock: Clock
) -> None:
    token = (await sign_in_with_sms(client, outbox, PHONE))["accessToken"]

    payload = await request_sms_code(client, None, "STEP_UP", token=token)

    assert payload == {
        "sent": True,
        "retryAfterSeconds": 60,
        "expiresAt": (clock.now + timedelta(minutes=5)).isoformat(),
        "userErrors": [],
    }
    assert [m.purpose for m in outbox.for_recipient(PHONE_E164)] == ["STEP_UP", "LOGIN"]


async def test_a_step_up_code_never_goes_to_a_phone_named_in_the_input(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    token = (await sign_in_with_sms(client, outbox, PHONE))["accessToken"]

    payload = await request_sms_code(client, OTHER_PHONE, "STEP_UP", token=token)

    assert payload["sent"] is True
    assert outbox.for_recipient(e164(OTHER_PHONE)) == []
    assert [m.purpose for m in outbox.for_recipient(PHONE_E164)] == ["STEP_UP", "LOGIN"]


async def test_step_up_needs_a_signed_in_account_with_a_bound_phone(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession
) -> None:
    await create_password_account(db, email="biz@example.com")
    token = (await login_with_password(client, "biz@example.com"))["accessToken"]

    anonymous = await request_sms_code(client, PHONE, "STEP_UP")
    without_phone = await request_sms_code(client, None, "STEP_UP", token=token)

    assert anonymous == not_sent(CONTACT_REQUIRED)
    assert without_phone == not_sent(CONTACT_REQUIRED)
    assert len(outbox) == 0


async def test_no_phone_code_or_token_reaches_the_log(
    client: httpx.AsyncClient, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    code = await sent_code(client, outbox)
    await login_with_sms(client, "000000" if code != "000000" else "111111")
    signed_in = await login_with_sms(client, code)
    await request_sms_code(client, "+86 138 1234 5678")

    assert signed_in["userErrors"] == []
    assert any(record.name == "gateway.senders" for record in caplog.records)
    logged = caplog.text + "".join(str(vars(record)) for record in caplog.records)
    for secret in (
        PHONE,
        "138 1234 5678",
        signed_in["accessToken"],
        signed_in["refreshToken"],
    ):
        assert secret not in logged
    # Six digits of their own, not six of a longer number (timestamps, durations).
    assert re.search(rf"(?<!\d){code}(?!\d)", logged) is None
