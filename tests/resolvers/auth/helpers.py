"""Steps the sign-in tests share: ask for a code, read it from the outbox, sign in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import hash_password
from auth.rate_limits import RateLimiter
from auth.senders import Outbox
from auth.services import AuthServices
from models import Account, AccountKind, Base
from tests.helpers import e164, graphql
from tests.support.assertions import data_of
from tests.support.clock import Clock
from tests.support.factories import create_account

POLICY_VERSION = "1.0"
PHONE = "13812345678"
# The address of the account `create_password_account` makes unless told.
EMAIL = "owner@example.com"
PASSWORD = "correct-Horse-7"
UNAUTHENTICATED_BODY = {
    "errors": [
        {
            "message": "The bearer token is malformed, expired or revoked.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}

USER_ERRORS = "userErrors { field code message }"
AUTH_PAYLOAD = f"""
  accessToken refreshToken accessTokenExpiresAt isNewAccount
  account {{
    __typename id kind status displayName
    ... on BusinessAccount {{ businessName urToken }}
    ... on EnterpriseAccount {{ companyName }}
  }}
  {USER_ERRORS}
"""
REQUEST_SMS_CODE = f"""
mutation($input: RequestSmsCodeInput!) {{
  requestSmsCode(input: $input) {{ sent retryAfterSeconds expiresAt {USER_ERRORS} }}
}}
"""
LOGIN_WITH_SMS = f"""
mutation($input: LoginWithSmsInput!) {{ loginWithSms(input: $input) {{ {AUTH_PAYLOAD} }} }}
"""
LOGIN_WITH_PASSWORD = f"""
mutation($input: LoginWithPasswordInput!) {{
  loginWithPassword(input: $input) {{ {AUTH_PAYLOAD} }}
}}
"""
VIEWER = """
query {
  viewer {
    elevatedUntil
    account { __typename id kind status phone email }
    staff { name role }
  }
}
"""


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    """An AuthPayload that signed nobody in."""
    return {
        "accessToken": None,
        "refreshToken": None,
        "accessTokenExpiresAt": None,
        "isNewAccount": False,
        "account": None,
        "userErrors": list(user_errors),
    }


def error(code: str, message: str, *field: str) -> dict[str, Any]:
    return {"field": list(field) or None, "code": code, "message": message}


INVALID_CODE = error("INVALID_CODE", "The code is not right.", "code")
CODE_EXPIRED = error("CODE_EXPIRED", "The code has expired; ask for a new one.", "code")
TOO_MANY_ATTEMPTS = error("TOO_MANY_ATTEMPTS", "Too many tries; ask for a new code.", "code")
POLICY_NOT_ACCEPTED = error(
    "POLICY_NOT_ACCEPTED",
    "Registration needs the current privacy policy version accepted.",
    "acceptPolicyVersion",
)
INVALID_CREDENTIALS = error("INVALID_CREDENTIALS", "The login or the password is not right.")


async def request_sms_code(
    client: httpx.AsyncClient,
    phone: str | None = PHONE,
    purpose: str = "LOGIN",
    *,
    token: str | None = None,
) -> dict[str, Any]:
    body = await graphql(
        client, REQUEST_SMS_CODE, {"input": {"phone": phone, "purpose": purpose}}, token=token
    )
    return data_of(body, "requestSmsCode")


def latest_code(outbox: Outbox, phone: str = PHONE, purpose: str = "LOGIN") -> str:
    """The newest code of that purpose the console sender "sent" to the phone."""
    codes = [
        message.code for message in outbox.for_recipient(e164(phone)) if message.purpose == purpose
    ]
    assert codes, f"no {purpose} code in the outbox"
    assert codes[0] is not None
    return codes[0]


async def sent_code(
    client: httpx.AsyncClient, outbox: Outbox, phone: str = PHONE, purpose: str = "LOGIN"
) -> str:
    """Ask for a code of that purpose to the phone, and read it from the outbox."""
    await request_sms_code(client, phone, purpose)
    return latest_code(outbox, phone, purpose)


async def login_with_sms(
    client: httpx.AsyncClient,
    code: str,
    phone: str = PHONE,
    *,
    birth_date: str | None = None,
    accept: str | None = POLICY_VERSION,
    token: str | None = None,
) -> dict[str, Any]:
    values = {"phone": phone, "code": code, "birthDate": birth_date, "acceptPolicyVersion": accept}
    body = await graphql(client, LOGIN_WITH_SMS, {"input": values}, token=token)
    return data_of(body, "loginWithSms")


async def sign_in_with_sms(
    client: httpx.AsyncClient, outbox: Outbox, phone: str = PHONE, *, birth_date: str | None = None
) -> dict[str, Any]:
    """Ask for a LOGIN code and sign in (registering when the phone is new); the payload."""
    sent = await request_sms_code(client, phone)
    assert sent["sent"], sent
    payload = await login_with_sms(client, latest_code(outbox, phone), phone, birth_date=birth_date)
    assert payload["userErrors"] == [], payload
    return payload


async def login_with_password(
    client: httpx.AsyncClient, login: str, password: str = PASSWORD
) -> dict[str, Any]:
    body = await graphql(
        client, LOGIN_WITH_PASSWORD, {"input": {"login": login, "password": password}}
    )
    return data_of(body, "loginWithPassword")


async def viewer(client: httpx.AsyncClient, token: str) -> dict[str, Any] | None:
    body = await graphql(client, VIEWER, token=token)
    return data_of(body, "viewer")


async def create_password_account(
    db: AsyncSession,
    *,
    kind: AccountKind = AccountKind.BUSINESS,
    email: str | None = EMAIL,
    phone: str | None = None,
    password: str = PASSWORD,
    **columns: Any,
) -> Account:
    """An account that signs in with a password, committed so that requests see it."""
    names: dict[str, Any] = {}
    if kind is AccountKind.BUSINESS:
        names = {"business_name": "Acme Trading", "ur_token": "ur-acme"}
    elif kind is AccountKind.ENTERPRISE:
        names = {"company_name": "Acme Group"}
    account = await create_account(
        db, kind=kind, password_hash=await hash_password(password), **{**names, **columns}
    )
    account.email = email
    account.phone = e164(phone) if phone else None
    await db.commit()
    return account


async def signed_in_owner(client: httpx.AsyncClient, db: AsyncSession) -> str:
    """The access token of a business that signed in with its password, at EMAIL."""
    await create_password_account(db, email=EMAIL)
    token: str = (await login_with_password(client, EMAIL))["accessToken"]
    return token


async def count(db: AsyncSession, model: type[Base]) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def forget_rate_limits(services: AuthServices) -> None:
    """As if every rate-limit window had passed.

    The limiter keeps real time, which the tests do not wait for; a fresh one stands for
    a later moment (the app reads the limiter from the shared services on each request).
    """
    await services.limiter.close()
    services.limiter = RateLimiter.from_url(None)


def session_opened(
    payload: dict[str, Any], clock: Clock, account: dict[str, Any], *, new: bool
) -> dict[str, Any]:
    """A sign-in payload that opened a session for `account` at the clock's time: the
    payload's own tokens, the access token good for 15 minutes, no user errors."""
    return {
        "accessToken": payload["accessToken"],
        "refreshToken": payload["refreshToken"],
        "accessTokenExpiresAt": (clock.now + timedelta(minutes=15)).isoformat(),
        "isNewAccount": new,
        "account": account,
        "userErrors": [],
    }


def active_account(
    payload: dict[str, Any], typename: str, kind: str, **fields: Any
) -> dict[str, Any]:
    """The payload's account as a sign-in selects it: its type and kind, the payload's own
    ID, ACTIVE, and `fields`."""
    return {
        "__typename": typename,
        "id": payload["account"]["id"],
        "kind": kind,
        "status": "ACTIVE",
        **fields,
    }


def acme_trading(payload: dict[str, Any], display_name: str, ur_token: str) -> dict[str, Any]:
    """The payload's account as a sign-in selects it: the business Acme Trading."""
    return active_account(
        payload,
        "BusinessAccount",
        "BUSINESS",
        displayName=display_name,
        businessName="Acme Trading",
        urToken=ur_token,
    )
