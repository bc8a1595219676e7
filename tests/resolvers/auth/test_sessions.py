"""Sessions over HTTP: bearer tokens, refresh rotation, logout and revocation.

The rules: docs/spec/sign-in.md#access-tokens and
docs/spec/sign-in.md#refresh-tokens-and-sessions.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from auth.tokens import TokenIssuer
from models import Account, AccountKind, AccountStatus
from models.encryption import MasterKey
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.auth.helpers import (
    AUTH_PAYLOAD,
    EMAIL,
    PASSWORD,
    UNAUTHENTICATED_BODY,
    USER_ERRORS,
    create_password_account,
    error,
    login_with_password,
    login_with_sms,
    refused,
    sent_code,
    session_opened,
    viewer,
)
from tests.support.api import Api
from tests.support.assertions import data_of
from tests.support.refusals import answer, unauthenticated

REFRESH = f"""
mutation($token: String!) {{
  refreshSession(input: {{refreshToken: $token}}) {{ {AUTH_PAYLOAD} }}
}}
"""
LOGOUT = f"mutation {{ logout {{ ok {USER_ERRORS} }} }}"
REVOKE = f"mutation($id: ID!) {{ revokeSession(input: {{id: $id}}) {{ ok {USER_ERRORS} }} }}"
REVOKE_OTHERS = f"mutation {{ revokeOtherSessions {{ ok {USER_ERRORS} }} }}"
SESSIONS = "{ viewer { account { sessions { id current userAgent createdAt lastUsedAt } } } }"
LOGIN_HISTORY = """
{ viewer { account { loginHistory(first: 10) {
    edges { node { at method success ipAddress userAgent } }
} } } }
"""
INVALID_REFRESH = error(
    "INVALID_CREDENTIALS", "The refresh token is not valid; sign in again.", "refreshToken"
)


async def post(client: httpx.AsyncClient, query: str, token: str) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )


async def assert_refused_with_401(client: httpx.AsyncClient, token: str) -> None:
    response = await post(client, "{ viewer { elevatedUntil } }", token)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED_BODY


async def refresh(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await graphql(client, REFRESH, {"token": token})
    return data_of(body, "refreshSession")


async def sessions_of(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    body = await graphql(client, SESSIONS, token=token)
    assert "errors" not in body, body
    sessions: list[dict[str, Any]] = body["data"]["viewer"]["account"]["sessions"]
    return sessions


async def sign_ins(client: httpx.AsyncClient, clock: Clock, count: int) -> list[dict[str, Any]]:
    """The owner signs in `count` times with the password, a minute apart."""
    payloads = [await login_with_password(client, EMAIL)]
    for _ in range(count - 1):
        clock.advance(minutes=1)
        payloads.append(await login_with_password(client, EMAIL))
    return payloads


@pytest.fixture
async def owner(db: AsyncSession) -> Account:
    return await create_password_account(db, email=EMAIL)


async def test_an_access_token_makes_its_account_the_viewer(
    client: httpx.AsyncClient, owner: Account
) -> None:
    signed_in = await login_with_password(client, EMAIL)

    assert await viewer(client, signed_in["accessToken"]) == {
        "elevatedUntil": None,
        "account": {
            "__typename": "BusinessAccount",
            "id": signed_in["account"]["id"],
            "kind": "BUSINESS",
            "status": "ACTIVE",
            "phone": None,
            "email": "o***@example.com",
        },
        "staff": None,
    }
    anonymous = await graphql(client, "{ viewer { elevatedUntil } }")
    assert anonymous == {"data": {"viewer": None}}


async def test_a_refresh_token_rotates_on_every_use(
    client: httpx.AsyncClient, owner: Account, clock: Clock
) -> None:
    signed_in = await login_with_password(client, EMAIL)
    clock.advance(minutes=20)

    first = await refresh(client, signed_in["refreshToken"])
    second = await refresh(client, first["refreshToken"])

    assert first == session_opened(first, clock, signed_in["account"], new=False)
    tokens = {
        signed_in["refreshToken"],
        first["refreshToken"],
        second["refreshToken"],
    }
    assert len(tokens) == 3
    assert second["userErrors"] == []
    # The access token signed in 20 minutes ago has expired; the new ones work.
    await assert_refused_with_401(client, signed_in["accessToken"])
    for payload in (first, second):
        assert await viewer(client, payload["accessToken"]) is not None


async def test_a_rotated_refresh_token_presented_again_revokes_the_whole_session(
    client: httpx.AsyncClient, owner: Account
) -> None:
    signed_in = await login_with_password(client, EMAIL)
    rotated = await refresh(client, signed_in["refreshToken"])
    newest = await refresh(client, rotated["refreshToken"])

    replay = await refresh(client, rotated["refreshToken"])

    assert replay == refused(INVALID_REFRESH)
    await assert_refused_with_401(client, newest["accessToken"])
    assert await refresh(client, newest["refreshToken"]) == refused(INVALID_REFRESH)


@pytest.mark.parametrize(
    "token", ["garbage", "", "0" * 32 + ".secret", uuid.uuid4().hex + ".not-the-secret"]
)
async def test_a_refresh_token_that_was_never_issued_is_refused(
    client: httpx.AsyncClient, token: str
) -> None:
    assert await refresh(client, token) == refused(INVALID_REFRESH)


async def test_logout_ends_the_session_at_once(client: httpx.AsyncClient, owner: Account) -> None:
    signed_in = await login_with_password(client, EMAIL)
    other = await login_with_password(client, EMAIL)

    body = await graphql(client, LOGOUT, token=signed_in["accessToken"])

    assert body == {"data": {"logout": {"ok": True, "userErrors": []}}}
    await assert_refused_with_401(client, signed_in["accessToken"])
    assert await refresh(client, signed_in["refreshToken"]) == refused(INVALID_REFRESH)
    assert await viewer(client, other["accessToken"]) is not None


async def test_logout_needs_a_viewer(client: httpx.AsyncClient) -> None:
    body = await answer(client, LOGOUT)

    assert body == unauthenticated("logout")


async def test_sessions_lists_the_live_sessions_with_the_asking_one_current(
    client: httpx.AsyncClient, owner: Account, clock: Clock
) -> None:
    first, second, ended = await sign_ins(client, clock, 3)
    await graphql(client, LOGOUT, token=ended["accessToken"])

    from_first = await sessions_of(client, first["accessToken"])
    from_second = await sessions_of(client, second["accessToken"])

    assert [s["current"] for s in from_first] == [False, True]
    assert [s["current"] for s in from_second] == [True, False]
    assert [s["id"] for s in from_first] == [s["id"] for s in from_second]
    newest, oldest = from_first
    assert newest["createdAt"] == (clock.now - timedelta(minutes=1)).isoformat()
    assert oldest["createdAt"] == (clock.now - timedelta(minutes=2)).isoformat()
    assert newest["userAgent"].startswith("python-httpx/")


async def test_revoking_another_own_session_ends_it_at_once(
    client: httpx.AsyncClient, owner: Account, clock: Clock
) -> None:
    keeper, lost = await sign_ins(client, clock, 2)
    lost_session = (await sessions_of(client, keeper["accessToken"]))[0]
    assert lost_session["current"] is False

    body = await graphql(client, REVOKE, {"id": lost_session["id"]}, token=keeper["accessToken"])

    assert body == {"data": {"revokeSession": {"ok": True, "userErrors": []}}}
    await assert_refused_with_401(client, lost["accessToken"])
    assert [s["current"] for s in await sessions_of(client, keeper["accessToken"])] == [True]


async def test_revoking_someone_elses_session_answers_not_found(
    client: httpx.AsyncClient, owner: Account, db: AsyncSession
) -> None:
    await create_password_account(db, kind=AccountKind.ENTERPRISE, email="other@example.com")
    mine = await login_with_password(client, EMAIL)
    theirs = await login_with_password(client, "other@example.com")
    [their_session] = await sessions_of(client, theirs["accessToken"])

    answers = [
        await graphql(client, REVOKE, {"id": session_id}, token=mine["accessToken"])
        for session_id in (their_session["id"], mine["account"]["id"])
    ]

    not_found = {
        "data": {
            "revokeSession": {
                "ok": False,
                "userErrors": [error("NOT_FOUND", "No such session.", "id")],
            }
        }
    }
    assert answers == [not_found] * 2
    assert await viewer(client, theirs["accessToken"]) is not None


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def forged(kind: str, token: str, refresh_token: str, clock: Clock) -> str:
    """A bearer token for the same live session, wrong in one way."""
    claims = _claims(token)
    if kind == "another key":
        other = TokenIssuer([MasterKey("t1", b"another-signing-key-of-32-bytes!")])
        return other.access_token(uuid.UUID(hex=claims["sid"]), clock.now)[0]
    if kind == "alg none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    if kind == "claims changed":
        header, _, signature = token.split(".")
        return f"{header}.{_b64({**claims, 'exp': claims['exp'] + 3600})}.{signature}"
    if kind == "refresh token":
        return refresh_token
    if kind == "garbage":
        return "not-a-token"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["another key", "alg none", "claims changed", "refresh token", "garbage"]
)
async def test_a_token_that_is_not_one_of_ours_answers_401(
    client: httpx.AsyncClient, owner: Account, clock: Clock, kind: str
) -> None:
    signed_in = await login_with_password(client, EMAIL)

    await assert_refused_with_401(
        client, forged(kind, signed_in["accessToken"], signed_in["refreshToken"], clock)
    )
    assert await viewer(client, signed_in["accessToken"]) is not None


async def test_an_expired_access_token_answers_401_and_the_refresh_token_still_works(
    client: httpx.AsyncClient, owner: Account, clock: Clock
) -> None:
    signed_in = await login_with_password(client, EMAIL)
    clock.advance(minutes=14, seconds=59)
    assert await viewer(client, signed_in["accessToken"]) is not None
    clock.advance(minutes=1, seconds=1)

    await assert_refused_with_401(client, signed_in["accessToken"])
    assert (await refresh(client, signed_in["refreshToken"]))["userErrors"] == []


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Bearer", "Bearer    "])
async def test_an_authorization_header_without_a_bearer_token_answers_401(
    client: httpx.AsyncClient, header: str
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ viewer { elevatedUntil } }"},
        headers={"Authorization": header},
    )

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED_BODY


async def test_disabling_the_account_ends_its_sessions_at_once(
    client: httpx.AsyncClient, owner: Account, db: AsyncSession
) -> None:
    signed_in = await login_with_password(client, EMAIL)
    assert await viewer(client, signed_in["accessToken"]) is not None

    owner.status = AccountStatus.DISABLED
    await db.commit()

    await assert_refused_with_401(client, signed_in["accessToken"])
    assert await refresh(client, signed_in["refreshToken"]) == refused(INVALID_REFRESH)


async def test_login_history_lists_successes_and_failures_newest_first_with_masked_addresses(
    api: Api, outbox: Outbox
) -> None:
    await create_password_account(
        api.db, kind=AccountKind.ENTERPRISE, email=EMAIL, phone="13812345678"
    )
    start = api.clock.now
    await login_with_password(api.client, EMAIL, "wrong-Password-1")
    api.clock.advance(minutes=1)
    await login_with_password(api.client, EMAIL, PASSWORD)
    api.clock.advance(minutes=1)
    code = await sent_code(api.client, outbox, "13812345678")
    await login_with_sms(api.client, f"{(int(code) + 1) % 10**6:06d}")
    api.clock.advance(minutes=1)
    signed_in = await login_with_sms(api.client, code)
    await login_with_password(api.client, "nobody@example.com", PASSWORD)  # no account: no entry

    body = await graphql(api.client, LOGIN_HISTORY, token=signed_in["accessToken"])

    edges = body["data"]["viewer"]["account"]["loginHistory"]["edges"]
    user_agent = edges[0]["node"]["userAgent"]
    assert user_agent.startswith("python-httpx/")
    assert [edge["node"] for edge in edges] == [
        {
            "at": (start + timedelta(minutes=minutes)).isoformat(),
            "method": method,
            "success": success,
            "ipAddress": "127.0.0.*",
            "userAgent": user_agent,
        }
        for minutes, method, success in (
            (3, "SMS_CODE", True),
            (2, "SMS_CODE", False),
            (1, "PASSWORD", True),
            (0, "PASSWORD", False),
        )
    ]


async def test_a_session_idle_for_seven_days_is_over(
    client: httpx.AsyncClient, owner: Account, clock: Clock
) -> None:
    signed_in = await login_with_password(client, EMAIL)
    clock.advance(days=6, hours=23)
    still = await refresh(client, signed_in["refreshToken"])
    clock.advance(days=7)

    idle = await graphql(client, REFRESH, {"token": still["refreshToken"]})

    assert still["userErrors"] == []
    assert idle["data"]["refreshSession"]["userErrors"] == [INVALID_REFRESH]


async def test_refreshing_never_takes_a_session_past_thirty_days_from_its_sign_in(
    client: httpx.AsyncClient, owner: Account, clock: Clock
) -> None:
    token = (await login_with_password(client, EMAIL))["refreshToken"]
    for _ in range(4):  # used every six days: never idle
        clock.advance(days=6)
        payload = await refresh(client, token)
        assert payload["userErrors"] == [], payload
        token = payload["refreshToken"]
        access = payload["accessToken"]
    clock.advance(days=6)  # 30 days after signing in

    late = await graphql(client, REFRESH, {"token": token})

    assert late["data"]["refreshSession"]["userErrors"] == [INVALID_REFRESH]
    await assert_refused_with_401(client, access)


async def test_revoke_other_sessions_ends_every_session_but_the_current_one(
    client: httpx.AsyncClient, owner: Account
) -> None:
    first = await login_with_password(client, EMAIL)
    second = await login_with_password(client, EMAIL)
    mine = await login_with_password(client, EMAIL)

    body = await graphql(client, REVOKE_OTHERS, token=mine["accessToken"])

    assert body == {"data": {"revokeOtherSessions": {"ok": True, "userErrors": []}}}
    for other in (first, second):
        await assert_refused_with_401(client, other["accessToken"])
        refused_refresh = await graphql(client, REFRESH, {"token": other["refreshToken"]})
        assert refused_refresh["data"]["refreshSession"]["userErrors"] == [INVALID_REFRESH]
    assert [s["current"] for s in await sessions_of(client, mine["accessToken"])] == [True]
