"""Rotating the blind-index key without downtime, over HTTP: data written under key b1,
key b2 added, `keys rotate`, b1 removed; sign-in by phone and by e-mail, the
sub-account filters, uniqueness, SMS codes and refresh tokens work at every step."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from auth.senders import Outbox
from gateway.services import configure_encryption
from models import Account, AccountKind, SubAccountRole
from models.key_rotation import Rotated, rotate_keys
from tests.conftest import TEST_SECRETS, Clock, Live, make_settings
from tests.helpers import e164, graphql
from tests.resolvers.auth.helpers import (
    AUTH_PAYLOAD,
    PASSWORD,
    create_password_account,
    latest_code,
    login_with_password,
    login_with_sms,
    request_sms_code,
)

B1 = TEST_SECRETS["blind_index_key"]
B1_KEY = b"b" * 32
B2_KEY = b"2" * 32
B2 = "b2:" + base64.urlsafe_b64encode(B2_KEY).decode()

PERSON_PHONE = "13812345678"
BUSINESS_EMAIL = "owner@rotation.example"
ENTERPRISE_EMAIL = "ent@rotation.example"
PROVEN_PHONE, PROVEN_EMAIL = "13900000001", "proven@rotation.example"
TYPED_PHONE, TYPED_EMAIL = "13900000002", "typed@rotation.example"
LATER_EMAIL = "later@rotation.example"

SUB_ACCOUNTS = """
query($filter: SubAccountFilter) {
  viewer { account { ... on EnterpriseAccount {
    subAccounts(first: 10, filter: $filter) { edges { node { displayName } } }
  } } }
}
"""
REGISTER_BUSINESS = f"""
mutation($input: RegisterBusinessInput!) {{ registerBusiness(input: $input) {{ {AUTH_PAYLOAD} }} }}
"""
REFRESH = f"""
mutation($token: String!) {{ refreshSession(input: {{refreshToken: $token}}) {{ {AUTH_PAYLOAD} }} }}
"""
TAKEN = {
    "field": ["email"],
    "code": "ALREADY_EXISTS",
    "message": "This email is bound to another account.",
}


def blind_index(master: bytes, column: str, value: str) -> bytes:
    """The index a versioned master key gives, computed here from the definition."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"xiamo-gateway/blind-index"
    ).derive(master)
    return hmac.new(key, f"{column}\x00{value}".encode(), hashlib.sha256).digest()


@pytest.fixture
def index_keys(db_url: str) -> Iterator[Callable[[str], None]]:
    """Set GATEWAY_BLIND_INDEX_KEY as a rolled-out setting would; the test keys after."""

    def use(setting: str) -> None:
        configure_encryption(make_settings(db_url, blind_index_key=setting))

    yield use
    configure_encryption(make_settings(db_url))


async def write_data(live: Live, clock: Clock) -> None:
    async with live.session() as db:
        await create_password_account(
            db, kind=AccountKind.INDIVIDUAL, email=None, phone=PERSON_PHONE
        )
        await create_password_account(db, email=BUSINESS_EMAIL)
        enterprise = await create_password_account(
            db, kind=AccountKind.ENTERPRISE, email=ENTERPRISE_EMAIL
        )
        proven, typed = (
            Account(
                kind=AccountKind.SUB_ACCOUNT,
                display_name=name,
                enterprise_id=enterprise.id,
                created_at=clock.now,
                role=SubAccountRole.MEMBER,
                permissions=[],
            )
            for name in ("Proven", "Typed")
        )
        proven.phone, proven.email = e164(PROVEN_PHONE), PROVEN_EMAIL
        typed.unproven_phone, typed.unproven_email = e164(TYPED_PHONE), TYPED_EMAIL
        db.add_all([proven, typed])
        await db.commit()


async def stored_phone_index(live: Live) -> bytes | None:
    async with live.session() as db:
        return await db.scalar(
            select(Account.phone_index).where(Account.kind == AccountKind.INDIVIDUAL)
        )


async def sub_account_names(live: Live, token: str, **where: str) -> list[str]:
    body = await graphql(live.client, SUB_ACCOUNTS, {"filter": where}, token=token)
    assert "errors" not in body, body
    edges = body["data"]["viewer"]["account"]["subAccounts"]["edges"]
    return [edge["node"]["displayName"] for edge in edges]


