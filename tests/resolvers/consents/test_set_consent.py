"""`setConsent` over HTTP: every purpose, its history, and what withdrawing erases."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AccountStatus,
    BankCard,
    Consent,
    ConsentEvent,
    ConsentPurpose,
    RealNameVerification,
    SearchEntry,
    StaffRole,
    StudentVerification,
)
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.consents.helpers import history
from tests.resolvers.policies.helpers import publish
from tests.support.assertions import USER_ERRORS, error
from tests.support.factories import bank_card, verification
from tests.support.students import student_verification
from tests.support.viewers import SignedIn, Viewers

CONSENT_FIELDS = (
    "purpose granted separate policyVersion updatedAt history { granted policyVersion at }"
)
SET_CONSENT = f"""
mutation($input: SetConsentInput!) {{
  setConsent(input: $input) {{ consent {{ {CONSENT_FIELDS} }} erased {USER_ERRORS} }}
}}
"""
MY_CONSENTS = f"{{ viewer {{ account {{ consents {{ {CONSENT_FIELDS} }} }} }} }}"
ACCEPT = f"""
mutation($version: String!) {{
  acceptPrivacyPolicy(input: {{ version: $version }}) {{ account {{ id }} {USER_ERRORS} }}
}}
"""

# Written out rather than derived from the code under test: sensitive personal
# information and sharing with third parties need separate consent.
SEPARATE = {
    "SENSITIVE_REAL_NAME",
    "SENSITIVE_STUDENT",
    "SENSITIVE_BANK_CARD",
    "THIRD_PARTY_SHARING",
}
# Withdrawing these erases, at once and without step-up, what was collected only under
# them.
ERASING = {
    "SEARCH_HISTORY": "searchHistory",
    "SENSITIVE_REAL_NAME": "realNameVerification",
    "SENSITIVE_STUDENT": "studentVerification",
    "SENSITIVE_BANK_CARD": "bankCards",
}
PURPOSES = [purpose.value for purpose in ConsentPurpose]
POLICY_NOT_ACCEPTED = error(
    "POLICY_NOT_ACCEPTED", "Accept the current privacy policy before granting consent."
)


async def set_consent(
    client: httpx.AsyncClient, who: SignedIn | None, purpose: str, granted: bool
) -> dict[str, Any]:
    return await graphql(
        client,
        SET_CONSENT,
        {"input": {"purpose": purpose, "granted": granted}},
        token=who.token if who else None,
    )


async def publish_version_2(
    client: httpx.AsyncClient, officer: SignedIn, clock: Clock
) -> dict[str, Any]:
    """The officer publishes 2.0, material, in force today, asking no consent again."""
    summary, body = "Clearer wording.", "# Version 2.0"
    return await publish(
        client, officer, "2.0", clock().date(), material=True, summary=summary, body=body
    )


async def my_consents(client: httpx.AsyncClient, who: SignedIn) -> dict[str, dict[str, Any]]:
    body = await graphql(client, MY_CONSENTS, token=who.token)
    assert "errors" not in body, body
    return {c["purpose"]: c for c in body["data"]["viewer"]["account"]["consents"]}


def event(granted: bool, version: str, at: datetime) -> dict[str, Any]:
    return {"granted": granted, "policyVersion": version, "at": at.isoformat()}


def consent(
    purpose: str, granted: bool, version: str, at: datetime, history: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "granted": granted,
        "separate": purpose in SEPARATE,
        "policyVersion": version,
        "updatedAt": at.isoformat(),
        "history": history,
    }


def never_granted(purpose: str) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "granted": False,
        "separate": purpose in SEPARATE,
        "policyVersion": None,
        "updatedAt": None,
        "history": [],
    }


async def stored_events(db: AsyncSession, account_id: uuid.UUID) -> list[tuple[Any, ...]]:
    columns = ("id", "purpose", "granted", "policy_version", "created_at")
    return await history(db, ConsentEvent, account_id, *columns)


async def count(db: AsyncSession, model: Any, account_id: uuid.UUID) -> int:
    statement = select(func.count()).select_from(model).where(model.account_id == account_id)
    return int(await db.scalar(statement) or 0)


# --- what was collected under each separate consent -------------------------------------


async def add_real_name(db: AsyncSession, account_id: uuid.UUID, now: datetime) -> None:
    db.add(verification(RealNameVerification, account_id, now, verified_at=now))


async def add_student(db: AsyncSession, account_id: uuid.UUID, now: datetime) -> None:
    db.add(student_verification(account_id, now, verified_at=now))


async def add_bank_cards(db: AsyncSession, account_id: uuid.UUID, now: datetime) -> None:
    for number in ("6222020200112233445", "4111111111111111"):
        db.add(bank_card(account_id, number, now))


async def add_searches(db: AsyncSession, account_id: uuid.UUID, now: datetime) -> None:
    for query in ("chairs", "lamps"):
        entry = SearchEntry(account_id=account_id, created_at=now)
        entry.query = query
        db.add(entry)


async def collect_everything(db: AsyncSession, account_id: uuid.UUID, now: datetime) -> None:
    await add_searches(db, account_id, now)
    await add_real_name(db, account_id, now)
    await add_student(db, account_id, now)
    await add_bank_cards(db, account_id, now)
    await db.commit()


async def collected(db: AsyncSession, account_id: uuid.UUID) -> dict[str, int]:
    return {
        "searchHistory": await count(db, SearchEntry, account_id),
        "realNameVerification": await count(db, RealNameVerification, account_id),
        "studentVerification": await count(db, StudentVerification, account_id),
        "bankCards": await count(db, BankCard, account_id),
    }


EVERYTHING = {
    "searchHistory": 2,
    "realNameVerification": 1,
    "studentVerification": 1,
    "bankCards": 2,
}


# --- starting state ---------------------------------------------------------------------


async def test_no_purpose_is_granted_until_granted(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    me = await viewers.person()

    body = await graphql(client, MY_CONSENTS, token=me.token)

    assert body == {
        "data": {
            "viewer": {"account": {"consents": [never_granted(purpose) for purpose in PURPOSES]}}
        }
    }


# --- granting ----------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", PURPOSES)
async def test_granting_appends_an_event_with_the_version_in_force(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession, purpose: str
) -> None:
    me = await viewers.person()
    clock.advance(minutes=1)

    body = await set_consent(client, me, purpose, True)

    granted = consent(purpose, True, "1.0", clock(), [event(True, "1.0", clock())])
    assert body == {"data": {"setConsent": {"consent": granted, "erased": [], "userErrors": []}}}
    consents = await my_consents(client, me)
    assert consents[purpose] == granted
    assert [c for p, c in consents.items() if p != purpose] == [
        never_granted(p) for p in PURPOSES if p != purpose
    ]
    assert [row[1:] for row in await stored_events(db, me.me.id)] == [
        (ConsentPurpose(purpose), True, "1.0", clock())
    ]


@pytest.mark.parametrize("purpose", PURPOSES)
async def test_withdrawing_appends_an_event_and_keeps_the_history(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession, purpose: str
) -> None:
    me = await viewers.person()
    granted_at = clock()
    await set_consent(client, me, purpose, True)
    before = await stored_events(db, me.me.id)
    clock.advance(minutes=10)
    withdrawn_at = clock()

    body = await set_consent(client, me, purpose, False)

    history = [event(True, "1.0", granted_at), event(False, "1.0", withdrawn_at)]
    withdrawn = consent(purpose, False, "1.0", withdrawn_at, history)
    assert body == {"data": {"setConsent": {"consent": withdrawn, "erased": [], "userErrors": []}}}
    assert (await my_consents(client, me))[purpose] == withdrawn
    after = await stored_events(db, me.me.id)
    assert after[:1] == before
    assert [row[1:] for row in after[1:]] == [(ConsentPurpose(purpose), False, "1.0", withdrawn_at)]


async def test_events_keep_the_version_they_were_given_under(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession
) -> None:
    me = await viewers.person()
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)
    first = clock()
    await set_consent(client, me, "TARGETED_PUSH", True)
    rows_under_1 = await stored_events(db, me.me.id)
    clock.advance(minutes=1)
    published = await publish_version_2(client, officer, clock)
    assert published["data"]["publishPrivacyPolicy"]["userErrors"] == []
    accepted = await graphql(client, ACCEPT, {"version": "2.0"}, token=me.token)
    assert accepted["data"]["acceptPrivacyPolicy"]["userErrors"] == []
    clock.advance(minutes=5)
    second = clock()

    await set_consent(client, me, "TARGETED_PUSH", False)
    clock.advance(minutes=5)
    body = await set_consent(client, me, "TARGETED_PUSH", True)

    history = [event(True, "1.0", first), event(False, "2.0", second), event(True, "2.0", clock())]
    assert body["data"]["setConsent"]["consent"] == consent(
        "TARGETED_PUSH", True, "2.0", clock(), history
    )
    assert (await stored_events(db, me.me.id))[:1] == rows_under_1


# --- the policy must be accepted first ---------------------------------------------------


@pytest.mark.parametrize("purpose", PURPOSES)
async def test_granting_is_refused_while_the_policy_must_be_accepted(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession, purpose: str
) -> None:
    me = await viewers.person(accepted_policy_version=None)

    body = await set_consent(client, me, purpose, True)

    assert body == {
        "data": {"setConsent": {"consent": None, "erased": [], "userErrors": [POLICY_NOT_ACCEPTED]}}
    }
    assert await count(db, Consent, me.me.id) == 0
    assert await count(db, ConsentEvent, me.me.id) == 0


async def test_a_new_material_version_in_force_blocks_granting_until_accepted(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession
) -> None:
    me = await viewers.person()
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)
    clock.advance(minutes=1)
    await publish_version_2(client, officer, clock)

    refused = await set_consent(client, me, "ANALYTICS_COOKIES", True)
    stored_while_refused = await count(db, ConsentEvent, me.me.id)
    await graphql(client, ACCEPT, {"version": "2.0"}, token=me.token)
    clock.advance(minutes=1)
    granted = await set_consent(client, me, "ANALYTICS_COOKIES", True)

    assert refused["data"]["setConsent"] == {
        "consent": None,
        "erased": [],
        "userErrors": [POLICY_NOT_ACCEPTED],
    }
    assert stored_while_refused == 0
    assert granted["data"]["setConsent"]["consent"] == consent(
        "ANALYTICS_COOKIES", True, "2.0", clock(), [event(True, "2.0", clock())]
    )


async def test_withdrawing_needs_no_accepted_policy(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession, clock: Clock
) -> None:
    me = await viewers.person()
    await set_consent(client, me, "PERSONALIZED_RECOMMENDATIONS", True)
    me.me.accepted_policy_version = None
    await db.commit()
    clock.advance(minutes=1)

    body = await set_consent(client, me, "PERSONALIZED_RECOMMENDATIONS", False)

    assert body["data"]["setConsent"]["userErrors"] == []
    assert body["data"]["setConsent"]["consent"]["granted"] is False


# --- withdrawing erases what was collected only under the purpose -------------------------


@pytest.mark.parametrize("purpose", sorted(ERASING))
async def test_withdrawing_erases_what_was_collected_at_once_without_step_up(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession, purpose: str
) -> None:
    me = await viewers.person()
    someone_else = await viewers.person(phone="13700000000")
    await collect_everything(db, me.me.id, clock())
    await collect_everything(db, someone_else.me.id, clock())
    await set_consent(client, me, purpose, True)
    granted_at = clock()
    clock.advance(minutes=1)

    body = await set_consent(client, me, purpose, False)

    history = [event(True, "1.0", granted_at), event(False, "1.0", clock())]
    assert body == {
        "data": {
            "setConsent": {
                "consent": consent(purpose, False, "1.0", clock(), history),
                "erased": [ERASING[purpose]],
                "userErrors": [],
            }
        }
    }
    db.expunge_all()
    assert await collected(db, me.me.id) == {**EVERYTHING, ERASING[purpose]: 0}
    assert await collected(db, someone_else.me.id) == EVERYTHING


@pytest.mark.parametrize("purpose", PURPOSES)
async def test_a_minor_awaiting_guardian_consent_withdraws_every_purpose(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession, purpose: str
) -> None:
    me = await viewers.person()
    await collect_everything(db, me.me.id, clock())
    await set_consent(client, me, purpose, True)
    me.me.status = AccountStatus.PENDING_GUARDIAN_CONSENT
    await db.commit()
    clock.advance(minutes=1)

    withdrawn = await set_consent(client, me, purpose, False)
    granting = await set_consent(client, me, purpose, True)

    expected_erased = [ERASING[purpose]] if purpose in ERASING else []
    assert withdrawn["data"]["setConsent"]["userErrors"] == []
    assert withdrawn["data"]["setConsent"]["erased"] == expected_erased
    assert withdrawn["data"]["setConsent"]["consent"]["granted"] is False
    assert granting == {
        "data": {
            "setConsent": {
                "consent": None,
                "erased": [],
                "userErrors": [
                    error(
                        "GUARDIAN_CONSENT_REQUIRED",
                        "A guardian must consent before this account can do that.",
                    )
                ],
            }
        }
    }
    db.expunge_all()
    assert await collected(db, me.me.id) == {
        **EVERYTHING,
        **({ERASING[purpose]: 0} if purpose in ERASING else {}),
    }


async def test_the_account_no_longer_shows_what_was_erased(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession
) -> None:
    me = await viewers.person()
    await collect_everything(db, me.me.id, clock())

    erased = [
        (await set_consent(client, me, purpose, False))["data"]["setConsent"]["erased"]
        for purpose in ["SEARCH_HISTORY", *sorted(set(ERASING) - {"SEARCH_HISTORY"})]
    ]
    body = await graphql(
        client,
        "{ viewer { account { bankCards { last4 }"
        " verifications { realName { status } student { status } } } } }",
        token=me.token,
    )

    assert erased == [
        ["searchHistory"],
        ["bankCards"],
        ["realNameVerification"],
        ["studentVerification"],
    ]
    assert body == {
        "data": {
            "viewer": {
                "account": {"bankCards": [], "verifications": {"realName": None, "student": None}}
            }
        }
    }


@pytest.mark.parametrize("purpose", sorted(ERASING))
async def test_erased_is_empty_when_nothing_was_collected(
    client: httpx.AsyncClient, viewers: Viewers, purpose: str
) -> None:
    me = await viewers.person()

    body = await set_consent(client, me, purpose, False)

    assert body["data"]["setConsent"]["erased"] == []
    assert body["data"]["setConsent"]["userErrors"] == []


@pytest.mark.parametrize("purpose", sorted(set(PURPOSES) - set(ERASING)))
async def test_withdrawing_other_purposes_erases_nothing_here(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession, purpose: str
) -> None:
    me = await viewers.person()
    await collect_everything(db, me.me.id, clock())
    await set_consent(client, me, purpose, True)

    body = await set_consent(client, me, purpose, False)

    assert body["data"]["setConsent"]["erased"] == []
    assert body["data"]["setConsent"]["userErrors"] == []
    assert await collected(db, me.me.id) == EVERYTHING


def test_the_written_out_sets_name_real_purposes() -> None:
    assert set(ERASING) | SEPARATE <= set(PURPOSES)
