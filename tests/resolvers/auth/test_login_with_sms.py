"""loginWithSms over HTTP: registration, sign-in, code checks and minors.

The rules: docs/spec/sign-in.md#sms-codes, docs/spec/sign-in.md#registration and
docs/spec/privacy-centre.md#minors.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from auth.services import AuthServices
from models import Account, AccountStatus, AuthSession, LoginEvent, LoginMethod
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.auth.helpers import (
    CODE_EXPIRED,
    INVALID_CODE,
    PHONE,
    POLICY_NOT_ACCEPTED,
    TOO_MANY_ATTEMPTS,
    active_account,
    count,
    e164,
    error,
    forget_rate_limits,
    latest_code,
    login_with_sms,
    refused,
    request_sms_code,
    sent_code,
    session_opened,
    sign_in_with_sms,
    viewer,
)
from tests.support.api import Api

MINOR_UNDER_14 = error("MINOR_UNDER_14", "Children under 14 may not register.", "birthDate")


def wrong(code: str) -> str:
    """A code that is certainly not `code`."""
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_a_new_phone_registers_an_individual_account(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession, clock: Clock
) -> None:
    await request_sms_code(client, PHONE)

    payload = await login_with_sms(client, latest_code(outbox), accept="1.0")

    account = await db.scalar(select(Account))
    assert account is not None
    assert payload == session_opened(
        payload,
        clock,
        active_account(
            payload, "IndividualAccount", "INDIVIDUAL", displayName=account.display_name
        ),
        new=True,
    )
    assert payload["accessToken"]
    assert payload["refreshToken"]
    assert (account.phone, account.accepted_policy_version) == (e164(PHONE), "1.0")
    assert await viewer(client, payload["accessToken"]) == {
        "elevatedUntil": None,
        "account": active_account(
            payload, "IndividualAccount", "INDIVIDUAL", phone="138****5678", email=None
        ),
        "staff": None,
    }


async def test_the_same_phone_signs_in_to_the_same_account_the_second_time(
    client: httpx.AsyncClient, outbox: Outbox, services: AuthServices, db: AsyncSession
) -> None:
    first = await sign_in_with_sms(client, outbox, PHONE)
    await forget_rate_limits(services)
    await request_sms_code(client, "+86 138 1234 5678")

    second = await login_with_sms(client, latest_code(outbox), "+86 138 1234 5678", accept=None)

    assert second["userErrors"] == []
    assert second["isNewAccount"] is False
    assert second["account"] == first["account"]
    assert second["accessToken"] != first["accessToken"]
    assert await count(db, Account) == 1
    assert await count(db, AuthSession) == 2


@pytest.mark.parametrize("accepted", [None, "0.9", ""])
async def test_registration_needs_the_current_policy_and_a_refusal_keeps_the_code(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession, accepted: str | None
) -> None:
    code = await sent_code(client, outbox)

    refusal = await login_with_sms(client, code, accept=accepted)

    assert refusal == refused(POLICY_NOT_ACCEPTED)
    assert await count(db, Account) == 0
    assert await count(db, AuthSession) == 0
    assert await count(db, LoginEvent) == 0

    retry = await login_with_sms(client, code, accept="1.0")

    assert retry["userErrors"] == []
    assert retry["isNewAccount"] is True
    assert await count(db, Account) == 1


async def test_a_wrong_code_answers_invalid_code(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession
) -> None:
    await request_sms_code(client, PHONE)

    payload = await login_with_sms(client, wrong(latest_code(outbox)))

    assert payload == refused(INVALID_CODE)
    assert await count(db, Account) == 0


async def test_no_code_sent_or_a_code_of_another_purpose_answers_invalid_code(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    never_sent = await login_with_sms(client, "123456")
    await request_sms_code(client, PHONE, "BIND_PHONE")
    other_purpose = await login_with_sms(client, latest_code(outbox, PHONE, "BIND_PHONE"))

    assert never_sent == refused(INVALID_CODE)
    assert other_purpose == refused(INVALID_CODE)


async def test_a_code_works_once(client: httpx.AsyncClient, outbox: Outbox) -> None:
    code = await sent_code(client, outbox)
    assert (await login_with_sms(client, code))["userErrors"] == []

    again = await login_with_sms(client, code)

    assert again == refused(INVALID_CODE)


async def test_a_code_is_good_for_just_under_five_minutes(
    client: httpx.AsyncClient, outbox: Outbox, clock: Clock
) -> None:
    await request_sms_code(client, PHONE)
    clock.advance(minutes=4, seconds=59)

    payload = await login_with_sms(client, latest_code(outbox))

    assert payload["userErrors"] == []


async def test_an_expired_code_answers_code_expired(
    client: httpx.AsyncClient, outbox: Outbox, clock: Clock, db: AsyncSession
) -> None:
    await request_sms_code(client, PHONE)
    clock.advance(minutes=5, seconds=1)

    payload = await login_with_sms(client, latest_code(outbox))

    assert payload == refused(CODE_EXPIRED)
    assert await count(db, Account) == 0


async def test_after_five_wrong_tries_the_right_code_answers_too_many_attempts(
    client: httpx.AsyncClient, outbox: Outbox, services: AuthServices
) -> None:
    code = await sent_code(client, outbox)
    tries = [await login_with_sms(client, wrong(code)) for _ in range(5)]

    right = await login_with_sms(client, code)

    assert tries == [refused(INVALID_CODE)] * 5
    assert right == refused(TOO_MANY_ATTEMPTS)
    # A new code works again.
    await forget_rate_limits(services)
    assert (await sign_in_with_sms(client, outbox, PHONE))["isNewAccount"] is True


def aliased_logins(code: str, count: int) -> str:
    calls = " ".join(
        f'try{n}: loginWithSms(input: {{phone: "{PHONE}", code: "{code}", '
        f'acceptPolicyVersion: "1.0"}}) {{ accessToken userErrors {{ field code message }} }}'
        for n in range(count)
    )
    return "mutation { " + calls + " }"


async def aliased_tries(
    client: httpx.AsyncClient, outbox: Outbox, count: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`count` wrong codes tried as aliases in one request, then the right code: the
    request's answer and the right code's payload."""
    code = await sent_code(client, outbox)
    body = await graphql(client, aliased_logins(wrong(code), count))
    return body, await login_with_sms(client, code)


