"""The demo accounts sign in exactly as the README says."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from auth.totp import current_code
from gateway.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.auth.helpers import (
    INVALID_CREDENTIALS,
    login_with_password,
    refused,
    sign_in_with_sms,
)


def signed_in_as(payload: dict[str, Any]) -> tuple[str | None, list[Any]]:
    account = payload["account"]
    assert (payload["accessToken"] is not None) == (payload["userErrors"] == [])
    return (account["__typename"] if account else None), payload["userErrors"]


async def test_the_demo_individual_signs_in_by_sms_code_only(
    client: httpx.AsyncClient, db: AsyncSession, outbox: Outbox, clock: Clock
) -> None:
    await seed_demo(db, clock.now)
    await db.commit()

    by_sms = await sign_in_with_sms(client, outbox, "13800138000")
    by_password = await login_with_password(client, "13800138000", DEMO_PASSWORD)

    assert signed_in_as(by_sms) == ("IndividualAccount", [])
    assert by_sms["isNewAccount"] is False
    assert by_password == refused(INVALID_CREDENTIALS)


async def test_the_other_demo_accounts_sign_in_with_the_demo_password(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    await seed_demo(db, clock.now)
    await db.commit()

    results = {
        login: signed_in_as(await login_with_password(client, login, "demo-Password-1"))
        for login in (
            "biz@demo.example",
            "ent@demo.example",
            "member01@demo.example",
            "member25@demo.example",
        )
    }
    officer = await graphql(
        client,
        "mutation($totp: String!) { loginStaff(input: {"
        ' email: "officer@demo.example", password: "demo-Password-1", totp: $totp }) {'
        " accessToken account { id } userErrors { code } } }",
        {"totp": current_code(DEMO_TOTP_SECRET, clock.now)},
    )
    through_accounts = await login_with_password(client, "officer@demo.example", "demo-Password-1")

    assert results == {
        "biz@demo.example": ("BusinessAccount", []),
        "ent@demo.example": ("EnterpriseAccount", []),
        "member01@demo.example": ("SubAccount", []),
        "member25@demo.example": ("SubAccount", []),
    }
    # The privacy officer signs in as staff, with the demo authenticator's code.
    payload = officer["data"]["loginStaff"]
    assert (payload["account"], payload["userErrors"]) == (None, [])
    assert payload["accessToken"]
    assert through_accounts == refused(INVALID_CREDENTIALS)
