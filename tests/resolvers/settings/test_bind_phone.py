"""bindPhone over HTTP: a BIND_PHONE code, one live account per phone, step-up to replace."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from auth.sms_codes import phone_key
from models import Account, SmsCode
from tests.conftest import Clock
from tests.helpers import e164, graphql
from tests.resolvers.settings.helpers import (
    STEP_UP_REQUIRED,
    USER_ERRORS,
    count,
    error,
    forbidden_for_staff,
    iso,
    reloaded,
    unauthenticated,
)
from tests.support.viewers import ELEVATE, PASSWORD, SignedIn, Viewers

NEW_PHONE = "13900001111"
SECURITY = "security { hasPassword phoneBound emailBound emailVerified passwordChangedAt }"
BIND_PHONE = f"""
mutation($input: BindPhoneInput!) {{
  bindPhone(input: $input) {{ account {{ phone {SECURITY} }} {USER_ERRORS} }}
}}
"""
REQUEST_CODE = """
mutation($input: RequestSmsCodeInput!) { requestSmsCode(input: $input) { sent } }
"""
INVALID_CODE = error("INVALID_CODE", "The code is not right.", "code")
TAKEN = error("ALREADY_EXISTS", "This phone is bound to another account.", "phone")


async def send_code(
    client: httpx.AsyncClient,
    outbox: Outbox,
    phone: str,
    purpose: str = "BIND_PHONE",
    token: str | None = None,
) -> str:
    """Ask for a code (the bound phone when `phone` is empty) and read it from the outbox."""
    variables = {"input": {"phone": phone or None, "purpose": purpose}}
    body = await graphql(client, REQUEST_CODE, variables, token=token)
    assert body == {"data": {"requestSmsCode": {"sent": True}}}, body
    [message, *_] = outbox.for_recipient(e164(phone or "13812345678"))
    assert message.purpose == purpose
    assert message.code is not None
    return message.code


async def bind_phone(
    client: httpx.AsyncClient, token: str | None, phone: str, code: str
) -> dict[str, Any]:
    return await graphql(client, BIND_PHONE, {"input": {"phone": phone, "code": code}}, token=token)


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"bindPhone": {"account": None, "userErrors": list(user_errors)}}}


def bound(phone_masked: str, account: Account) -> dict[str, Any]:
    changed_at = account.password_changed_at
    return {
        "data": {
            "bindPhone": {
                "account": {
                    "phone": phone_masked,
                    "security": {
                        "hasPassword": account.password_hash is not None,
                        "phoneBound": True,
                        "emailBound": account.email is not None,
                        "emailVerified": False,
                        "passwordChangedAt": iso(changed_at) if changed_at else None,
                    },
                },
                "userErrors": [],
            }
        }
    }


async def phone_holders(db: AsyncSession, phone: str) -> int:
    return await count(db, Account, phone_index=Account.phone.index_of(e164(phone)))


async def without_a_phone(viewers: Viewers, kind: str) -> SignedIn:
    """A stepped-up account of `kind` with no phone bound."""
    if kind == "individual":
        account = await viewers.individual(phone=None, email="person@example.com")
    elif kind == "enterprise":
        account = await viewers.enterprise(phone=None)
    else:
        account = await viewers.of_kind(kind)
    return await viewers.step_up(account)


async def right_and_wrong_codes(client: httpx.AsyncClient, outbox: Outbox) -> tuple[str, str]:
    """A BIND_PHONE code sent to NEW_PHONE, and a well-formed code that is not it."""
    code = await send_code(client, outbox, NEW_PHONE)
    return code, f"{(int(code) + 1) % 1_000_000:06d}"


async def test_anonymous_callers_must_sign_in(client: httpx.AsyncClient, outbox: Outbox) -> None:
    code = await send_code(client, outbox, NEW_PHONE)

    body = await bind_phone(client, None, NEW_PHONE, code)

    assert body == unauthenticated(BIND_PHONE, "bindPhone")


async def test_staff_have_no_phone_to_bind(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox
) -> None:
    staff = await viewers.staff()
    code = await send_code(client, outbox, NEW_PHONE)

    body = await bind_phone(client, staff.token, NEW_PHONE, code)

    assert body == forbidden_for_staff(BIND_PHONE, "bindPhone")
    assert await phone_holders(db, NEW_PHONE) == 0


@pytest.mark.parametrize("kind", ["individual", "business", "sub_account"])
async def test_an_account_without_a_phone_binds_one_with_a_bind_phone_code(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox, kind: str
) -> None:
    viewer = await without_a_phone(viewers, kind)
    code = await send_code(client, outbox, NEW_PHONE)

    body = await bind_phone(client, viewer.token, "+86 139 0000 1111", code)

    assert body == bound("139****1111", viewer.me)
    assert (await reloaded(db, viewer.me)).phone == "+8613900001111"


async def test_the_enterprise_replaces_its_phone_after_a_password_step_up(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox
) -> None:
    viewer = await viewers.enterprise(phone="13900139000")
    code = await send_code(client, outbox, NEW_PHONE)

    before = await bind_phone(client, viewer.token, NEW_PHONE, code)
    elevated = await graphql(client, ELEVATE, {"input": {"password": PASSWORD}}, token=viewer.token)
    after = await bind_phone(client, viewer.token, NEW_PHONE, code)

    assert before == refused(STEP_UP_REQUIRED)
    assert elevated["data"]["elevateSession"]["userErrors"] == []
    assert after == bound("139****1111", viewer.me)
    assert (await reloaded(db, viewer.me)).phone == e164(NEW_PHONE)


async def test_replacing_a_bound_phone_needs_a_step_up_and_frees_the_old_phone(
    client: httpx.AsyncClient, db: AsyncSession, individual: SignedIn, outbox: Outbox
) -> None:
    """The individual's bound phone is 13812345678."""
    code = await send_code(client, outbox, NEW_PHONE)

    without_step_up = await bind_phone(client, individual.token, NEW_PHONE, code)
    assert without_step_up == refused(STEP_UP_REQUIRED)
    assert (await reloaded(db, individual.me)).phone == e164("13812345678")

    step_up_code = await send_code(client, outbox, "", "STEP_UP", token=individual.token)
    elevated = await graphql(
        client, ELEVATE, {"input": {"smsCode": step_up_code}}, token=individual.token
    )
    assert elevated["data"]["elevateSession"]["userErrors"] == []
    # The BIND_PHONE code was not used up by the refused try.
    with_step_up = await bind_phone(client, individual.token, NEW_PHONE, code)

    assert with_step_up == bound("139****1111", individual.me)
    assert (await reloaded(db, individual.me)).phone == e164(NEW_PHONE)
    assert await phone_holders(db, "13812345678") == 0


