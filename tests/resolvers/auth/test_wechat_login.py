"""wechatAuthorizeUrl and loginWithWechat over HTTP, against a fake WeChat
(docs/spec/sign-in.md#wechat)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from auth.services import AuthServices
from auth.wechat import WechatClient
from gateway.app import create_app
from gateway.settings import Settings
from models import Account, AccountStatus, IdentityProvider, OAuthState, ThirdPartyIdentity
from tests.conftest import Clock
from tests.fakes.wechat import APP_ID, APP_SECRET, FakeWechat, FakeWechatUser, running_fake_wechat
from tests.helpers import graphql
from tests.resolvers.auth.helpers import (
    AUTH_PAYLOAD,
    POLICY_NOT_ACCEPTED,
    count,
    error,
    refused,
    viewer,
)
from tests.support.assertions import data_of
from tests.support.wechat import AUTHORIZE_URL, in_process_wechat, wechat_config

REDIRECT = "http://localhost:5173/auth/wechat"
TOKEN_PATH = "/sns/oauth2/access_token"
ALICE = FakeWechatUser(
    openid="o-alice-openid",
    unionid="u-alice-unionid",
    nickname="爱丽丝",
    headimgurl="https://thirdwx.qlogo.cn/mmopen/alice/132",
)
AUTHORIZE = """
query($uri: String!) { wechatAuthorizeUrl(redirectUri: $uri) { url state } }
"""
LOGIN_WITH_WECHAT = f"""
mutation($input: LoginWithWechatInput!) {{
  loginWithWechat(input: $input) {{ {AUTH_PAYLOAD} account {{ avatarUrl }} }}
}}
"""
INVALID_STATE = error(
    "INVALID_STATE", "The sign-in link has expired or was used; start again.", "state"
)
INVALID_CODE = error("INVALID_CODE", "WeChat did not accept this sign-in; start again.", "code")


fake, services = in_process_wechat()


async def authorize(client: httpx.AsyncClient, redirect_uri: str = REDIRECT) -> dict[str, Any]:
    return await graphql(client, AUTHORIZE, {"uri": redirect_uri})


async def new_state(client: httpx.AsyncClient) -> str:
    body = await authorize(client)
    state: str = body["data"]["wechatAuthorizeUrl"]["state"]
    return state


async def login_with_wechat(
    client: httpx.AsyncClient, code: str, state: str, accept: str | None = "1.0"
) -> dict[str, Any]:
    variables = {"input": {"code": code, "state": state, "acceptPolicyVersion": accept}}
    body = await graphql(client, LOGIN_WITH_WECHAT, variables)
    return data_of(body, "loginWithWechat")


async def test_the_authorize_url_is_wechats_qr_connect_url_with_a_one_time_state(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    body = await authorize(client)

    state = body["data"]["wechatAuthorizeUrl"]["state"]
    assert len(state) >= 32
    assert body == {
        "data": {
            "wechatAuthorizeUrl": {
                "url": (
                    f"{AUTHORIZE_URL}?appid={APP_ID}&redirect_uri={quote(REDIRECT, safe='')}"
                    f"&response_type=code&scope=snsapi_login&state={state}#wechat_redirect"
                ),
                "state": state,
            }
        }
    }
    assert await new_state(client) != state
    assert await count(db, OAuthState) == 2


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://localhost.evil.example/",
        "http://localhostx",
        # Userinfo: a prefix check passes it, and the code goes to evil.example.
        "http://localhost:@evil.example/cb",
        "http://localhost@evil.example/cb",
        "http://localhost\\@evil.example/cb",
        "https://localhost/cb",  # another scheme
        "http://localhost/cb/../../elsewhere",
        "http://localhost/cb#fragment",
        "http://[::1",
    ],
)
async def test_a_redirect_off_the_allow_list_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, redirect_uri: str
) -> None:
    body = await authorize(client, redirect_uri)

    assert body["data"] is None
    assert [(e["message"], e["path"], e["extensions"]) for e in body["errors"]] == [
        (
            "redirectUri is not on this gateway's allow-list.",
            ["wechatAuthorizeUrl"],
            {"code": "BAD_USER_INPUT"},
        )
    ]
    assert await count(db, OAuthState) == 0


async def test_a_new_wechat_user_registers_and_signs_in_the_second_time(
    client: httpx.AsyncClient, fake: FakeWechat, db: AsyncSession
) -> None:
    first = await login_with_wechat(client, fake.issue_code(ALICE), await new_state(client))
    second = await login_with_wechat(
        client, fake.issue_code(ALICE), await new_state(client), accept=None
    )

    assert first["userErrors"] == []
    assert first["isNewAccount"] is True
    assert first["account"] == {
        "__typename": "IndividualAccount",
        "id": first["account"]["id"],
        "kind": "INDIVIDUAL",
        "status": "ACTIVE",
        "displayName": "爱丽丝",
        "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/alice/132",
    }
    assert second["userErrors"] == []
    assert second["isNewAccount"] is False
    assert second["account"]["id"] == first["account"]["id"]
    signed_in = await viewer(client, second["accessToken"])
    assert signed_in is not None
    assert signed_in["account"]["id"] == first["account"]["id"]
    [identity] = (await db.scalars(select(ThirdPartyIdentity))).all()
    assert (identity.provider, identity.open_id, identity.union_id, identity.nickname) == (
        IdentityProvider.WECHAT,
        "o-alice-openid",
        "u-alice-unionid",
        "爱丽丝",
    )
    account = await db.scalar(select(Account))
    assert account is not None
    assert account.accepted_policy_version == "1.0"
    assert await count(db, Account) == 1


async def test_a_disabled_account_does_not_sign_in_with_wechat(
    client: httpx.AsyncClient, fake: FakeWechat, db: AsyncSession
) -> None:
    first = await login_with_wechat(client, fake.issue_code(ALICE), await new_state(client))
    account = await db.scalar(select(Account))
    assert account is not None
    account.status = AccountStatus.DISABLED
    await db.commit()

    payload = await login_with_wechat(client, fake.issue_code(ALICE), await new_state(client))

    assert first["userErrors"] == []
    assert payload == refused(error("ACCOUNT_DISABLED", "This account is disabled."))
    assert await count(db, Account) == 1


@pytest.mark.parametrize("accepted", [None, "0.9"])
async def test_registration_by_wechat_needs_the_current_policy(
    client: httpx.AsyncClient, fake: FakeWechat, db: AsyncSession, accepted: str | None
) -> None:
    payload = await login_with_wechat(
        client, fake.issue_code(ALICE), await new_state(client), accept=accepted
    )

    assert payload == refused(POLICY_NOT_ACCEPTED)
    assert await count(db, Account) == 0
    assert await count(db, ThirdPartyIdentity) == 0


async def test_a_state_works_once(
    client: httpx.AsyncClient, fake: FakeWechat, db: AsyncSession
) -> None:
    state = await new_state(client)
    assert (await login_with_wechat(client, fake.issue_code(ALICE), state))["userErrors"] == []

    again = await login_with_wechat(client, fake.issue_code(ALICE), state)

    assert again == refused(INVALID_STATE)
    # The used state stops the sign-in before WeChat is asked.
    assert len(fake.requests_to(TOKEN_PATH)) == 1


async def test_an_unknown_state_answers_invalid_state(
    client: httpx.AsyncClient, fake: FakeWechat
) -> None:
    payload = await login_with_wechat(client, fake.issue_code(ALICE), "made-up-state")

    assert payload == refused(INVALID_STATE)
    assert fake.requests == []


async def test_a_state_lasts_ten_minutes(
    client: httpx.AsyncClient, fake: FakeWechat, clock: Clock
) -> None:
    fresh = await new_state(client)
    stale = await new_state(client)
    clock.advance(minutes=9, seconds=59)
    in_time = await login_with_wechat(client, fake.issue_code(ALICE), fresh)
    clock.advance(seconds=1)

    late = await login_with_wechat(client, fake.issue_code(ALICE), stale)

    assert in_time["userErrors"] == []
    assert late == refused(INVALID_STATE)


async def test_a_code_wechat_refuses_answers_invalid_code(
    client: httpx.AsyncClient, fake: FakeWechat, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code = fake.issue_code(ALICE)
    assert (await login_with_wechat(client, code, await new_state(client)))["userErrors"] == []

    reused = await login_with_wechat(client, code, await new_state(client))
    unknown = await login_with_wechat(client, "code-never-issued", await new_state(client))
    fake.fail_next("/sns/userinfo", body='{"errcode": 40001, "errmsg": "invalid credential"}')
    userinfo_refused = await login_with_wechat(
        client, fake.issue_code(ALICE), await new_state(client)
    )

    assert [reused, unknown, userinfo_refused] == [refused(INVALID_CODE)] * 3
    assert await count(db, Account) == 1
    for secret in (code, "o-alice-openid", APP_SECRET):
        assert secret not in caplog.text


async def test_without_wechat_configured_the_authorize_url_is_refused(
    settings: Settings,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    app = create_app(settings, engine=engine, session_factory=session_factory, clock=clock)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            body = await authorize(client)
    finally:
        await app.state.services.limiter.close()

    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("WeChat sign-in is not configured on this gateway.", {"code": "BAD_USER_INPUT"})
    ]


@pytest.fixture
async def served_wechat() -> AsyncIterator[tuple[FakeWechat, str]]:
    async with running_fake_wechat() as served:
        yield served


async def test_a_wechat_sign_in_end_to_end_against_a_served_fake(
    settings: Settings,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    services: AuthServices,
    clock: Clock,
    served_wechat: tuple[FakeWechat, str],
    db: AsyncSession,
) -> None:
    fake, base_url = served_wechat
    over_the_network = dataclasses.replace(services, wechat=WechatClient(wechat_config(base_url)))
    app = create_app(
        settings,
        engine=engine,
        session_factory=session_factory,
        services=over_the_network,
        clock=clock,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        payload = await login_with_wechat(client, fake.issue_code(ALICE), await new_state(client))

    assert payload["userErrors"] == []
    assert payload["isNewAccount"] is True
    assert payload["account"]["displayName"] == "爱丽丝"
    assert [request.path for request in fake.requests] == [TOKEN_PATH, "/sns/userinfo"]
    assert await count(db, ThirdPartyIdentity) == 1
