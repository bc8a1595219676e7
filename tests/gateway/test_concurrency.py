"""Concurrent fields and concurrent requests, on SQLite and PostgreSQL alike.

The app runs on the real engine (`live`): each request on a connection of its own,
committing for real. Nothing here may answer a 5xx or INTERNAL_SERVER_ERROR.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import passwords
from auth.services import AuthServices
from auth.sessions import open_session
from gateway.app import create_app
from gateway.demo import DEMO_CARD_NUMBER, DEMO_INDIVIDUAL_PHONE, seed_demo
from gateway.settings import Settings
from models import AccessLogEntry, Account, AccountKind, BankCard, queries
from models.database import create_engine, create_session_factory
from tests.conftest import Clock, Live, wipe
from tests.helpers import e164
from tests.resolvers.bank_cards.test_bind_bank_card import with_check_digit
from tests.support.apps import client_of
from tests.support.factories import create_account
from tests.support.viewers import sign_in

PASSWORD = "correct-Horse-7"
CARD = "6222020200112345679"


def no_failure(response: httpx.Response) -> dict[str, Any]:
    """The body of a 200 answer that holds no unexpected error."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    assert "INTERNAL_SERVER_ERROR" not in codes, body
    return body


async def post(
    live: Live, query: str, token: str | None = None, **variables: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await live.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


@pytest.mark.parametrize(
    "query",
    [
        "{ privacyPolicy { version } privacyPolicies { version } }",
        "{ " + " ".join(f"p{i}: privacyPolicy {{ version }}" for i in range(30)) + " }",
    ],
    ids=["siblings", "thirty-aliases"],
)
async def test_sibling_fields_share_the_request_session_safely(query: str, live: Live) -> None:
    body = no_failure(await post(live, query))

    assert "errors" not in body
    assert {policy["version"] for policy in body["data"].values() if isinstance(policy, dict)} <= {
        "1.0"
    }


async def password_account(live: Live, index: int) -> Account:
    async with live.session() as db:
        account = await create_account(
            db,
            kind=AccountKind.INDIVIDUAL,
            password_hash=await passwords.hash_password(PASSWORD),
        )
        account.phone = e164(f"139000{index:05d}")
        await db.commit()
    return account


async def stepped_up(live: Live, clock: Clock, account: Account) -> str:
    async with live.session() as db:
        return await sign_in(db, live.services, clock(), account=account, elevated=True)


LOGIN = """
mutation($login: String!, $password: String!) {
  loginWithPassword(input: { login: $login, password: $password }) {
    refreshToken userErrors { code } } }
"""
REFRESH = """
mutation($refresh: String!) { refreshSession(input: { refreshToken: $refresh }) {
  accessToken userErrors { code } } }
"""
REVEAL = "{ viewer { account { phone(reveal: true) } } }"


async def test_forty_concurrent_sign_ins_refreshes_and_reveals_all_answer(
    live: Live, clock: Clock
) -> None:
    """SQLite's one writer makes writers wait their turn; none fails for it."""
    accounts = [await password_account(live, n) for n in range(20)]
    refresh_tokens = []
    for account in accounts[:10]:
        body = no_failure(await post(live, LOGIN, login=account.phone, password=PASSWORD))
        refresh_tokens.append(body["data"]["loginWithPassword"]["refreshToken"])
    reveal_tokens = [await stepped_up(live, clock, account) for account in accounts[10:]]

    responses = await asyncio.gather(
        *(post(live, LOGIN, login=account.phone, password=PASSWORD) for account in accounts[:10]),
        *(post(live, LOGIN, login=account.phone, password=PASSWORD) for account in accounts[10:]),
        *(post(live, REFRESH, refresh=token) for token in refresh_tokens),
        *(post(live, REVEAL, token) for token in reveal_tokens),
    )

    bodies = [no_failure(response) for response in responses]
    assert all("errors" not in body for body in bodies), bodies
    assert [b["data"]["loginWithPassword"]["userErrors"] for b in bodies[:20]] == [[]] * 20
    assert [b["data"]["refreshSession"]["userErrors"] for b in bodies[20:30]] == [[]] * 10
    revealed = [b["data"]["viewer"]["account"]["phone"] for b in bodies[30:]]
    assert revealed == [account.phone for account in accounts[10:]]
    async with live.session() as db:
        entries = await db.scalar(select(func.count()).select_from(AccessLogEntry))
    assert entries == len(revealed)


BIND = """
mutation($card: String!) { bindBankCard(input: {
  bankName: "ICBC", branch: "Haidian", location: "Beijing", cardNumber: $card,
  holderName: "张三", separateConsent: true }) { bankCard { last4 } userErrors { code } } }
"""


async def test_twenty_concurrent_binds_of_one_card_bind_it_once(live: Live, clock: Clock) -> None:
    async with live.session() as db:
        account = await create_account(db, kind=AccountKind.INDIVIDUAL)
        token = await sign_in(db, live.services, clock(), account=account)

    responses = await asyncio.gather(*(post(live, BIND, token, card=CARD) for _ in range(20)))

    payloads = [no_failure(r)["data"]["bindBankCard"] for r in responses]
    assert sorted(str(p) for p in payloads) == sorted(
        [str({"bankCard": {"last4": CARD[-4:]}, "userErrors": []})]
        + [str({"bankCard": None, "userErrors": [{"code": "ALREADY_EXISTS"}]})] * 19
    )
    async with live.session() as db:
        cards = await db.scalar(
            select(func.count()).select_from(BankCard).where(BankCard.account_id == account.id)
        )
    assert cards == 1


async def test_concurrent_binds_of_different_cards_stop_at_the_limit(
    live: Live, clock: Clock
) -> None:
    async with live.session() as db:
        account = await create_account(db, kind=AccountKind.INDIVIDUAL)
        token = await sign_in(db, live.services, clock(), account=account)
    numbers = [with_check_digit(f"62220202001123{n:04d}") for n in range(14)]

    responses = await asyncio.gather(*(post(live, BIND, token, card=number) for number in numbers))

    codes = [
        [e["code"] for e in no_failure(r)["data"]["bindBankCard"]["userErrors"]] for r in responses
    ]
    assert sorted(codes) == [[]] * 10 + [["LIMIT_REACHED"]] * 4
    async with live.session() as db:
        cards = await db.scalar(
            select(func.count()).select_from(BankCard).where(BankCard.account_id == account.id)
        )
    assert cards == 10


async def test_concurrent_wrong_passwords_for_one_login_get_five_checks(live: Live) -> None:
    account = await password_account(live, 1)
    responses = await asyncio.gather(
        *(post(live, LOGIN, login=account.phone, password="not-the-password-9") for _ in range(40))
    )

    codes = [no_failure(r)["data"]["loginWithPassword"]["userErrors"][0]["code"] for r in responses]
    assert sorted(codes) == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"] * 35


class RecordingHasher(PasswordHasher):
    """The tests' fast Argon2id, noting the thread each verification ran on."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.threads: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.threads.append(threading.current_thread().name)
        return super().verify(hash, password)


async def test_password_checks_run_in_the_bounded_pool_not_on_the_event_loop(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await password_account(live, 2)
    hasher = RecordingHasher()
    monkeypatch.setattr(passwords, "_hasher", hasher)

    body = no_failure(await post(live, LOGIN, login=account.phone, password=PASSWORD))

    assert body["data"]["loginWithPassword"]["userErrors"] == []
    assert hasher.threads
    assert all(name.startswith("password-hashing") for name in hasher.threads)
    assert threading.main_thread().name not in hasher.threads
    assert passwords._pool._max_workers == passwords.HASHING_WORKERS >= 1


async def test_one_refresh_token_presented_at_once_rotates_once_and_ends_the_session(
    live: Live,
) -> None:
    """Two holders of one refresh token: one rotation at most, then the copy shows, and
    the whole session ends for both."""
    account = await password_account(live, 3)
    signed_in = no_failure(await post(live, LOGIN, login=account.phone, password=PASSWORD))
    refresh_token = signed_in["data"]["loginWithPassword"]["refreshToken"]

    responses = await asyncio.gather(
        *(post(live, REFRESH, refresh=refresh_token) for _ in range(20))
    )

    payloads = [no_failure(r)["data"]["refreshSession"] for r in responses]
    issued = [p["accessToken"] for p in payloads if p["accessToken"]]
    assert len(issued) <= 1
    assert [p["userErrors"] for p in payloads if not p["accessToken"]] == [
        [{"code": "INVALID_CREDENTIALS"}]
    ] * (20 - len(issued))
    for token in issued:
        assert (await post(live, REVEAL, token)).status_code == 401


# A failing non-null root field nulls the whole answer, and graphql cancels its siblings;
# their dataloader batches run on in tasks of their own after the request has ended.
CANCELLED_SIBLINGS = """{
  w: wechatAuthorizeUrl(redirectUri: "https://elsewhere.example/") { url }
  v: viewer { account { bankCards { last4 } consents { purpose } } }
}"""


async def test_reads_left_running_after_a_request_hold_no_connection(
    settings: Settings, engine: AsyncEngine, services: AuthServices, clock: Clock
) -> None:
    small = create_engine(settings.database_url, pool_size=2, max_overflow=0, pool_timeout=3)
    async with create_session_factory(engine)() as session:
        await seed_demo(session, clock())
        await session.commit()
        account = await queries.account_by_phone(session, DEMO_INDIVIDUAL_PHONE)
        assert account is not None
        issued = await open_session(session, services.tokens, now=clock(), account_id=account.id)
        await session.commit()
    app = create_app(settings, engine=small, services=services, clock=clock)
    left = []
    try:
        async with client_of(app) as client:
            for _ in range(6):
                response = await client.post(
                    "/graphql",
                    json={"query": CANCELLED_SIBLINGS},
                    headers={"Authorization": f"Bearer {issued.access_token}"},
                )
                assert response.status_code == 200
                assert response.json()["data"] is None
                await asyncio.sleep(0.05)  # whatever the request left running, done
                left.append(small.sync_engine.pool.checkedout())
            # The pool still serves every request.
            after = await client.post(
                "/graphql",
                json={"query": "{ viewer { account { bankCards { last4 } } } }"},
                headers={"Authorization": f"Bearer {issued.access_token}"},
            )
    finally:
        await small.dispose()
        await wipe(engine)
    assert left == [0] * 6
    cards = no_failure(after)["data"]["viewer"]["account"]["bankCards"]
    assert cards == [{"last4": DEMO_CARD_NUMBER[-4:]}]


async def test_a_read_cancelled_beside_a_failing_field_leaves_nothing_to_report(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    query = '{ p: privacyPolicies { version } w: wechatAuthorizeUrl(redirectUri: "x") { url } }'
    for _ in range(5):
        response = await post(live, query)
        assert response.status_code == 200
        assert response.json()["data"] is None

    failures = [r for r in caplog.records if r.name == "gateway.unit_of_work"]
    assert failures == []
