"""`publishPrivacyPolicy` over HTTP: who may, what it checks, whom it notifies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AccountKind, AccountStatus, Notification, PrivacyPolicy, StaffRole
from tests.conftest import Clock
from tests.resolvers.policies.helpers import (
    notifications,
    policy_status,
    publish,
    published,
    status,
)
from tests.support.assertions import error
from tests.support.viewers import SignedIn, Viewers


async def versions(db: AsyncSession) -> list[str]:
    db.expunge_all()
    rows = await db.scalars(select(PrivacyPolicy.version).order_by(PrivacyPolicy.version))
    return list(rows)


async def notification_count(db: AsyncSession, *accounts: SignedIn) -> int:
    """How many notifications these accounts hold."""
    statement = select(func.count()).where(
        Notification.account_id.in_([account.me.id for account in accounts])
    )
    return int(await db.scalar(statement) or 0)


async def every_kind(viewers: Viewers) -> list[SignedIn]:
    """One signed-in account of each kind, and a minor awaiting a guardian's consent."""
    enterprise = await viewers.person(kind=AccountKind.ENTERPRISE, phone="13900000001")
    return [
        await viewers.person(),
        await viewers.person(kind=AccountKind.BUSINESS, phone=None),
        enterprise,
        await viewers.person(
            kind=AccountKind.SUB_ACCOUNT, phone="13900000002", enterprise_id=enterprise.me.id
        ),
        await viewers.person(phone="13900000003", status=AccountStatus.PENDING_GUARDIAN_CONSENT),
    ]


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {"publishPrivacyPolicy": {"privacyPolicy": None, "userErrors": list(user_errors)}}
    }


# --- publishing ---------------------------------------------------------------------------


async def test_a_privacy_officer_publishes_a_version(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession
) -> None:
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)
    effective_on = clock().date() + timedelta(days=14)

    body = await publish(
        client,
        officer,
        "2.0",
        effective_on,
        material=True,
        summary="  We now name every SDK.  ",
        body="# Privacy policy 2.0\n\nEverything we collect.",
    )

    assert body == {
        "data": {
            "publishPrivacyPolicy": {
                "privacyPolicy": {
                    "version": "2.0",
                    "effectiveOn": effective_on.isoformat(),
                    "publishedAt": clock().isoformat(),
                    "material": True,
                    "summaryOfChanges": "We now name every SDK.",
                    "body": "# Privacy policy 2.0\n\nEverything we collect.",
                    "affectedPurposes": [],
                },
                "userErrors": [],
            }
        }
    }
    assert await versions(db) == ["1.0", "2.0"]


async def test_the_version_is_trimmed_and_a_blank_summary_is_none(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock
) -> None:
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)

    payload = await published(
        client, officer, "  2.1 ", clock().date(), material=False, summary=" "
    )

    assert payload["privacyPolicy"]["version"] == "2.1"
    assert payload["privacyPolicy"]["summaryOfChanges"] is None


@pytest.mark.parametrize("version", ["1.0", " 1.0 ", "2.0"])
async def test_a_version_used_before_already_exists(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession, version: str
) -> None:
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)
    await published(client, officer, "2.0", clock().date(), material=False)
    clock.advance(minutes=1)

    body = await publish(client, officer, version, clock().date(), material=True)

    assert body == refused(
        error("ALREADY_EXISTS", "This version was published already.", "version")
    )
    assert await versions(db) == ["1.0", "2.0"]


@pytest.mark.parametrize(
    ("version", "text", "errors"),
    [
        ("", "# Policy", [error("INVALID_INPUT", "Give 1 to 32 characters.", "version")]),
        ("  ", "# Policy", [error("INVALID_INPUT", "Give 1 to 32 characters.", "version")]),
        ("v" * 33, "# Policy", [error("INVALID_INPUT", "Give 1 to 32 characters.", "version")]),
        (
            "2.0",
            "",
            [error("INVALID_INPUT", "The body is Markdown text, not empty.", "body")],
        ),
        (
            "2.0",
            " \n ",
            [error("INVALID_INPUT", "The body is Markdown text, not empty.", "body")],
        ),
        (
            "",
            "",
            [
                error("INVALID_INPUT", "Give 1 to 32 characters.", "version"),
                error("INVALID_INPUT", "The body is Markdown text, not empty.", "body"),
            ],
        ),
    ],
)
async def test_an_empty_version_or_body_is_invalid(
    client: httpx.AsyncClient,
    viewers: Viewers,
    clock: Clock,
    db: AsyncSession,
    version: str,
    text: str,
    errors: list[dict[str, Any]],
) -> None:
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)
    me = await viewers.person()

    body = await publish(client, officer, version, clock().date(), material=True, body=text)

    assert body == refused(*errors)
    assert await versions(db) == ["1.0"]
    assert await notification_count(db, me) == 0


# --- who may -------------------------------------------------------------------------------


def top_level(code: str, message: str) -> dict[str, Any]:
    return {
        "data": None,
        "errors": [
            {
                "message": message,
                "locations": [{"line": 3, "column": 3}],
                "path": ["publishPrivacyPolicy"],
                "extensions": {"code": code},
            }
        ],
    }


