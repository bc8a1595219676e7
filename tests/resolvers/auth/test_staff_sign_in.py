"""Staff sign in with their own mutation and two factors, step up with the second one,
never share a sign-in address with an account, and lose their sessions when disabled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from models import StaffMember
from resolvers.staff.manage import disable_staff
from tests.conftest import Clock
from tests.helpers import client_at, graphql, staff_code
from tests.resolvers.auth.helpers import PASSWORD, login_with_password
from tests.support.staff import create_staff

EMAIL = "li@corp.example"
LOGIN_STAFF = """
mutation($email: String!, $password: String!, $totp: String!) {
  loginStaff(input: { email: $email, password: $password, totp: $totp }) {
    accessToken refreshToken account { id } userErrors { field code message }
  }
}
"""
ELEVATE = """
mutation($input: ElevateSessionInput!) { elevateSession(input: $input) {
  elevatedUntil userErrors { field code message } } }
"""
INVALID = {
    "field": None,
    "code": "INVALID_CREDENTIALS",
    "message": "The e-mail, the password or the code is not right.",
}


@pytest.fixture
async def officer(db: AsyncSession) -> StaffMember:
    member = await create_staff(
        db, datetime.now(UTC), name="Li Officer", email=EMAIL, password=PASSWORD
    )
    await db.commit()
    return member


async def login_staff(
    client: httpx.AsyncClient, totp: str, password: str = PASSWORD, email: str = EMAIL
) -> dict[str, Any]:
    body = await graphql(client, LOGIN_STAFF, {"email": email, "password": password, "totp": totp})
    payload: dict[str, Any] = body["data"]["loginStaff"]
    return payload


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_staff_sign_in_with_the_password_and_the_authenticators_code(
    client: httpx.AsyncClient, officer: StaffMember, clock: Clock
) -> None:
    payload = await login_staff(client, staff_code(clock.now))

    assert (payload["account"], payload["userErrors"]) == (None, [])
    body = await graphql(
        client, "{ viewer { staff { name role } account { id } } }", token=payload["accessToken"]
    )
    assert body == {
        "data": {
            "viewer": {"staff": {"name": "Li Officer", "role": "PRIVACY_OFFICER"}, "account": None}
        }
    }


@pytest.mark.parametrize("mistake", ["password", "code", "email"])
async def test_every_wrong_factor_answers_alike(
    mistake: str, client: httpx.AsyncClient, officer: StaffMember, clock: Clock
) -> None:
    code = staff_code(clock.now)
    values = {"totp": code}
    if mistake == "password":
        values["password"] = "not-the-Password-9"
    elif mistake == "code":
        values["totp"] = wrong(code)
    else:
        values["email"] = "nobody@corp.example"

    payload = await login_staff(client, **values)

    assert payload == {
        "accessToken": None,
        "refreshToken": None,
        "account": None,
        "userErrors": [INVALID],
    }


async def test_a_code_signs_in_once(
    client: httpx.AsyncClient, officer: StaffMember, clock: Clock
) -> None:
    code = staff_code(clock.now)

    first = await login_staff(client, code)
    replayed = await login_staff(client, code)

    assert first["userErrors"] == []
    assert replayed["userErrors"] == [INVALID]


async def test_codes_have_five_tries_however_they_are_asked(
    client: httpx.AsyncClient, officer: StaffMember, clock: Clock
) -> None:
    code = staff_code(clock.now)
    guesses = " ".join(
        f'g{n}: loginStaff(input: {{ email: "{EMAIL}", password: "{PASSWORD}", totp: "{(int(code[0]) + 1) % 10}0000{n}" }})'
        " { userErrors { code } }"
        for n in range(6)
    )

    body = await graphql(client, f"mutation {{ {guesses} }}")
    right = await login_staff(client, code)

    answers = [p["userErrors"][0]["code"] for p in body["data"].values()]
    assert answers == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"]
    assert right["userErrors"][0]["code"] == "RATE_LIMITED"


async def test_wrong_passwords_from_elsewhere_do_not_lock_the_staff_member_out(
    app: Starlette, officer: StaffMember, clock: Clock
) -> None:
    """Staff have a second factor: a stranger's guesses stop the stranger, not the owner."""
    async with client_at(app, "203.0.113.9") as stranger, client_at(app, "198.51.100.7") as own:
        guesses = [
            (await login_staff(stranger, "000000", password="not-the-Password-9"))["userErrors"]
            for _ in range(6)
        ]
        right = await login_staff(own, staff_code(clock.now))
        stranger_again = await login_staff(stranger, staff_code(clock.now))

    assert [errors[0]["code"] for errors in guesses] == ["INVALID_CREDENTIALS"] * 5 + [
        "RATE_LIMITED"
    ]
    assert right["userErrors"] == []
    assert stranger_again["userErrors"][0]["code"] == "RATE_LIMITED"


