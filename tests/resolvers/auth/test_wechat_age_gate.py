"""Registering with WeChat applies the age rules of every individual registration:
under 14 refused, 14 to 17 awaiting a guardian's consent
(docs/spec/privacy-centre.md#minors)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, ThirdPartyIdentity
from tests.conftest import Clock
from tests.fakes.wechat import FakeWechat
from tests.helpers import graphql
from tests.resolvers.auth.helpers import USER_ERRORS, count, error
from tests.resolvers.auth.test_wechat_login import ALICE, new_state
from tests.support.wechat import in_process_wechat

LOGIN = f"""
mutation($input: LoginWithWechatInput!) {{
  loginWithWechat(input: $input) {{
    isNewAccount account {{ status ... on IndividualAccount {{ id }} }} {USER_ERRORS}
  }}
}}
"""
BIRTH_DATE = "{ viewer { account { ... on IndividualAccount { birthDate } } } }"


fake, services = in_process_wechat()


def years_ago(today: date, years: int) -> str:
    return date(today.year - years, 1, 1).isoformat()


async def login(
    client: httpx.AsyncClient, fake: FakeWechat, birth_date: str | None
) -> dict[str, Any]:
    body = await graphql(
        client,
        LOGIN,
        {
            "input": {
                "code": fake.issue_code(ALICE),
                "state": await new_state(client),
                "acceptPolicyVersion": "1.0",
                "birthDate": birth_date,
            }
        },
    )
    payload: dict[str, Any] = body["data"]["loginWithWechat"]
    return payload


async def test_a_child_under_14_is_not_registered(
    client: httpx.AsyncClient, fake: FakeWechat, db: AsyncSession, clock: Clock
) -> None:
    payload = await login(client, fake, years_ago(clock().date(), 13))

    assert payload == {
        "isNewAccount": False,
        "account": None,
        "userErrors": [error("MINOR_UNDER_14", "Children under 14 may not register.", "birthDate")],
    }
    assert await count(db, Account) == 0
    assert await count(db, ThirdPartyIdentity) == 0


@pytest.mark.parametrize(("years", "status"), [(15, "PENDING_GUARDIAN_CONSENT"), (30, "ACTIVE")])
async def test_a_minor_awaits_a_guardian_and_an_adult_is_active(
    client: httpx.AsyncClient, fake: FakeWechat, clock: Clock, years: int, status: str
) -> None:
    birth_date = years_ago(clock().date(), years)

    payload = await login(client, fake, birth_date)

    assert payload["userErrors"] == []
    assert (payload["isNewAccount"], payload["account"]["status"]) == (True, status)


async def test_the_birth_date_is_kept_and_a_future_one_refused(
    client: httpx.AsyncClient, fake: FakeWechat, clock: Clock
) -> None:
    future = await login(client, fake, date(clock().date().year + 1, 1, 1).isoformat())
    body = await graphql(
        client,
        LOGIN.replace("isNewAccount", "isNewAccount accessToken"),
        {
            "input": {
                "code": fake.issue_code(ALICE),
                "state": await new_state(client),
                "acceptPolicyVersion": "1.0",
                "birthDate": "1990-05-17",
            }
        },
    )
    token = body["data"]["loginWithWechat"]["accessToken"]
    stored = await graphql(client, BIRTH_DATE, token=token)

    assert future["userErrors"] == [
        error("INVALID_INPUT", "The birth date is in the future.", "birthDate")
    ]
    assert stored == {"data": {"viewer": {"account": {"birthDate": "1990-05-17"}}}}