@pytest.mark.parametrize("phone", ["12345", "1381234567", "+1 555 0100", "not a phone", ""])
async def test_an_invalid_phone_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, phone: str
) -> None:
    viewer = await viewers.step_up(await viewers.business())

    body = await bind_phone(client, viewer.token, phone, "123456")

    assert body == refused(error("INVALID_PHONE", "This is not a valid phone number.", "phone"))
    assert (await reloaded(db, viewer.me)).phone is None


async def test_a_wrong_code_is_refused_and_the_right_one_still_works(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox
) -> None:
    viewer = await viewers.step_up(await viewers.business())
    code, wrong = await right_and_wrong_codes(client, outbox)

    refused_body = await bind_phone(client, viewer.token, NEW_PHONE, wrong)
    assert (await reloaded(db, viewer.me)).phone is None
    accepted = await bind_phone(client, viewer.token, NEW_PHONE, code)

    assert refused_body == refused(INVALID_CODE)
    assert accepted["data"]["bindPhone"]["userErrors"] == []


@pytest.mark.parametrize(
    ("phone", "purpose"),
    [
        # A code sent to another phone proves nothing about this one.
        pytest.param("13700001111", "BIND_PHONE", id="sent-to-another-phone"),
        pytest.param(NEW_PHONE, "LOGIN", id="of-another-purpose"),
    ],
)
async def test_a_code_not_sent_to_bind_this_phone_does_not_bind(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    outbox: Outbox,
    phone: str,
    purpose: str,
) -> None:
    viewer = await viewers.step_up(await viewers.business())
    code = await send_code(client, outbox, phone, purpose)

    body = await bind_phone(client, viewer.token, NEW_PHONE, code)

    assert body == refused(INVALID_CODE)
    assert (await reloaded(db, viewer.me)).phone is None


async def test_an_expired_code_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox, clock: Clock
) -> None:
    viewer = await viewers.business()
    code = await send_code(client, outbox, NEW_PHONE)
    clock.advance(minutes=5)
    await viewers.step_up(viewer)

    body = await bind_phone(client, viewer.token, NEW_PHONE, code)

    assert body == refused(
        error("CODE_EXPIRED", "The code has expired; ask for a new one.", "code")
    )
    assert (await reloaded(db, viewer.me)).phone is None


async def test_a_used_code_does_not_bind_twice(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox
) -> None:
    first = await viewers.step_up(await viewers.business(email="first@example.com"))
    second = await viewers.step_up(await viewers.business(email="second@example.com"))
    code = await send_code(client, outbox, NEW_PHONE)
    assert (await bind_phone(client, first.token, NEW_PHONE, code))["data"]["bindPhone"][
        "userErrors"
    ] == []
    # The first account gives the phone up; the used code still proves nothing.
    first_account = await reloaded(db, first.me)
    first_account.phone = None
    await db.commit()

    body = await bind_phone(client, second.token, NEW_PHONE, code)

    assert body == refused(INVALID_CODE)
    assert await phone_holders(db, NEW_PHONE) == 0


@pytest.mark.parametrize("kind", ["individual", "business", "enterprise", "sub_account"])
async def test_a_phone_bound_to_another_account_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox, kind: str
) -> None:
    holder = await viewers.step_up(await viewers.individual(phone=NEW_PHONE))
    viewer = await without_a_phone(viewers, kind)
    code = await send_code(client, outbox, NEW_PHONE)

    body = await bind_phone(client, viewer.token, NEW_PHONE, code)

    assert body == refused(TAKEN)
    assert (await reloaded(db, viewer.me)).phone is None
    assert (await reloaded(db, holder.me)).phone == e164(NEW_PHONE)
    # The refusal left the code unused.
    assert await count(db, SmsCode, phone_index=phone_key(e164(NEW_PHONE)), consumed_at=None) == 1


async def test_a_code_dies_after_five_wrong_tries(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox
) -> None:
    viewer = await viewers.step_up(await viewers.business())
    code, wrong = await right_and_wrong_codes(client, outbox)

    tries = [await bind_phone(client, viewer.token, NEW_PHONE, wrong) for _ in range(5)]
    right = await bind_phone(client, viewer.token, NEW_PHONE, code)

    assert tries == [refused(INVALID_CODE)] * 5
    assert right == refused(
        error("TOO_MANY_ATTEMPTS", "Too many tries; ask for a new code.", "code")
    )
    assert (await reloaded(db, viewer.me)).phone is None