async def test_staff_never_sign_in_through_login_with_password(
    client: httpx.AsyncClient, officer: StaffMember
) -> None:
    payload = await login_with_password(client, EMAIL, PASSWORD)

    assert payload["accessToken"] is None
    assert payload["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


REGISTER = """
mutation { registerBusiness(input: { email: "LI@corp.example", businessName: "Squat",
  urToken: "ur-1", password: "long-enough-Pass-1", acceptPolicyVersion: "1.0" }) {
  accessToken userErrors { field code } } }
"""


async def test_nobody_registers_a_staff_members_address(
    client: httpx.AsyncClient, officer: StaffMember, clock: Clock
) -> None:
    squatted = await graphql(client, REGISTER)
    signed_in = await login_staff(client, staff_code(clock.now))

    assert squatted == {
        "data": {
            "registerBusiness": {
                "accessToken": None,
                "userErrors": [{"field": ["email"], "code": "ALREADY_EXISTS"}],
            }
        }
    }
    assert signed_in["userErrors"] == []


async def test_staff_step_up_with_the_authenticator_only(
    client: httpx.AsyncClient, officer: StaffMember, clock: Clock
) -> None:
    token = (await login_staff(client, staff_code(clock.now)))["accessToken"]
    clock.advance(seconds=30)  # the next code

    with_password = await graphql(client, ELEVATE, {"input": {"password": PASSWORD}}, token=token)
    with_code = await graphql(
        client, ELEVATE, {"input": {"totp": staff_code(clock.now)}}, token=token
    )

    assert with_password == {
        "data": {
            "elevateSession": {
                "elevatedUntil": None,
                "userErrors": [
                    {
                        "field": ["totp"],
                        "code": "INVALID_INPUT",
                        "message": "Staff step up with the code of their authenticator.",
                    }
                ],
            }
        }
    }
    assert with_code == {
        "data": {
            "elevateSession": {
                "elevatedUntil": (clock.now + timedelta(minutes=5)).isoformat(),
                "userErrors": [],
            }
        }
    }


async def test_a_disabled_staff_member_is_out_at_once_and_stays_out(
    client: httpx.AsyncClient, db: AsyncSession, officer: StaffMember, clock: Clock
) -> None:
    token = (await login_staff(client, staff_code(clock.now)))["accessToken"]

    await disable_staff(db, email=EMAIL, now=clock.now)
    await db.commit()
    clock.advance(seconds=30)
    after = await client.post(
        "/graphql",
        json={"query": "{ viewer { staff { name } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    again = await login_staff(client, staff_code(clock.now))

    assert after.status_code == 401
    assert again["userErrors"] == [
        {"field": None, "code": "ACCOUNT_DISABLED", "message": "This staff member is disabled."}
    ]


REFRESH = """
mutation($token: String!) { refreshSession(input: { refreshToken: $token }) {
  accessToken refreshToken userErrors { code } } }
"""


async def refresh(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await graphql(client, REFRESH, {"token": token})
    payload: dict[str, Any] = body["data"]["refreshSession"]
    return payload


async def test_a_staff_session_unused_for_an_hour_is_over(
    client: httpx.AsyncClient, officer: StaffMember, clock: Clock
) -> None:
    signed_in = await login_staff(client, staff_code(clock.now))
    clock.advance(minutes=61)

    idle = await refresh(client, signed_in["refreshToken"])

    assert idle["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_a_staff_session_in_use_ends_twelve_hours_after_signing_in(
    client: httpx.AsyncClient, officer: StaffMember, clock: Clock
) -> None:
    token = (await login_staff(client, staff_code(clock.now)))["refreshToken"]
    for _ in range(14):  # 11 h 40 min, used every 50 minutes
        clock.advance(minutes=50)
        payload = await refresh(client, token)
        assert payload["userErrors"] == [], payload
        token = payload["refreshToken"]
    clock.advance(minutes=21)

    late = await refresh(client, token)

    assert late["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_a_right_password_with_a_wrong_code_counts_as_a_failure(
    client: httpx.AsyncClient, officer: StaffMember, clock: Clock
) -> None:
    """Without the code, the password alone must not be confirmable: had a right
    password cleared the tries, the next answers would tell which guess was right."""
    code = staff_code(clock.now)
    wrong_password = "not-the-Password-9"
    attempts = [(wrong_password, code)] * 4 + [(PASSWORD, wrong(code)), (wrong_password, code)]

    answers = [
        (await login_staff(client, totp, password=password))["userErrors"]
        for password, totp in attempts
    ]

    assert answers == [[INVALID]] * 5 + [
        [
            {
                "field": None,
                "code": "RATE_LIMITED",
                "message": answers[5][0]["message"],
            }
        ]
    ]
    assert answers[5][0]["message"].startswith("Too many failed sign-ins; try again in ")


async def test_the_codes_limit_answers_as_a_wrong_password_does(
    client: httpx.AsyncClient, officer: StaffMember, clock: Clock
) -> None:
    """While the code's tries are used up, a right password must answer exactly as a
    wrong one: a RATE_LIMITED (or a `totp` field) only for the right one would confirm it."""
    code = staff_code(clock.now)
    token = (await login_staff(client, code))["accessToken"]
    for _ in range(5):  # the member's own wrong step-up codes fill the code's tries
        await graphql(client, ELEVATE, {"input": {"totp": wrong(code)}}, token=token)
    clock.advance(seconds=30)
    code = staff_code(clock.now)

    right_password = await login_staff(client, wrong(code))
    wrong_password = await login_staff(client, wrong(code), password="not-the-Password-9")

    assert right_password["userErrors"] == wrong_password["userErrors"] == [INVALID]