async def register(live: Live, email: str) -> dict[str, Any]:
    variables = {
        "input": {
            "email": email,
            "businessName": "Later Trading",
            "urToken": "ur-later",
            "password": PASSWORD,
            "acceptPolicyVersion": "1.0",
        }
    }
    body = await graphql(live.client, REGISTER_BUSINESS, variables)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["registerBusiness"]
    return payload


async def assert_look_ups_work(live: Live) -> None:
    person = await login_with_password(live.client, PERSON_PHONE)
    business = await login_with_password(live.client, BUSINESS_EMAIL)
    enterprise = await login_with_password(live.client, ENTERPRISE_EMAIL)
    token = enterprise["accessToken"]

    assert [person["userErrors"], business["userErrors"], enterprise["userErrors"]] == [[]] * 3
    assert person["account"]["kind"] == "INDIVIDUAL"
    assert business["account"]["kind"] == "BUSINESS"
    assert await sub_account_names(live, token, phone=PROVEN_PHONE) == ["Proven"]
    assert await sub_account_names(live, token, email=PROVEN_EMAIL) == ["Proven"]
    assert await sub_account_names(live, token, phone=TYPED_PHONE) == ["Typed"]
    assert await sub_account_names(live, token, email=TYPED_EMAIL) == ["Typed"]
    assert await sub_account_names(live, token, email="nobody@rotation.example") == []
    assert (await register(live, BUSINESS_EMAIL))["userErrors"] == [TAKEN]


async def test_a_full_rotation_keeps_every_look_up_working(
    live: Live, outbox: Outbox, clock: Clock, index_keys: Callable[[str], None]
) -> None:
    # Written under b1, the only key.
    await write_data(live, clock)
    await request_sms_code(live.client, PERSON_PHONE)
    signed_in = await login_with_password(live.client, BUSINESS_EMAIL)
    phone = e164(PERSON_PHONE)
    assert await stored_phone_index(live) == blind_index(B1_KEY, "accounts.phone", phone)

    # Step 1: b2 is known everywhere, b1 still computes.
    index_keys(f"{B2},{B1}")
    await assert_look_ups_work(live)

    # Step 2: b2 computes; rows written under b1 are still found, and still unique.
    index_keys(f"{B1},{B2}")
    await assert_look_ups_work(live)
    code_sent_under_b1 = await login_with_sms(live.client, latest_code(outbox), PERSON_PHONE)
    refreshed = await graphql(live.client, REFRESH, {"token": signed_in["refreshToken"]})
    later = await register(live, LATER_EMAIL)
    # Its address signs in once its token comes back.
    [confirmation] = outbox.for_recipient(LATER_EMAIL)
    confirmed = await graphql(
        live.client,
        "mutation($t: String!) { confirmEmail(input: { token: $t }) { userErrors { code } } }",
        {"t": confirmation.code},
    )
    assert confirmed == {"data": {"confirmEmail": {"userErrors": []}}}
    assert code_sent_under_b1["userErrors"] == []
    assert refreshed["data"]["refreshSession"]["userErrors"] == []
    assert later["userErrors"] == []
    assert await stored_phone_index(live) == blind_index(B1_KEY, "accounts.phone", phone)

    # Step 3: keys rotate recomputes every index under b2, once.
    async with live.session() as db:
        rotated = await rotate_keys(db, batch_size=2)
    async with live.session() as db:
        again = await rotate_keys(db)
    assert {table: n for table, n in rotated.items() if n != Rotated()} == {
        "accounts": Rotated(reindexed=7)
    }
    assert all(n == Rotated() for n in again.values())
    assert await stored_phone_index(live) == blind_index(B2_KEY, "accounts.phone", phone)
    await assert_look_ups_work(live)

    # Step 4: b1 is gone; everything still works, the account registered under b2 too.
    index_keys(B2)
    await assert_look_ups_work(live)
    token = refreshed["data"]["refreshSession"]["refreshToken"]
    assert (await graphql(live.client, REFRESH, {"token": token}))["data"]["refreshSession"][
        "userErrors"
    ] == []
    assert (await register(live, LATER_EMAIL))["userErrors"] == [TAKEN]
    assert (await login_with_password(live.client, LATER_EMAIL))["userErrors"] == []
