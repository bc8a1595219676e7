"""Every check of a secret is limited, and no answer tells who is registered.

Each test is an attack: a stolen access token guessing the password through step-up
or setPassword, aliases, a wrong password timed (by the work it does) against an
unknown login, a phone or address probed for its owner.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from auth import passwords
from auth.message_limits import client_network
from auth.senders import Outbox
from auth.services import AuthServices
from tests.helpers import client_at, e164, graphql
from tests.resolvers.auth.helpers import (
    EMAIL,
    PASSWORD,
    create_password_account,
    forget_rate_limits,
    latest_code,
    login_with_password,
    request_sms_code,
    sent_code,
    sign_in_with_sms,
    signed_in_owner,
)
from tests.support.factories import create_account

WRONG = "not-the-Password-9"


def aliased(field: str, count: int) -> str:
    return "mutation { " + " ".join(f"a{n}: {field}" for n in range(count)) + " }"


def codes(body: dict[str, Any]) -> list[str | None]:
    return [
        payload["userErrors"][0]["code"] if payload["userErrors"] else None
        for payload in body["data"].values()
    ]


ELEVATE_WRONG = (
    f'elevateSession(input: {{ password: "{WRONG}" }}) {{ elevatedUntil userErrors {{ code }} }}'
)
SET_PASSWORD_WRONG = (
    f'setPassword(input: {{ currentPassword: "{WRONG}", newPassword: "brand-New-Pass-1" }})'
    " { userErrors { code } }"
)


@pytest.mark.parametrize(
    "field", [ELEVATE_WRONG, SET_PASSWORD_WRONG], ids=["step-up", "setPassword"]
)
async def test_a_stolen_token_gets_five_password_guesses_in_all(
    field: str, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    token = await signed_in_owner(client, db)

    first = await graphql(client, aliased(field, 30), token=token)
    second = await graphql(client, aliased(field, 30), token=token)
    right = await graphql(
        client,
        f'mutation {{ elevateSession(input: {{ password: "{PASSWORD}" }}) {{ elevatedUntil userErrors {{ code }} }} }}',
        token=token,
    )

    assert codes(first) == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"] * 25
    assert codes(second) == ["RATE_LIMITED"] * 30
    assert right["data"]["elevateSession"]["elevatedUntil"] is None
    assert right["data"]["elevateSession"]["userErrors"] == [{"code": "RATE_LIMITED"}]


async def test_signing_in_stepping_up_and_changing_the_password_share_one_count(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    token = await signed_in_owner(client, db)

    for _ in range(2):
        assert (await login_with_password(client, EMAIL, WRONG))["userErrors"][0]["code"] == (
            "INVALID_CREDENTIALS"
        )
    steps = await graphql(client, aliased(ELEVATE_WRONG, 2), token=token)
    changes = await graphql(client, aliased(SET_PASSWORD_WRONG, 2), token=token)
    right = await login_with_password(client, EMAIL)

    assert codes(steps) == ["INVALID_CREDENTIALS"] * 2
    assert codes(changes) == ["INVALID_CREDENTIALS", "RATE_LIMITED"]
    assert right["accessToken"] is None
    assert right["userErrors"][0]["code"] == "RATE_LIMITED"


async def test_a_lock_on_one_login_says_nothing_of_the_accounts_other_logins(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Each login has its count, however it is written; locking the address must not
    tell a prober which phone shares its account."""
    await create_password_account(db, email=EMAIL, phone="13812345678")

    by_address = [
        (await login_with_password(client, login, WRONG))["userErrors"][0]["code"]
        for login in [EMAIL, EMAIL.upper(), EMAIL, EMAIL, EMAIL, EMAIL]
    ]
    by_phone = (await login_with_password(client, "+86 138 1234 5678", WRONG))["userErrors"]

    assert by_address == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"]
    assert by_phone[0]["code"] == "INVALID_CREDENTIALS"


