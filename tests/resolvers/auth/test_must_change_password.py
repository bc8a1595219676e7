"""A password set before the password rule still signs in, and says it must change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Clock
from tests.helpers import graphql, staff_code
from tests.resolvers.auth.helpers import EMAIL, PASSWORD, create_password_account
from tests.support.staff import create_staff

LOGIN = """
mutation($input: LoginWithPasswordInput!) {
  loginWithPassword(input: $input) {
    accessToken mustChangePassword userErrors { code }
  }
}
"""


async def login(client: httpx.AsyncClient, login: str, password: str) -> dict[str, Any]:
    body = await graphql(client, LOGIN, {"input": {"login": login, "password": password}})
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["loginWithPassword"]
    return {
        "signedIn": payload["accessToken"] is not None,
        "mustChangePassword": payload["mustChangePassword"],
        "userErrors": payload["userErrors"],
    }


@pytest.mark.parametrize(
    ("password", "must_change"),
    [
        ("Sh0rt-Pass", True),  # 10 characters: acceptable before
        ("1qaz2wsx3edc", True),  # breached
        ("ｑｗｅｒｔｙｕｉｏｐ１２３", True),  # breached, full-width
        (PASSWORD, False),
        ("我的密码是一只小猫咪吃鱼", False),
    ],
)
async def test_an_account_signs_in_with_its_password_and_learns_whether_to_change_it(
    client: httpx.AsyncClient, db: AsyncSession, password: str, must_change: bool
) -> None:
    await create_password_account(db, email=EMAIL, phone="13812345678", password=password)

    by_email = await login(client, EMAIL, password)
    by_phone = await login(client, "13812345678", password)

    expected = {"signedIn": True, "mustChangePassword": must_change, "userErrors": []}
    assert by_email == by_phone == expected


async def test_a_wrong_password_never_says_anything_about_the_right_one(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await create_password_account(db, email=EMAIL, password="Sh0rt-Pass")

    assert await login(client, EMAIL, "1qaz2wsx3edc") == {
        "signedIn": False,
        "mustChangePassword": False,
        "userErrors": [{"code": "INVALID_CREDENTIALS"}],
    }
    assert await login(client, "nobody@example.com", "Sh0rt-Pass") == {
        "signedIn": False,
        "mustChangePassword": False,
        "userErrors": [{"code": "INVALID_CREDENTIALS"}],
    }


async def test_staff_with_an_old_password_sign_in_and_must_change_it(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    await create_staff(
        db, datetime.now(UTC), name="Li Officer", email="li@corp.example", password="Sh0rt-Pass"
    )
    await db.commit()

    body = await graphql(
        client,
        """mutation($totp: String!) { loginStaff(input: {
          email: "li@corp.example", password: "Sh0rt-Pass", totp: $totp }) {
          mustChangePassword userErrors { code } } }""",
        {"totp": staff_code(clock.now)},
    )

    assert body == {"data": {"loginStaff": {"mustChangePassword": True, "userErrors": []}}}