async def test_aliased_tries_in_one_request_count_one_by_one(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    body, right = await aliased_tries(client, outbox, 30)

    answers = [body["data"][f"try{n}"] for n in range(30)]
    assert (
        answers
        == [{"accessToken": None, "userErrors": [INVALID_CODE]}] * 5
        + [{"accessToken": None, "userErrors": [TOO_MANY_ATTEMPTS]}] * 25
    )
    assert right == refused(TOO_MANY_ATTEMPTS)


async def test_a_hundred_aliased_tries_are_refused_before_any_is_counted(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    body, right = await aliased_tries(client, outbox, 100)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]
    assert right["userErrors"] == []


async def test_an_invalid_phone_answers_invalid_phone(client: httpx.AsyncClient) -> None:
    payload = await login_with_sms(client, "123456", "12345")

    assert payload == refused(error("INVALID_PHONE", "This is not a valid phone number.", "phone"))


def years_before(today: date, years: int, *, days: int = 0) -> str:
    return (today.replace(year=today.year - years) + timedelta(days=days)).isoformat()


# A fixed "today" that is no 29 February, so that birthdays fall on a real day.
TODAY = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "birth_date",
    [
        years_before(TODAY.date(), 14, days=1),
        years_before(TODAY.date(), 10),
        TODAY.date().isoformat(),
    ],
)
async def test_under_14_may_not_register_and_nothing_is_stored(
    client: httpx.AsyncClient, outbox: Outbox, clock: Clock, db: AsyncSession, birth_date: str
) -> None:
    clock.now = TODAY
    code = await sent_code(client, outbox)

    payload = await login_with_sms(client, code, birth_date=birth_date)

    assert payload == refused(MINOR_UNDER_14)
    assert await count(db, Account) == 0
    assert await count(db, AuthSession) == 0
    # The refused registration leaves the code usable.
    adult = await login_with_sms(client, code, birth_date=years_before(TODAY.date(), 30))
    assert adult["account"]["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("birth_date", "status"),
    [
        (years_before(TODAY.date(), 14), "PENDING_GUARDIAN_CONSENT"),
        (years_before(TODAY.date(), 18, days=1), "PENDING_GUARDIAN_CONSENT"),
        (years_before(TODAY.date(), 18), "ACTIVE"),
        (None, "ACTIVE"),
    ],
)
async def test_from_14_to_17_the_account_waits_for_a_guardian(
    client: httpx.AsyncClient,
    outbox: Outbox,
    clock: Clock,
    db: AsyncSession,
    birth_date: str | None,
    status: str,
) -> None:
    clock.now = TODAY
    await request_sms_code(client, PHONE)

    payload = await login_with_sms(client, latest_code(outbox), birth_date=birth_date)

    assert payload["userErrors"] == []
    assert payload["account"]["status"] == status
    account = await db.scalar(select(Account))
    assert account is not None
    assert account.status is AccountStatus(status)
    assert account.birth_date == (date.fromisoformat(birth_date) if birth_date else None)
    body = await graphql(
        client,
        "{ viewer { account { status ... on IndividualAccount { birthDate } } } }",
        token=payload["accessToken"],
    )
    assert body == {"data": {"viewer": {"account": {"status": status, "birthDate": birth_date}}}}


async def test_a_birth_date_in_the_future_answers_invalid_input(
    client: httpx.AsyncClient, outbox: Outbox, clock: Clock, db: AsyncSession
) -> None:
    await request_sms_code(client, PHONE)
    tomorrow = (clock.now + timedelta(days=1)).date().isoformat()

    payload = await login_with_sms(client, latest_code(outbox), birth_date=tomorrow)

    assert payload == refused(
        error("INVALID_INPUT", "The birth date is in the future.", "birthDate")
    )
    assert await count(db, Account) == 0


async def test_a_disabled_account_answers_account_disabled(api: Api, outbox: Outbox) -> None:
    await sign_in_with_sms(api.client, outbox, PHONE)
    api.clock.advance(minutes=1)
    account = await api.db.scalar(select(Account))
    assert account is not None
    account.status = AccountStatus.DISABLED
    await api.db.commit()
    await forget_rate_limits(api.services)
    await request_sms_code(api.client, PHONE)

    payload = await login_with_sms(api.client, latest_code(outbox))

    assert payload == refused(error("ACCOUNT_DISABLED", "This account is disabled."))
    assert await count(api.db, AuthSession) == 1
    events = (await api.db.scalars(select(LoginEvent).order_by(LoginEvent.created_at))).all()
    assert [(e.method, e.success) for e in events] == [
        (LoginMethod.SMS_CODE, True),
        (LoginMethod.SMS_CODE, False),
    ]