async def test_a_stolen_token_counts_against_every_login_of_its_account(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await create_password_account(db, email=EMAIL, phone="13812345678")
    token = (await login_with_password(client, EMAIL))["accessToken"]

    guesses = await graphql(client, aliased(ELEVATE_WRONG, 5), token=token)
    by_address = await login_with_password(client, EMAIL)
    by_phone = await login_with_password(client, "13812345678")

    assert codes(guesses) == ["INVALID_CREDENTIALS"] * 5
    assert by_address["userErrors"][0]["code"] == "RATE_LIMITED"
    assert by_phone["userErrors"][0]["code"] == "RATE_LIMITED"


class CountingHasher(PasswordHasher):
    """The tests' fast Argon2id, counting the verifications it does."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


@pytest.mark.parametrize(
    "login",
    [
        EMAIL,  # known, with a password
        "13812345678",  # known, signs in by SMS only
        "nobody@example.com",  # unknown address
        "13912345678",  # unknown phone
        "not a login at all",
    ],
    ids=["known", "known-without-password", "unknown-email", "unknown-phone", "malformed"],
)
async def test_every_failed_sign_in_costs_one_argon2_verification(
    login: str, client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Known and unknown logins do the same work, so they take the same time (`make
    bench-login` measures it); the answers are the same too."""
    await create_password_account(db, email=EMAIL)
    sms_only = await create_account(db)
    sms_only.phone = e164("13812345678")
    await db.commit()
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", hasher)

    payload = await login_with_password(client, login, WRONG)

    assert payload["userErrors"] == [
        {
            "field": None,
            "code": "INVALID_CREDENTIALS",
            "message": "The login or the password is not right.",
        }
    ]
    assert hasher.verified == 1


REGISTER = """
mutation($email: String!) { registerBusiness(input: {
  email: $email, businessName: "Acme", urToken: "ur-1", password: "long-enough-Pass-1",
  acceptPolicyVersion: "1.0" }) { accessToken userErrors { code } } }
"""


async def test_business_registrations_are_limited_per_client_address(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """ALREADY_EXISTS tells whether an address is registered: not at scale."""
    await create_password_account(db, email=EMAIL)

    answers = [
        (await graphql(client, REGISTER, {"email": EMAIL}))["data"]["registerBusiness"]
        for _ in range(11)
    ]

    assert [a["userErrors"] for a in answers] == [[{"code": "ALREADY_EXISTS"}]] * 10 + [
        [{"code": "RATE_LIMITED"}]
    ]


BIND_PHONE = """
mutation($phone: String!, $code: String!) { bindPhone(input: { phone: $phone, code: $code }) {
  userErrors { code } } }
"""


async def test_bind_phone_checks_the_code_before_saying_anything_of_the_phone(
    client: httpx.AsyncClient, db: AsyncSession, outbox: Outbox, services: AuthServices
) -> None:
    await create_password_account(db, email=None, phone="13812345678")
    token = await signed_in_owner(client, db)
    stepped_up = await graphql(
        client,
        f'mutation {{ elevateSession(input: {{ password: "{PASSWORD}" }}) {{ userErrors {{ code }} }} }}',
        token=token,
    )
    assert stepped_up == {"data": {"elevateSession": {"userErrors": []}}}

    probe = await graphql(
        client, BIND_PHONE, {"phone": "13812345678", "code": "000000"}, token=token
    )
    await request_sms_code(client, "13812345678", "BIND_PHONE")
    holder = await graphql(
        client,
        BIND_PHONE,
        {"phone": "13812345678", "code": latest_code(outbox, "13812345678", "BIND_PHONE")},
        token=token,
    )

    assert probe["data"]["bindPhone"]["userErrors"] == [{"code": "INVALID_CODE"}]
    # Only whoever holds the phone (and its code) learns that it is taken.
    assert holder["data"]["bindPhone"]["userErrors"] == [{"code": "ALREADY_EXISTS"}]


SESSIONS = "{ viewer { account { sessions { current } } } }"
REFRESH = """
mutation($t: String!) { refreshSession(input: { refreshToken: $t }) { accessToken userErrors { code } } }
"""


async def test_a_new_password_ends_every_other_session_at_once(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await create_password_account(db, email=EMAIL)
    thief = await login_with_password(client, EMAIL)
    mine = await login_with_password(client, EMAIL)

    changed = await graphql(
        client,
        f'mutation {{ setPassword(input: {{ currentPassword: "{PASSWORD}", newPassword: "brand-New-Pass-1" }}) {{ userErrors {{ code }} }} }}',
        token=mine["accessToken"],
    )
    stolen_access = await client.post(
        "/graphql",
        json={"query": SESSIONS},
        headers={"Authorization": f"Bearer {thief['accessToken']}"},
    )
    stolen_refresh = await graphql(client, REFRESH, {"t": thief["refreshToken"]})
    still_mine = await graphql(client, SESSIONS, token=mine["accessToken"])

    assert changed == {"data": {"setPassword": {"userErrors": []}}}
    assert stolen_access.status_code == 401
    assert stolen_refresh["data"]["refreshSession"] == {
        "accessToken": None,
        "userErrors": [{"code": "INVALID_CREDENTIALS"}],
    }
    assert still_mine == {"data": {"viewer": {"account": {"sessions": [{"current": True}]}}}}


async def test_an_sms_only_account_checks_no_password_it_does_not_have(
    client: httpx.AsyncClient, outbox: Outbox, services: AuthServices
) -> None:
    token = (await sign_in_with_sms(client, outbox, "13812345678"))["accessToken"]
    await forget_rate_limits(services)

    body = await graphql(client, aliased(ELEVATE_WRONG, 6), token=token)

    assert codes(body) == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"]


async def test_one_client_spraying_a_password_over_many_logins_is_stopped(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Each login's own limit is far away; the client's failures across logins are not."""
    answers = [
        (await login_with_password(client, f"user{n}@example.com", WRONG))["userErrors"][0]["code"]
        for n in range(21)
    ]

    assert answers == ["INVALID_CREDENTIALS"] * 20 + ["RATE_LIMITED"]


async def test_a_right_password_does_not_count_against_its_client(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await create_password_account(db, email=EMAIL)
    for n in range(19):
        await login_with_password(client, f"user{n}@example.com", WRONG)

    right = await login_with_password(client, EMAIL)
    twentieth = await login_with_password(client, "user19@example.com", WRONG)

    assert right["userErrors"] == []
    assert twentieth["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_a_client_stopped_for_spraying_spends_no_logins_tries(
    app: Starlette, db: AsyncSession
) -> None:
    """Once stopped, a sprayer goes on asking about a login in vain: the owner, elsewhere,
    still has every try."""
    await create_password_account(db, email=EMAIL)
    async with client_at(app, "203.0.113.9") as sprayer, client_at(app, "198.51.100.7") as owner:
        for n in range(20):
            await login_with_password(sprayer, f"user{n}@example.com", WRONG)
        stopped = [
            (await login_with_password(sprayer, EMAIL, WRONG))["userErrors"][0]["code"]
            for _ in range(6)
        ]
        right = await login_with_password(owner, EMAIL)

    assert stopped == ["RATE_LIMITED"] * 6
    assert right["userErrors"] == []


async def test_an_ipv6_client_is_counted_by_its_64(app: Starlette, db: AsyncSession) -> None:
    """One host holds a whole /64: a new address in it is not a new client."""
    answers = []
    for n in range(21):
        async with client_at(app, f"2001:db8:0:7::{n + 1:x}") as hopping:
            payload = await login_with_password(hopping, f"user{n}@example.com", WRONG)
            answers.append(payload["userErrors"][0]["code"])
    async with client_at(app, "2001:db8:0:8::1") as neighbour:
        next_network = await login_with_password(neighbour, "user0@example.com", WRONG)

    assert answers == ["INVALID_CREDENTIALS"] * 20 + ["RATE_LIMITED"]
    assert next_network["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


@pytest.mark.parametrize(
    ("address", "client"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("2001:db8:0:7:a:b:c:d", "2001:db8:0:7::/64"),
        ("2001:DB8:0:7::1", "2001:db8:0:7::/64"),
        ("unix-socket-peer", "unix-socket-peer"),
    ],
)
def test_the_client_a_limit_counts(address: str, client: str) -> None:
    assert client_network(address) == client


LOGIN_WITH_CODE = """
mutation($login: String!, $password: String!, $code: String) {
  loginWithPassword(input: { login: $login, password: $password, code: $code }) {
    accessToken userErrors { field code } } }
"""


async def lock(client: httpx.AsyncClient, login: str) -> None:
    for _ in range(5):
        await login_with_password(client, login, WRONG)
    locked = await login_with_password(client, login)
    assert locked["userErrors"][0]["code"] == "RATE_LIMITED", locked


async def test_a_locked_owner_signs_in_with_a_code_sent_to_the_phone(
    client: httpx.AsyncClient, db: AsyncSession, outbox: Outbox
) -> None:
    """A stranger's wrong guesses never lock the owner out: a second factor opens it."""
    await create_password_account(db, email=None, phone="13812345678")
    await lock(client, "13812345678")
    code = await sent_code(client, outbox, "13812345678")

    wrong_code = await graphql(
        client,
        LOGIN_WITH_CODE,
        {
            "login": "13812345678",
            "password": PASSWORD,
            "code": "000000" if code != "000000" else "111111",
        },
    )
    body = await graphql(
        client, LOGIN_WITH_CODE, {"login": "13812345678", "password": PASSWORD, "code": code}
    )

    assert wrong_code["data"]["loginWithPassword"] == {
        "accessToken": None,
        "userErrors": [{"field": ["code"], "code": "INVALID_CODE"}],
    }
    assert body["data"]["loginWithPassword"]["userErrors"] == []
    assert body["data"]["loginWithPassword"]["accessToken"]


async def test_a_locked_owner_signs_in_with_a_code_sent_to_the_address(
    client: httpx.AsyncClient, db: AsyncSession, outbox: Outbox
) -> None:
    await create_password_account(db, email=EMAIL)
    await lock(client, EMAIL)

    sent = await graphql(
        client,
        'mutation { requestEmailCode(input: { email: "Owner@Example.com" }) { sent userErrors { code } } }',
    )
    [message] = outbox.for_recipient("Owner@example.com")
    body = await graphql(
        client, LOGIN_WITH_CODE, {"login": EMAIL, "password": PASSWORD, "code": message.code}
    )
    used_again = await graphql(
        client, LOGIN_WITH_CODE, {"login": EMAIL, "password": PASSWORD, "code": message.code}
    )

    assert sent == {"data": {"requestEmailCode": {"sent": True, "userErrors": []}}}
    assert (message.channel, message.purpose) == ("email", "LOGIN")
    assert body["data"]["loginWithPassword"]["userErrors"] == []
    assert used_again["data"]["loginWithPassword"]["userErrors"] == [
        {"field": ["code"], "code": "INVALID_CODE"}
    ]


async def test_a_code_does_not_open_a_wrong_password(
    client: httpx.AsyncClient, db: AsyncSession, outbox: Outbox
) -> None:
    await create_password_account(db, email=None, phone="13812345678")
    code = await sent_code(client, outbox, "13812345678")

    body = await graphql(
        client, LOGIN_WITH_CODE, {"login": "13812345678", "password": WRONG, "code": code}
    )

    assert body["data"]["loginWithPassword"] == {
        "accessToken": None,
        "userErrors": [{"field": None, "code": "INVALID_CREDENTIALS"}],
    }
