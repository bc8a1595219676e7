"""setPassword over HTTP: the current password, or step-up when there is none.

The rules: docs/spec/sign-in.md#passwords and docs/spec/settings.md#identities.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import verify_password
from auth.senders import Outbox
from tests.conftest import Clock
from tests.helpers import graphql, staff_step_up
from tests.resolvers.settings.helpers import (
    STEP_UP_REQUIRED,
    USER_ERRORS,
    error,
    iso,
    reloaded,
    unauthenticated,
)
from tests.support.viewers import ELEVATE, PASSWORD, PASSWORD_HASH, SignedIn, Viewers

BREACHED = "This password is on a list of passwords known from data breaches; choose another."
NEW_PASSWORD = "battery-Staple-42"
SECURITY = "security { hasPassword phoneBound emailBound emailVerified passwordChangedAt }"
SET_PASSWORD = f"""
mutation($input: SetPasswordInput!) {{
  setPassword(input: $input) {{ account {{ {SECURITY} }} {USER_ERRORS} }}
}}
"""
REQUEST_STEP_UP_CODE = """
mutation { requestSmsCode(input: { purpose: STEP_UP }) { sent userErrors { code } } }
"""
LOGIN_WITH_PASSWORD = f"""
mutation($input: LoginWithPasswordInput!) {{
  loginWithPassword(input: $input) {{ accessToken {USER_ERRORS} }}
}}
"""
INVALID_CREDENTIALS = error(
    "INVALID_CREDENTIALS", "The current password is not right.", "currentPassword"
)


async def set_password(
    client: httpx.AsyncClient, token: str | None, **values: Any
) -> dict[str, Any]:
    return await graphql(client, SET_PASSWORD, {"input": values}, token=token)


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"setPassword": {"account": None, "userErrors": list(user_errors)}}}


def security(
    *, has_password: bool, phone: bool, email: bool, verified: bool, changed_at: str | None
) -> dict[str, Any]:
    return {
        "hasPassword": has_password,
        "phoneBound": phone,
        "emailBound": email,
        "emailVerified": verified,
        "passwordChangedAt": changed_at,
    }


async def step_up_by_sms(client: httpx.AsyncClient, outbox: Outbox, viewer: SignedIn) -> None:
    """elevateSession with a STEP_UP code sent to the viewer's bound phone."""
    sent = await graphql(client, REQUEST_STEP_UP_CODE, token=viewer.token)
    assert sent == {"data": {"requestSmsCode": {"sent": True, "userErrors": []}}}
    phone = viewer.me.phone
    assert phone is not None
    [message, *_] = outbox.for_recipient(phone)
    assert message.purpose == "STEP_UP"
    body = await graphql(client, ELEVATE, {"input": {"smsCode": message.code}}, token=viewer.token)
    assert body["data"]["elevateSession"]["userErrors"] == [], body


async def login(client: httpx.AsyncClient, login: str, password: str) -> list[dict[str, Any]]:
    body = await graphql(
        client, LOGIN_WITH_PASSWORD, {"input": {"login": login, "password": password}}
    )
    errors: list[dict[str, Any]] = body["data"]["loginWithPassword"]["userErrors"]
    return errors


async def test_anonymous_callers_must_sign_in(client: httpx.AsyncClient) -> None:
    body = await set_password(client, None, newPassword=NEW_PASSWORD)

    assert body == unauthenticated(SET_PASSWORD, "setPassword")


async def test_staff_set_their_own_password_only_stepped_up(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock, outbox: Outbox
) -> None:
    staff = await viewers.staff()

    plain = await set_password(
        client, staff.token, currentPassword=PASSWORD, newPassword=NEW_PASSWORD
    )
    await staff_step_up(client, staff.token, clock())
    stepped_up = await set_password(
        client, staff.token, currentPassword=PASSWORD, newPassword=NEW_PASSWORD
    )

    assert plain == {"data": {"setPassword": {"account": None, "userErrors": [STEP_UP_REQUIRED]}}}
    assert stepped_up == {"data": {"setPassword": {"account": None, "userErrors": []}}}
    assert staff.staff is not None
    await db.refresh(staff.staff)
    assert await verify_password(staff.staff.password_hash, NEW_PASSWORD)
    # The member hears of it at once, as account holders do.
    assert staff.staff.email is not None
    [notice] = outbox.for_recipient(staff.staff.email)
    assert (notice.channel, notice.purpose, notice.code) == ("email", "SECURITY_NOTICE", None)
    assert notice.body == (
        f"The staff password of your account was changed on {clock.now:%Y-%m-%d %H:%M} UTC. "
        "If this was not you, sign in and end your other sessions, or contact us."
    )


