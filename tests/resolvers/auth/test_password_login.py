"""loginWithPassword over HTTP: e-mail or phone, one answer for every failure, the lockout."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AccountKind,
    AccountStatus,
    AuthSession,
    LoginEvent,
    LoginMethod,
)
from tests.conftest import Clock
from tests.resolvers.auth.helpers import (
    EMAIL,
    INVALID_CREDENTIALS,
    PASSWORD,
    acme_trading,
    count,
    create_password_account,
    error,
    login_with_password,
    refused,
    session_opened,
    viewer,
)
from tests.support.staff import create_staff


def assert_rate_limited(payload: dict[str, Any]) -> None:
    """RATE_LIMITED for the rest of the 15 minutes, nobody signed in."""
    assert {**payload, "userErrors": []} == refused()
    [user_error] = payload["userErrors"]
    assert (user_error["field"], user_error["code"]) == (None, "RATE_LIMITED")
    wait = re.fullmatch(r"Too many failed sign-ins; try again in (\d+) s\.", user_error["message"])
    assert wait is not None, user_error["message"]
    assert 15 * 60 - 120 < int(wait[1]) <= 15 * 60


async def test_a_business_signs_in_with_its_email(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    account = await create_password_account(db, email=EMAIL)

    payload = await login_with_password(client, "  Owner@EXAMPLE.com ")

    assert payload == session_opened(
        payload, clock, acme_trading(payload, "Someone", "ur-acme"), new=False
    )
    signed_in = await viewer(client, payload["accessToken"])
    assert signed_in is not None
    assert signed_in["account"]["id"] == payload["account"]["id"]
    events = (await db.scalars(select(LoginEvent))).all()
    assert [(e.account_id, e.method, e.success) for e in events] == [
        (account.id, LoginMethod.PASSWORD, True)
    ]


async def test_an_enterprise_signs_in_with_its_phone_written_any_way(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await create_password_account(
        db, kind=AccountKind.ENTERPRISE, email="ent@example.com", phone="13812345678"
    )

    payloads = [
        await login_with_password(client, login)
        for login in ("13812345678", "+86 138 1234 5678", "+8613812345678")
    ]

    for payload in payloads:
        assert payload["userErrors"] == []
        assert payload["account"]["__typename"] == "EnterpriseAccount"
        assert payload["account"]["companyName"] == "Acme Group"
    assert await count(db, AuthSession) == 3


async def test_unknown_login_and_wrong_password_answer_the_same(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await create_password_account(db, email=EMAIL, phone="13812345678")

    answers = [
        await login_with_password(client, login, password)
        for login, password in (
            (EMAIL, "wrong-Password-1"),
            ("nobody@example.com", PASSWORD),
            ("13812345678", "wrong-Password-1"),
            ("13900001111", PASSWORD),
            ("not a login", PASSWORD),
        )
    ]

    assert answers == [refused(INVALID_CREDENTIALS)] * 5
    assert await count(db, AuthSession) == 0


async def test_an_account_without_a_password_does_not_sign_in_with_one(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    account = await create_password_account(db, email=EMAIL)
    account.password_hash = None
    await db.commit()

    payload = await login_with_password(client, EMAIL, "")

    assert payload == refused(INVALID_CREDENTIALS)


async def test_after_five_failures_even_the_right_password_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await create_password_account(db, email=EMAIL)
    failures = [await login_with_password(client, EMAIL, f"wrong-{n}-Password") for n in range(5)]

    sixth = await login_with_password(client, EMAIL, PASSWORD)

    assert failures == [refused(INVALID_CREDENTIALS)] * 5
    assert_rate_limited(sixth)
    assert await count(db, AuthSession) == 0


async def test_the_lockout_holds_for_every_way_of_writing_the_login(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await create_password_account(db, email=EMAIL, phone="13812345678")
    for n in range(5):
        await login_with_password(client, "13812345678", f"wrong-{n}-Password")

    answers = [
        await login_with_password(client, login)
        for login in ("+86 138 1234 5678", "+8613812345678", "138-1234-5678")
    ]

    for answer in answers:
        assert_rate_limited(answer)
    assert await count(db, AuthSession) == 0


async def test_the_lockout_counts_failures_of_an_unknown_login_and_spares_other_logins(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await create_password_account(db, email=EMAIL)
    for _ in range(5):
        await login_with_password(client, "ghost@example.com", PASSWORD)

    ghost = await login_with_password(client, "GHOST@example.com", PASSWORD)
    owner = await login_with_password(client, EMAIL, PASSWORD)

    assert_rate_limited(ghost)
    assert owner["userErrors"] == []


async def test_a_success_clears_the_failures(client: httpx.AsyncClient, db: AsyncSession) -> None:
    await create_password_account(db, email=EMAIL)
    for n in range(4):
        await login_with_password(client, EMAIL, f"wrong-{n}-Password")
    assert (await login_with_password(client, EMAIL))["userErrors"] == []

    again = [await login_with_password(client, EMAIL, f"wrong-{n}-Password") for n in range(4)]
    last = await login_with_password(client, EMAIL)

    assert again == [refused(INVALID_CREDENTIALS)] * 4
    assert last["userErrors"] == []


async def test_a_disabled_account_answers_account_disabled(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await create_password_account(db, email=EMAIL, status=AccountStatus.DISABLED)

    right = await login_with_password(client, EMAIL, PASSWORD)
    wrong = await login_with_password(client, EMAIL, "wrong-Password-1")

    assert right == refused(error("ACCOUNT_DISABLED", "This account is disabled."))
    assert wrong == refused(INVALID_CREDENTIALS)
    assert await count(db, AuthSession) == 0


async def test_staff_never_sign_in_through_the_accounts_mutation(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Staff sign in with loginStaff and a second factor; here their address is as
    unknown as any other."""
    await create_staff(
        db, datetime.now(UTC), name="Li Officer", email="li@corp.example", password=PASSWORD
    )
    await db.commit()

    payload = await login_with_password(client, "Li@Corp.Example", PASSWORD)

    assert payload == refused(INVALID_CREDENTIALS)
