"""registerBusiness and registerEnterprise over HTTP
(docs/spec/enterprise.md#registering-a-business-or-an-enterprise)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from auth.services import AuthServices
from models import Account, AccountKind, AuthSession
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.auth.helpers import (
    AUTH_PAYLOAD,
    PASSWORD,
    POLICY_NOT_ACCEPTED,
    acme_trading,
    active_account,
    count,
    e164,
    error,
    forget_rate_limits,
    latest_code,
    login_with_password,
    refused,
    request_sms_code,
    sent_code,
    session_opened,
    sign_in_with_sms,
)
from tests.support.assertions import data_of

REGISTER_BUSINESS = f"""
mutation($input: RegisterBusinessInput!) {{ registerBusiness(input: $input) {{ {AUTH_PAYLOAD} }} }}
"""
REGISTER_ENTERPRISE = f"""
mutation($input: RegisterEnterpriseInput!) {{
  registerEnterprise(input: $input) {{ {AUTH_PAYLOAD} }}
}}
"""
ENTERPRISE_PHONE = "13912345678"
BREACHED = "This password is on a list of passwords known from data breaches; choose another."
WEAK_PASSWORDS = [
    ("Ab1-x", "The password needs at least 12 characters."),
    ("Str0ng-Pw1!", "The password needs at least 12 characters."),
    ("1qaz2wsx3edc", BREACHED),
    ("ＱＷＥＲＴＹＵＩＯＰ１２３", BREACHED),
    ("x" * 129, "The password may have at most 128 characters."),
]
INVALID_EMAIL = error("INVALID_EMAIL", "This is not an e-mail address.", "email")


async def register_business(client: httpx.AsyncClient, **overrides: str) -> dict[str, Any]:
    values = {
        "email": "shop@example.com",
        "businessName": "Acme Trading",
        "urToken": "ur-0001",
        "password": PASSWORD,
        "acceptPolicyVersion": "1.0",
        **overrides,
    }
    body = await graphql(client, REGISTER_BUSINESS, {"input": values})
    return data_of(body, "registerBusiness")


async def register_enterprise(
    client: httpx.AsyncClient, outbox: Outbox, *, send_code: bool = True, **overrides: str
) -> dict[str, Any]:
    """Register with a BIND_PHONE code sent to the phone (unless the overrides name one)."""
    phone = overrides.get("phone", ENTERPRISE_PHONE)
    if send_code and "smsCode" not in overrides:
        assert (await request_sms_code(client, phone, "BIND_PHONE"))["sent"]
        overrides["smsCode"] = latest_code(outbox, phone, "BIND_PHONE")
    values = {
        "companyName": "Acme Group",
        "email": "corp@example.com",
        "phone": phone,
        "smsCode": "000000",
        "password": PASSWORD,
        "acceptPolicyVersion": "1.0",
        **overrides,
    }
    body = await graphql(client, REGISTER_ENTERPRISE, {"input": values})
    return data_of(body, "registerEnterprise")


async def confirm(client: httpx.AsyncClient, outbox: Outbox, address: str) -> None:
    [message] = outbox.for_recipient(address)
    assert (message.channel, message.purpose) == ("email", "CONFIRM_EMAIL")
    body = await graphql(
        client,
        "mutation($t: String!) { confirmEmail(input: { token: $t }) { userErrors { code } } }",
        {"t": message.code},
    )
    assert body == {"data": {"confirmEmail": {"userErrors": []}}}


async def test_a_business_registers_and_signs_in(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, outbox: Outbox
) -> None:
    payload = await register_business(client, email="Shop@Example.COM")

    account = await db.scalar(select(Account))
    assert account is not None
    assert payload == session_opened(
        payload, clock, acme_trading(payload, "Acme Trading", "ur-0001"), new=True
    )
    assert payload["accessToken"]
    assert payload["refreshToken"]
    assert account.kind is AccountKind.BUSINESS
    # The address waits for its token: the domain normalised, the local part kept.
    assert (account.email, account.unproven_email) == (None, "Shop@example.com")
    assert account.accepted_policy_version == "1.0"
    assert account.password_hash is not None
    assert account.password_hash.startswith("$argon2id$")
    before = await login_with_password(client, "shop@example.com")
    await confirm(client, outbox, "Shop@example.com")
    again = await login_with_password(client, "shop@example.com")
    assert before["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    assert again["account"]["id"] == payload["account"]["id"]


@pytest.mark.parametrize(("password", "message"), WEAK_PASSWORDS)
async def test_a_business_needs_a_strong_password(
    client: httpx.AsyncClient, db: AsyncSession, password: str, message: str
) -> None:
    payload = await register_business(client, password=password)

    assert payload == refused(error("WEAK_PASSWORD", message, "password"))
    assert await count(db, Account) == 0


async def test_a_business_needs_an_email_address(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    payload = await register_business(client, email="not-an-address", password="short")

    assert payload == refused(
        INVALID_EMAIL,
        error("WEAK_PASSWORD", "The password needs at least 12 characters.", "password"),
    )
    assert await count(db, Account) == 0


async def test_an_unconfirmed_business_address_blocks_nobody(
    client: httpx.AsyncClient, db: AsyncSession, outbox: Outbox, services: AuthServices
) -> None:
    """Whoever typed the address first does not hold it: whoever proves it does."""
    squatter = await register_business(client)
    await forget_rate_limits(services)  # a minute later: one mail a minute an address
    owner = await register_business(client, email="SHOP@example.com", businessName="Owner")

    assert (squatter["userErrors"], owner["userErrors"]) == ([], [])
    assert await count(db, Account) == 2


async def test_a_confirmed_business_address_registers_once(
    client: httpx.AsyncClient, db: AsyncSession, outbox: Outbox, services: AuthServices
) -> None:
    first = await register_business(client)
    await confirm(client, outbox, "shop@example.com")
    await forget_rate_limits(services)

    second = await register_business(client, email="SHOP@example.com", businessName="Other")

    assert first["userErrors"] == []
    assert second == refused(
        error("ALREADY_EXISTS", "This email is bound to another account.", "email")
    )
    assert await count(db, Account) == 1
    assert await count(db, AuthSession) == 1


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"acceptPolicyVersion": "0.9"}, POLICY_NOT_ACCEPTED),
        (
            {"businessName": "  "},
            error("INVALID_INPUT", "Give 1 to 200 characters.", "businessName"),
        ),
        ({"urToken": "x" * 65}, error("INVALID_INPUT", "Give 1 to 64 characters.", "urToken")),
    ],
)
async def test_a_business_registration_checks_its_other_fields(
    client: httpx.AsyncClient,
    db: AsyncSession,
    overrides: dict[str, str],
    expected: dict[str, Any],
) -> None:
    payload = await register_business(client, **overrides)

    assert payload == refused(expected)
    assert await count(db, Account) == 0


async def test_an_enterprise_registers_with_a_bind_phone_code(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession
) -> None:
    payload = await register_enterprise(client, outbox)

    account = await db.scalar(select(Account))
    assert account is not None
    assert payload["userErrors"] == []
    assert payload["isNewAccount"] is True
    assert payload["account"] == active_account(
        payload,
        "EnterpriseAccount",
        "ENTERPRISE",
        displayName="Acme Group",
        companyName="Acme Group",
    )
    assert (account.kind, account.unproven_email, account.phone) == (
        AccountKind.ENTERPRISE,
        "corp@example.com",
        e164(ENTERPRISE_PHONE),
    )
    by_phone = await login_with_password(client, "+86 139 1234 5678")
    assert by_phone["account"]["id"] == payload["account"]["id"]


async def test_an_enterprise_needs_the_right_bind_phone_code(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession
) -> None:
    right = await sent_code(client, outbox, ENTERPRISE_PHONE, "BIND_PHONE")
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    payload = await register_enterprise(client, outbox, smsCode=wrong)

    assert payload == refused(error("INVALID_CODE", "The code is not right.", "smsCode"))
    assert await count(db, Account) == 0


async def test_a_login_code_does_not_prove_an_enterprise_phone(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession
) -> None:
    await request_sms_code(client, ENTERPRISE_PHONE, "LOGIN")

    payload = await register_enterprise(
        client, outbox, smsCode=latest_code(outbox, ENTERPRISE_PHONE, "LOGIN")
    )

    assert payload == refused(error("INVALID_CODE", "The code is not right.", "smsCode"))
    assert await count(db, Account) == 0


async def test_an_enterprise_email_and_phone_register_once(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession
) -> None:
    await register_business(client, email="taken@example.com")
    await confirm(client, outbox, "taken@example.com")
    await sign_in_with_sms(client, outbox, ENTERPRISE_PHONE)

    payload = await register_enterprise(client, outbox, email="taken@example.com")

    assert payload == refused(
        error("ALREADY_EXISTS", "This email is bound to another account.", "email"),
        error("ALREADY_EXISTS", "This phone is bound to another account.", "phone"),
    )
    assert await count(db, Account) == 2


@pytest.mark.parametrize(("password", "message"), WEAK_PASSWORDS)
async def test_an_enterprise_needs_a_strong_password(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession, password: str, message: str
) -> None:
    payload = await register_enterprise(client, outbox, password=password)

    assert payload == refused(error("WEAK_PASSWORD", message, "password"))
    assert await count(db, Account) == 0


async def test_an_enterprise_registration_checks_email_phone_name_and_policy(
    client: httpx.AsyncClient, outbox: Outbox, db: AsyncSession
) -> None:
    payload = await register_enterprise(
        client,
        outbox,
        send_code=False,
        email="nope",
        phone="12345",
        companyName="",
        acceptPolicyVersion="",
    )

    assert payload == refused(
        INVALID_EMAIL,
        error("INVALID_PHONE", "This is not a valid phone number.", "phone"),
        error("INVALID_INPUT", "Give 1 to 200 characters.", "companyName"),
        POLICY_NOT_ACCEPTED,
    )
    assert await count(db, Account) == 0


async def test_both_registrations_share_one_limit_per_client_address(
    client: httpx.AsyncClient, db: AsyncSession, outbox: Outbox
) -> None:
    """Ten registrations an hour from one client address, of either kind: the eleventh
    is refused before anything else of it is checked, and says how long to wait."""
    answers = [await register_business(client, email="not-an-address") for _ in range(10)]
    eleventh = await register_enterprise(client, outbox, send_code=False, email="nope")

    assert answers == [refused(INVALID_EMAIL)] * 10
    [problem] = eleventh["userErrors"]
    wait = int(problem["message"].removeprefix("Too many registrations; try again in ")[:-3])
    assert 3590 <= wait <= 3600
    assert eleventh == refused(
        error("RATE_LIMITED", f"Too many registrations; try again in {wait} s.")
    )
    assert await count(db, Account) == 0
