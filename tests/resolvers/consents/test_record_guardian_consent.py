"""`recordGuardianConsent` over HTTP: a guardian's SMS code activates a minor's account."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from models import Account, AccountStatus, GuardianConsent, StaffRole
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.consents.helpers import (
    GUARDIAN_NAME,
    GUARDIAN_PHONE,
    minor,
    record,
    send_code,
)
from tests.support.assertions import error, without_locations
from tests.support.refusals import ACCOUNTS_ONLY, forbidden, unauthenticated
from tests.support.viewers import SignedIn, Viewers, step_up_with_password

GUARDIAN_CONSENT = """
query($reveal: Boolean!) {
  viewer { account { status ... on IndividualAccount {
    guardianConsent {
      guardianName(reveal: $reveal) guardianPhone(reveal: $reveal) grantedAt
    }
  } } }
}
"""
INVALID_CODE = error("INVALID_CODE", "The code is not right.", "code")


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"recordGuardianConsent": {"account": None, "userErrors": list(user_errors)}}}


async def state(db: AsyncSession, account_id: uuid.UUID) -> tuple[AccountStatus | None, int]:
    db.expunge_all()
    status = await db.scalar(select(Account.status).where(Account.id == account_id))
    guardians = await db.scalar(
        select(func.count())
        .select_from(GuardianConsent)
        .where(GuardianConsent.account_id == account_id)
    )
    return status, int(guardians or 0)


STILL_PENDING = (AccountStatus.PENDING_GUARDIAN_CONSENT, 0)


async def test_a_guardians_code_makes_the_account_active(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, outbox: Outbox, db: AsyncSession
) -> None:
    me = await minor(viewers, clock)
    code = await send_code(client, outbox, me)

    body = await record(client, me, code)

    assert body == {
        "data": {"recordGuardianConsent": {"account": {"status": "ACTIVE"}, "userErrors": []}}
    }
    assert await state(db, me.me.id) == (AccountStatus.ACTIVE, 1)


async def test_the_guardian_is_shown_masked(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, outbox: Outbox
) -> None:
    me = await minor(viewers, clock)
    await record(client, me, await send_code(client, outbox, me))

    body = await graphql(client, GUARDIAN_CONSENT, {"reveal": False}, token=me.token)

    assert body == {
        "data": {
            "viewer": {
                "account": {
                    "status": "ACTIVE",
                    "guardianConsent": {
                        "guardianName": "*三",
                        "guardianPhone": "139****5678",
                        "grantedAt": clock().isoformat(),
                    },
                }
            }
        }
    }


async def test_the_guardian_is_shown_in_clear_with_reveal_and_step_up(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, outbox: Outbox
) -> None:
    me = await minor(viewers, clock)
    await record(client, me, await send_code(client, outbox, me))
    without_step_up = await graphql(client, GUARDIAN_CONSENT, {"reveal": True}, token=me.token)
    await step_up_with_password(client, me.token)

    body = await graphql(client, GUARDIAN_CONSENT, {"reveal": True}, token=me.token)

    guardian = body["data"]["viewer"]["account"]["guardianConsent"]
    assert guardian == {
        "guardianName": GUARDIAN_NAME,
        "guardianPhone": "+8613912345678",
        "grantedAt": clock().isoformat(),
    }
    hidden = without_step_up["data"]["viewer"]["account"]["guardianConsent"]
    assert (hidden["guardianName"], hidden["guardianPhone"]) == (None, None)
    assert sorted(
        (tuple(e["path"]), e["extensions"]["code"]) for e in without_step_up["errors"]
    ) == [
        (("viewer", "account", "guardianConsent", "guardianName"), "STEP_UP_REQUIRED"),
        (("viewer", "account", "guardianConsent", "guardianPhone"), "STEP_UP_REQUIRED"),
    ]


async def test_the_guardians_name_and_phone_are_sealed_in_the_database(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, outbox: Outbox, db: AsyncSession
) -> None:
    me = await minor(viewers, clock)
    await record(client, me, await send_code(client, outbox, me))

    row = (
        await db.execute(text("SELECT guardian_name, guardian_phone FROM guardian_consents"))
    ).one()

    stored = bytes(row[0]) + bytes(row[1])
    for clear in (GUARDIAN_NAME, "+8613912345678", GUARDIAN_PHONE, "12345678"):
        assert clear.encode() not in stored


async def test_an_active_account_is_in_the_wrong_state(
    client: httpx.AsyncClient, viewers: Viewers, outbox: Outbox, db: AsyncSession
) -> None:
    me = await viewers.person()
    code = await send_code(client, outbox, me)

    body = await record(client, me, code)

    assert body == refused(
        error("INVALID_STATE", "This account does not await a guardian's consent.")
    )
    assert await state(db, me.me.id) == (AccountStatus.ACTIVE, 0)


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+86 100 0000 0000", ""])
async def test_an_invalid_guardian_phone_is_refused(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession, phone: str
) -> None:
    me = await minor(viewers, clock)

    body = await record(client, me, "123456", guardianPhone=phone)

    assert body == refused(
        error("INVALID_PHONE", "This is not a valid phone number.", "guardianPhone")
    )
    assert await state(db, me.me.id) == STILL_PENDING


@pytest.mark.parametrize("name", ["", "   ", "长" * 51])
async def test_an_empty_or_overlong_guardian_name_is_refused_and_the_code_survives(
    client: httpx.AsyncClient,
    viewers: Viewers,
    clock: Clock,
    outbox: Outbox,
    db: AsyncSession,
    name: str,
) -> None:
    me = await minor(viewers, clock)
    code = await send_code(client, outbox, me)

    body = await record(client, me, code, guardianName=name)
    still_pending = await state(db, me.me.id)
    retried = await record(client, me, code)

    assert body == refused(error("INVALID_INPUT", "Give 1 to 50 characters.", "guardianName"))
    assert still_pending == STILL_PENDING
    assert retried["data"]["recordGuardianConsent"]["userErrors"] == []


async def test_name_and_phone_errors_are_reported_together(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock
) -> None:
    me = await minor(viewers, clock)

    body = await record(client, me, "123456", guardianName="", guardianPhone="12345")

    assert body == refused(
        error("INVALID_INPUT", "Give 1 to 50 characters.", "guardianName"),
        error("INVALID_PHONE", "This is not a valid phone number.", "guardianPhone"),
    )


# How a minor comes by a code that is not the guardian's: the code each case records.
Code = Callable[[httpx.AsyncClient, Outbox, SignedIn], Awaitable[str]]


async def a_wrong_code(client: httpx.AsyncClient, outbox: Outbox, me: SignedIn) -> str:
    code = await send_code(client, outbox, me)
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def no_code_sent(client: httpx.AsyncClient, outbox: Outbox, me: SignedIn) -> str:
    return "123456"


async def a_code_sent_to_another_phone(
    client: httpx.AsyncClient, outbox: Outbox, me: SignedIn
) -> str:
    return await send_code(client, outbox, me, phone="13700000000")


async def a_code_of_another_purpose(client: httpx.AsyncClient, outbox: Outbox, me: SignedIn) -> str:
    return await send_code(client, outbox, me, purpose="LOGIN")


@pytest.mark.parametrize(
    "code_of",
    [a_wrong_code, no_code_sent, a_code_sent_to_another_phone, a_code_of_another_purpose],
    ids=lambda code_of: code_of.__name__,
)
async def test_a_code_that_is_not_the_guardians_is_invalid(
    client: httpx.AsyncClient,
    viewers: Viewers,
    clock: Clock,
    outbox: Outbox,
    db: AsyncSession,
    code_of: Code,
) -> None:
    me = await minor(viewers, clock)
    code = await code_of(client, outbox, me)

    body = await record(client, me, code)

    assert body == refused(INVALID_CODE)
    assert await state(db, me.me.id) == STILL_PENDING


async def test_an_expired_code_is_refused(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, outbox: Outbox, db: AsyncSession
) -> None:
    me = await minor(viewers, clock)
    code = await send_code(client, outbox, me)
    clock.advance(minutes=5)

    body = await record(client, me, code)

    assert body == refused(
        error("CODE_EXPIRED", "The code has expired; ask for a new one.", "code")
    )
    assert await state(db, me.me.id) == STILL_PENDING


async def test_anonymous_callers_are_unauthenticated(client: httpx.AsyncClient) -> None:
    body = await record(client, None, "123456")

    assert without_locations(body) == unauthenticated("recordGuardianConsent")


@pytest.mark.parametrize("role", list(StaffRole))
async def test_staff_are_forbidden(
    client: httpx.AsyncClient, viewers: Viewers, role: StaffRole
) -> None:
    staff = await viewers.staff(role)

    body = await record(client, staff, "123456")

    assert without_locations(body) == forbidden("recordGuardianConsent", ACCOUNTS_ONLY)


NOT_A_GUARDIAN = error(
    "INVALID_INPUT",
    "The guardian's phone must be an adult's, and not one of this account's.",
    "guardianPhone",
)


async def test_a_minor_cannot_approve_themselves_with_their_own_phone(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, outbox: Outbox, db: AsyncSession
) -> None:
    me = await minor(viewers, clock)
    code = await send_code(client, outbox, me, phone="13812345678")

    body = await record(client, me, code, guardianPhone="13812345678")

    assert body == refused(NOT_A_GUARDIAN)
    assert await state(db, me.me.id) == STILL_PENDING


@pytest.mark.parametrize(
    "columns",
    [
        {"status": AccountStatus.PENDING_GUARDIAN_CONSENT},
        {"birth_date_years": 17},
    ],
    ids=["awaiting-a-guardian", "born-17-years-ago"],
)
async def test_a_phone_of_an_account_known_to_be_under_18_is_no_guardians(
    columns: dict[str, Any],
    client: httpx.AsyncClient,
    viewers: Viewers,
    clock: Clock,
    outbox: Outbox,
    db: AsyncSession,
) -> None:
    me = await minor(viewers, clock)
    today = clock().date()
    years = columns.pop("birth_date_years", None)
    if years is not None:
        columns["birth_date"] = date(today.year - years, 12, 31)
    await viewers.person(phone=GUARDIAN_PHONE, **columns)
    code = await send_code(client, outbox, me)

    wrong_code = await record(client, me, "000000" if code != "000000" else "111111")
    right_code = await record(client, me, code)

    # The code first: without it, nothing is said about whose phone it is.
    assert wrong_code == refused(INVALID_CODE)
    assert right_code == refused(NOT_A_GUARDIAN)
    assert await state(db, me.me.id) == STILL_PENDING


async def test_an_adults_phone_of_another_account_may_consent(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, outbox: Outbox, db: AsyncSession
) -> None:
    me = await minor(viewers, clock)
    today = clock().date()
    await viewers.person(phone=GUARDIAN_PHONE, birth_date=date(today.year - 40, 1, 1))

    body = await record(client, me, await send_code(client, outbox, me))

    assert body["data"]["recordGuardianConsent"]["userErrors"] == []
    assert await state(db, me.me.id) == (AccountStatus.ACTIVE, 1)