@pytest.mark.parametrize("kind", ["business", "enterprise", "sub_account"])
async def test_the_current_password_changes_it(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock, kind: str
) -> None:
    viewer = await viewers.of_kind(kind)
    clock.advance(minutes=3)

    body = await set_password(
        client, viewer.token, currentPassword=PASSWORD, newPassword=NEW_PASSWORD
    )

    account = await reloaded(db, viewer.me)
    assert body == {
        "data": {
            "setPassword": {
                "account": {
                    "security": security(
                        has_password=True,
                        phone=account.phone is not None,
                        email=True,
                        verified=False,
                        changed_at=iso(clock()),
                    )
                },
                "userErrors": [],
            }
        }
    }
    assert await verify_password(account.password_hash, NEW_PASSWORD)
    assert account.email is not None
    assert await login(client, account.email, PASSWORD) == [
        error("INVALID_CREDENTIALS", "The login or the password is not right.")
    ]
    assert await login(client, account.email, NEW_PASSWORD) == []


@pytest.mark.parametrize("current", [None, "", "wrong-Password-1", PASSWORD.upper()])
async def test_a_wrong_or_missing_current_password_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, current: str | None
) -> None:
    viewer = await viewers.business()

    body = await set_password(
        client, viewer.token, currentPassword=current, newPassword=NEW_PASSWORD
    )

    assert body == refused(INVALID_CREDENTIALS)
    account = await reloaded(db, viewer.me)
    assert account.password_hash == PASSWORD_HASH


async def test_a_step_up_does_not_replace_the_current_password(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    viewer = await viewers.enterprise()
    elevated = await graphql(client, ELEVATE, {"input": {"password": PASSWORD}}, token=viewer.token)
    assert elevated["data"]["elevateSession"]["userErrors"] == []

    body = await set_password(client, viewer.token, newPassword=NEW_PASSWORD)

    assert body == refused(INVALID_CREDENTIALS)


async def test_without_a_password_it_needs_a_step_up_by_sms_first(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    outbox: Outbox,
    clock: Clock,
) -> None:
    viewer = await viewers.individual()

    before = await set_password(client, viewer.token, newPassword=NEW_PASSWORD)
    await step_up_by_sms(client, outbox, viewer)
    after = await set_password(client, viewer.token, newPassword=NEW_PASSWORD)

    assert before == refused(STEP_UP_REQUIRED)
    assert after == {
        "data": {
            "setPassword": {
                "account": {
                    "security": security(
                        has_password=True,
                        phone=True,
                        email=False,
                        verified=False,
                        changed_at=iso(clock()),
                    )
                },
                "userErrors": [],
            }
        }
    }
    account = await reloaded(db, viewer.me)
    assert await verify_password(account.password_hash, NEW_PASSWORD)
    assert await login(client, "13812345678", NEW_PASSWORD) == []


async def test_the_step_up_lasts_five_minutes(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox, clock: Clock
) -> None:
    viewer = await viewers.individual()
    await step_up_by_sms(client, outbox, viewer)
    clock.advance(minutes=5)

    body = await set_password(client, viewer.token, newPassword=NEW_PASSWORD)

    assert body == refused(STEP_UP_REQUIRED)
    assert (await reloaded(db, viewer.me)).password_hash is None


async def test_a_step_up_of_another_session_does_not_count(
    client: httpx.AsyncClient, viewers: Viewers, outbox: Outbox
) -> None:
    viewer = await viewers.individual()
    other_session = await viewers.sign_in(viewer.me)
    await step_up_by_sms(client, outbox, other_session)

    body = await set_password(client, viewer.token, newPassword=NEW_PASSWORD)

    assert body == refused(STEP_UP_REQUIRED)


@pytest.mark.parametrize(
    ("kind", "password", "message"),
    [
        ("individual", "abc-12", "The password needs at least 12 characters."),
        ("business", "123456789012", BREACHED),
        ("enterprise", "Str0ng-Pw1!", "The password needs at least 12 characters."),
        ("sub_account", "a1" * 64 + "b", "The password may have at most 128 characters."),
    ],
)
async def test_a_weak_new_password_is_refused_and_nothing_stored(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    kind: str,
    password: str,
    message: str,
) -> None:
    if kind == "individual":
        viewer = await viewers.individual(password=True)
    else:
        viewer = await viewers.of_kind(kind)
    changed_at = viewer.me.password_changed_at

    body = await set_password(client, viewer.token, currentPassword=PASSWORD, newPassword=password)

    assert body == refused(error("WEAK_PASSWORD", message, "newPassword"))
    account = await reloaded(db, viewer.me)
    assert (account.password_hash, account.password_changed_at) == (PASSWORD_HASH, changed_at)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("abc-12", "The password needs at least 12 characters."),
        ("密码密码密码密码密码", "The password needs at least 12 characters."),
        ("QWERTYUIOP123", BREACHED),
    ],
)
async def test_a_weak_first_password_is_refused_after_the_step_up(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    outbox: Outbox,
    password: str,
    message: str,
) -> None:
    viewer = await viewers.individual()
    await step_up_by_sms(client, outbox, viewer)

    body = await set_password(client, viewer.token, newPassword=password)

    assert body == refused(error("WEAK_PASSWORD", message, "newPassword"))
    assert (await reloaded(db, viewer.me)).password_hash is None