async def test_an_officer_without_a_stepped_up_session_publishes_nothing(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession
) -> None:
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER)
    me = await viewers.person()

    body = await publish(client, officer, "2.0", clock().date(), material=True)

    assert body["data"]["publishPrivacyPolicy"] == {
        "privacyPolicy": None,
        "userErrors": [
            error(
                "STEP_UP_REQUIRED",
                "Confirm it is you (elevateSession with totp), then try again.",
            )
        ],
    }
    assert await versions(db) == ["1.0"]
    assert await notification_count(db, me) == 0


@pytest.mark.parametrize("caller", ["support staff", "an account"])
async def test_support_staff_and_accounts_are_forbidden(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession, caller: str
) -> None:
    support = await viewers.staff(StaffRole.SUPPORT) if caller == "support staff" else None
    me = await viewers.person()

    body = await publish(client, support or me, "2.0", clock().date(), material=True)

    assert body == top_level("FORBIDDEN", "Your role may not do this.")
    assert await versions(db) == ["1.0"]
    assert await notification_count(db, me) == 0


async def test_anonymous_callers_are_unauthenticated(
    client: httpx.AsyncClient, clock: Clock, db: AsyncSession
) -> None:
    body = await publish(client, None, "2.0", clock().date(), material=True)

    assert body == top_level("UNAUTHENTICATED", "Sign in first.")
    assert await versions(db) == ["1.0"]


# --- what a material version changes for everyone ------------------------------------------


async def test_a_material_version_notifies_every_account_and_asks_each_to_accept(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock
) -> None:
    accounts = await every_kind(viewers)
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)
    clock.advance(minutes=1)
    today = clock().date()

    await published(client, officer, "2.0", today, material=True, summary="New SDKs are listed.")

    expected = {
        "kind": "POLICY_UPDATED",
        "title": "Privacy policy 2.0",
        "body": (
            f"Version 2.0 of the privacy policy takes effect on {today.isoformat()}."
            " Please read and accept it.\n\nWhat changed: New SDKs are listed."
        ),
        "createdAt": clock().isoformat(),
        "readAt": None,
    }
    for account in accounts:
        assert await notifications(client, account) == [expected]
        assert await policy_status(client, account) == status("1.0", "2.0", True)


@pytest.mark.parametrize(
    ("material", "summary", "affected", "errors"),
    [
        (True, None, [], [("summaryOfChanges", "A material version says what changed.")]),
        (True, "  ", [], [("summaryOfChanges", "A material version says what changed.")]),
        (
            True,
            "New partners.",
            None,
            [
                (
                    "affectedPurposes",
                    "A material version names the purposes whose consents must be given"
                    " again (an empty list for none).",
                )
            ],
        ),
        (
            False,
            "Typos.",
            ["TARGETED_PUSH"],
            [("affectedPurposes", "Only a material version asks for consents again.")],
        ),
    ],
)
async def test_a_material_version_says_what_changed_and_which_consents_it_asks_again(
    client: httpx.AsyncClient,
    viewers: Viewers,
    clock: Clock,
    db: AsyncSession,
    material: bool,
    summary: str | None,
    affected: list[str] | None,
    errors: list[tuple[str, str]],
) -> None:
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)

    body = await publish(
        client,
        officer,
        "2.0",
        clock().date(),
        material=material,
        summary=summary,
        affected=affected,
    )

    assert body["data"]["publishPrivacyPolicy"] == {
        "privacyPolicy": None,
        "userErrors": [
            {"field": [field], "code": "INVALID_INPUT", "message": message}
            for field, message in errors
        ],
    }
    assert await versions(db) == ["1.0"]


async def test_a_material_version_names_in_its_notice_the_consents_to_give_again(
    client: httpx.AsyncClient, viewers: Viewers, officer: SignedIn, clock: Clock
) -> None:
    me = await viewers.person()
    effective_on = clock().date() + timedelta(days=30)

    await published(
        client,
        officer,
        "2.0",
        effective_on,
        material=True,
        summary="New advertising partners.",
        affected=["THIRD_PARTY_SHARING", "TARGETED_PUSH"],
    )

    assert [n["body"] for n in await notifications(client, me)] == [
        f"Version 2.0 of the privacy policy takes effect on {effective_on.isoformat()}."
        " Please read and accept it.\n\nWhat changed: New advertising partners.\n\n"
        "From then on, consents to these purposes need to be given again:"
        " THIRD_PARTY_SHARING, TARGETED_PUSH."
    ]


async def test_a_non_material_version_neither_notifies_nor_asks_to_accept(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession
) -> None:
    accounts = await every_kind(viewers)
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)
    clock.advance(minutes=1)

    await published(client, officer, "1.1", clock().date(), material=False, summary="Typos.")

    assert await notification_count(db, *accounts) == 0
    for account in accounts:
        assert await notifications(client, account) == []
        assert await policy_status(client, account) == status("1.0", "1.1", False)


async def test_a_material_version_not_yet_in_force_asks_to_accept_from_its_date(
    client: httpx.AsyncClient, viewers: Viewers, officer: SignedIn, clock: Clock
) -> None:
    me = await viewers.person()
    effective_on = clock().date() + timedelta(days=3)
    await published(client, officer, "2.0", effective_on, material=True)

    before = await policy_status(client, me)
    clock.advance(days=3)
    me = await viewers.sign_in(me.me)
    after = await policy_status(client, me)

    assert before == status("1.0", "1.0", False)
    assert after == status("1.0", "2.0", True)
    assert len(await notifications(client, me)) == 1
