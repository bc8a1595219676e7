"""elevateSession by WeChat re-authorisation: an account that signs in with WeChat only
steps up, then exports its data, opens a rights request and cancels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, AccountStatus, DataRequest, OAuthState
from tests.conftest import Clock
from tests.fakes.wechat import FakeWechat, FakeWechatUser
from tests.helpers import graphql
from tests.resolvers.auth.helpers import (
    PASSWORD,
    USER_ERRORS,
    create_password_account,
    error,
    login_with_password,
)
from tests.support.assertions import data_of
from tests.support.wechat import in_process_wechat

REDIRECT = "http://localhost:5173/auth/wechat"
ALICE = FakeWechatUser(openid="o-alice-openid", nickname="爱丽丝")
MALLORY = FakeWechatUser(openid="o-mallory-openid", nickname="Mallory")
AUTHORIZE = "query($uri: String!) { wechatAuthorizeUrl(redirectUri: $uri) { url state } }"
LOGIN_WITH_WECHAT = f"""
mutation($input: LoginWithWechatInput!) {{
  loginWithWechat(input: $input) {{ accessToken account {{ id }} {USER_ERRORS} }}
}}
"""
ELEVATE = f"""
mutation($input: ElevateSessionInput!) {{
  elevateSession(input: $input) {{ elevatedUntil {USER_ERRORS} }}
}}
"""
EXPORT = f"mutation {{ exportMyData {{ export generatedAt {USER_ERRORS} }} }}"
SUBMIT = f"""
mutation($input: SubmitDataRequestInput!) {{
  submitDataRequest(input: $input) {{ dataRequest {{ type status }} {USER_ERRORS} }}
}}
"""
CANCEL = f"""
mutation {{ cancelAccount(input: {{ confirmation: "CANCEL" }}) {{ ok {USER_ERRORS} }} }}
"""
SET_PASSWORD = f"""
mutation($input: SetPasswordInput!) {{
  setPassword(input: $input) {{ account {{ security {{ hasPassword }} }} {USER_ERRORS} }}
}}
"""
ONE_PROOF = error(
    "INVALID_INPUT", "Give one proof: smsCode, password, or wechatCode with wechatState."
)
NO_WECHAT = error("CONTACT_REQUIRED", "No WeChat account is linked to this account.")
OTHER_WECHAT = error(
    "INVALID_CREDENTIALS",
    "This WeChat account is not the one linked to this account.",
    "wechatCode",
)
INVALID_STATE = error(
    "INVALID_STATE", "The sign-in link has expired or was used; start again.", "wechatState"
)
INVALID_CODE = error(
    "INVALID_CODE", "WeChat did not accept this sign-in; start again.", "wechatCode"
)
STEP_UP_REQUIRED = error("STEP_UP_REQUIRED", "Confirm it is you (elevateSession), then try again.")


fake, services = in_process_wechat()


async def new_state(client: httpx.AsyncClient, token: str | None = None) -> str:
    body = await graphql(client, AUTHORIZE, {"uri": REDIRECT}, token=token)
    state: str = body["data"]["wechatAuthorizeUrl"]["state"]
    return state


async def wechat_only_account(client: httpx.AsyncClient, fake: FakeWechat) -> str:
    """Registers with WeChat alone (no phone, no password); returns the access token."""
    body = await graphql(
        client,
        LOGIN_WITH_WECHAT,
        {
            "input": {
                "code": fake.issue_code(ALICE),
                "state": await new_state(client),
                "acceptPolicyVersion": "1.0",
            }
        },
    )
    assert body["data"]["loginWithWechat"]["userErrors"] == [], body
    token: str = body["data"]["loginWithWechat"]["accessToken"]
    return token


async def elevate(client: httpx.AsyncClient, token: str, **values: str | None) -> dict[str, Any]:
    body = await graphql(client, ELEVATE, {"input": values}, token=token)
    return data_of(body, "elevateSession")


def not_elevated(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"elevatedUntil": None, "userErrors": list(user_errors)}


async def test_a_wechat_only_account_steps_up_with_wechat_then_exports_requests_and_cancels(
    client: httpx.AsyncClient, fake: FakeWechat, db: AsyncSession, clock: Clock
) -> None:
    token = await wechat_only_account(client, fake)
    refused = await graphql(client, EXPORT, token=token)
    assert refused["data"]["exportMyData"]["userErrors"] == [STEP_UP_REQUIRED]

    stepped = await elevate(
        client, token, wechatCode=fake.issue_code(ALICE), wechatState=await new_state(client, token)
    )
    exported = await graphql(client, EXPORT, token=token)
    submitted = await graphql(client, SUBMIT, {"input": {"type": "ACCESS_COPY"}}, token=token)
    cancelled = await graphql(client, CANCEL, token=token)

    assert stepped == {
        "elevatedUntil": (clock() + timedelta(minutes=5)).isoformat(),
        "userErrors": [],
    }
    payload = exported["data"]["exportMyData"]
    assert payload["userErrors"] == []
    assert payload["export"]["tables"]["third_party_identities"][0]["open_id"] == ALICE.openid
    assert submitted == {
        "data": {
            "submitDataRequest": {
                "dataRequest": {"type": "ACCESS_COPY", "status": "SUBMITTED"},
                "userErrors": [],
            }
        }
    }
    assert cancelled == {"data": {"cancelAccount": {"ok": True, "userErrors": []}}}
    account = await db.scalar(select(Account))
    assert account is not None
    assert account.status is AccountStatus.CANCELLED
    assert len((await db.scalars(select(DataRequest))).all()) == 1


async def test_a_wechat_step_up_lets_the_account_set_its_first_password(
    client: httpx.AsyncClient, fake: FakeWechat
) -> None:
    token = await wechat_only_account(client, fake)
    await elevate(
        client, token, wechatCode=fake.issue_code(ALICE), wechatState=await new_state(client, token)
    )

    body = await graphql(
        client, SET_PASSWORD, {"input": {"newPassword": "a-brand-New-password-1"}}, token=token
    )

    assert body == {
        "data": {"setPassword": {"account": {"security": {"hasPassword": True}}, "userErrors": []}}
    }


async def test_another_wechat_account_does_not_step_up_and_uses_up_the_state(
    client: httpx.AsyncClient, fake: FakeWechat, db: AsyncSession
) -> None:
    token = await wechat_only_account(client, fake)
    state = await new_state(client, token)

    other = await elevate(client, token, wechatCode=fake.issue_code(MALLORY), wechatState=state)
    again = await elevate(client, token, wechatCode=fake.issue_code(ALICE), wechatState=state)

    assert other == not_elevated(OTHER_WECHAT)
    assert again == not_elevated(INVALID_STATE)
    states = (await db.scalars(select(OAuthState).where(OAuthState.account_id.is_not(None)))).all()
    assert [row.used_at is not None for row in states] == [True]


async def test_a_state_issued_anonymously_or_to_another_account_does_not_step_up(
    client: httpx.AsyncClient, fake: FakeWechat, db: AsyncSession
) -> None:
    token = await wechat_only_account(client, fake)
    await create_password_account(db, email="bob@example.com")
    bob = (await login_with_password(client, "bob@example.com"))["accessToken"]

    anonymous = await elevate(
        client, token, wechatCode=fake.issue_code(ALICE), wechatState=await new_state(client)
    )
    bobs = await elevate(
        client, token, wechatCode=fake.issue_code(ALICE), wechatState=await new_state(client, bob)
    )
    unknown = await elevate(client, token, wechatCode=fake.issue_code(ALICE), wechatState="x")

    assert anonymous == not_elevated(INVALID_STATE)
    assert bobs == not_elevated(INVALID_STATE)
    assert unknown == not_elevated(INVALID_STATE)


async def test_a_code_wechat_refuses_does_not_step_up(
    client: httpx.AsyncClient, fake: FakeWechat
) -> None:
    token = await wechat_only_account(client, fake)

    body = await elevate(
        client, token, wechatCode="code-never-issued", wechatState=await new_state(client, token)
    )

    assert body == not_elevated(INVALID_CODE)


async def test_an_account_without_wechat_cannot_step_up_with_it(
    client: httpx.AsyncClient, fake: FakeWechat, db: AsyncSession
) -> None:
    await create_password_account(db, email="bob@example.com")
    bob = (await login_with_password(client, "bob@example.com"))["accessToken"]

    body = await elevate(
        client, bob, wechatCode=fake.issue_code(ALICE), wechatState=await new_state(client, bob)
    )

    assert body == not_elevated(NO_WECHAT)
    assert fake.requests == []


@pytest.mark.parametrize(
    "proofs",
    [
        {"wechatCode": "some-code"},
        {"wechatState": "some-state"},
        {"wechatCode": "", "wechatState": ""},
        {"wechatCode": "some-code", "wechatState": "some-state", "password": PASSWORD},
        {"wechatCode": "some-code", "wechatState": "some-state", "smsCode": "123456"},
    ],
)
async def test_wechat_proof_is_given_whole_and_alone(
    client: httpx.AsyncClient, fake: FakeWechat, proofs: dict[str, str]
) -> None:
    token = await wechat_only_account(client, fake)

    body = await elevate(client, token, **proofs)

    assert body == not_elevated(ONE_PROOF)
    assert len(fake.requests) == 2  # the sign-in's token exchange and userinfo only


async def test_wechat_step_up_needs_a_signed_in_viewer(client: httpx.AsyncClient) -> None:
    body = await graphql(client, ELEVATE, {"input": {"wechatCode": "c", "wechatState": "s"}})

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
