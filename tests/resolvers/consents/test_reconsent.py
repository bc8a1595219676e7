"""After a material version, every consent for a purpose it names reads as not granted,
with needsReconsent, until the person grants it again under that version."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import PrivacyEvent, StaffRole
from resolvers.global_id import to_global_id
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.policies.helpers import ACCEPT, published
from tests.support.assertions import USER_ERRORS
from tests.support.viewers import SignedIn, Viewers

CONSENTS = """
{ viewer { account { consents { purpose granted policyVersion needsReconsent } } } }
"""
SET_CONSENT = f"""
mutation($purpose: ConsentPurpose!, $granted: Boolean!) {{
  setConsent(input: {{ purpose: $purpose, granted: $granted }}) {{
    consent {{ purpose granted policyVersion needsReconsent }} {USER_ERRORS}
  }}
}}
"""
RECORD_SEARCH = 'mutation { recordSearch(input: { query: "lamps" }) { recorded } }'


async def grant(
    client: httpx.AsyncClient, who: SignedIn, purpose: str, granted: bool = True
) -> dict[str, Any]:
    body = await graphql(
        client, SET_CONSENT, {"purpose": purpose, "granted": granted}, token=who.token
    )
    assert body["data"]["setConsent"]["userErrors"] == [], body
    consent: dict[str, Any] = body["data"]["setConsent"]["consent"]
    return consent


async def consents(client: httpx.AsyncClient, who: SignedIn) -> dict[str, dict[str, Any]]:
    body = await graphql(client, CONSENTS, token=who.token)
    return {c["purpose"]: c for c in body["data"]["viewer"]["account"]["consents"]}


async def material_version(
    client: httpx.AsyncClient,
    officer: SignedIn,
    effective_on: date,
    summary: str,
    affected: list[str],
) -> None:
    """The officer publishes 2.0, material from `effective_on`, asking again for `affected`."""
    await published(
        client, officer, "2.0", effective_on, material=True, summary=summary, affected=affected
    )


@pytest.fixture
async def officer(viewers: Viewers) -> SignedIn:
    """A privacy officer, stepped up as publishing needs."""
    return await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)


def state(purpose: str, granted: bool, version: str | None, again: bool) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "granted": granted,
        "policyVersion": version,
        "needsReconsent": again,
    }


async def test_a_consent_named_by_a_material_version_waits_for_the_person_to_grant_it_again(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession
) -> None:
    me = await viewers.person()
    for purpose in ("THIRD_PARTY_SHARING", "TARGETED_PUSH", "ANALYTICS_COOKIES"):
        await grant(client, me, purpose)
    await grant(client, me, "ANALYTICS_COOKIES", False)
    clock.advance(days=1)
    me = await viewers.sign_in(me.me)  # access tokens live 15 minutes
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)

    affected = ["THIRD_PARTY_SHARING", "ANALYTICS_COOKIES"]
    await material_version(client, officer, clock().date(), "We share with new partners.", affected)
    after = await consents(client, me)
    accepted = await graphql(client, ACCEPT, {"version": "2.0"}, token=me.token)
    again = await grant(client, me, "THIRD_PARTY_SHARING")

    assert after["THIRD_PARTY_SHARING"] == state("THIRD_PARTY_SHARING", False, "1.0", True)
    assert after["TARGETED_PUSH"] == state("TARGETED_PUSH", True, "1.0", False)
    # Withdrawn already: nothing to give again.
    assert after["ANALYTICS_COOKIES"] == state("ANALYTICS_COOKIES", False, "1.0", False)
    assert accepted["data"]["acceptPrivacyPolicy"]["userErrors"] == []
    assert again == state("THIRD_PARTY_SHARING", True, "2.0", False)
    [event] = (
        await db.scalars(select(PrivacyEvent).where(PrivacyEvent.type == "PrivacyPolicyPublished"))
    ).all()
    assert (event.account_id, event.payload) == (
        None,
        {
            "accountId": None,
            "data": {
                "version": "2.0",
                "effectiveOn": clock().date().isoformat(),
                "material": True,
                "affectedPurposes": ["THIRD_PARTY_SHARING", "ANALYTICS_COOKIES"],
            },
        },
    )


async def test_a_version_asks_again_only_from_the_day_it_takes_effect(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, officer: SignedIn
) -> None:
    me = await viewers.person()
    await grant(client, me, "THIRD_PARTY_SHARING")
    in_a_week = clock().date() + timedelta(days=7)

    await material_version(client, officer, in_a_week, "New partners.", ["THIRD_PARTY_SHARING"])
    before = await consents(client, me)
    clock.advance(days=7)
    me = await viewers.sign_in(me.me)
    from_then = await consents(client, me)

    assert before["THIRD_PARTY_SHARING"] == state("THIRD_PARTY_SHARING", True, "1.0", False)
    assert from_then["THIRD_PARTY_SHARING"] == state("THIRD_PARTY_SHARING", False, "1.0", True)


async def test_nothing_is_collected_under_a_consent_that_waits_to_be_given_again(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, officer: SignedIn
) -> None:
    me = await viewers.person()
    await grant(client, me, "SEARCH_HISTORY")
    recorded = await graphql(client, RECORD_SEARCH, token=me.token)
    clock.advance(minutes=1)
    today = clock().date()

    await material_version(
        client, officer, today, "Searches feed recommendations.", ["SEARCH_HISTORY"]
    )
    waiting = await graphql(client, RECORD_SEARCH, token=me.token)
    await graphql(client, ACCEPT, {"version": "2.0"}, token=me.token)
    await grant(client, me, "SEARCH_HISTORY")
    resumed = await graphql(client, RECORD_SEARCH, token=me.token)

    assert [b["data"]["recordSearch"]["recorded"] for b in (recorded, waiting, resumed)] == [
        True,
        False,
        True,
    ]


async def test_services_read_the_consent_as_not_granted_too(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, officer: SignedIn
) -> None:
    me = await viewers.person()
    await grant(client, me, "TARGETED_PUSH")
    await material_version(client, officer, clock().date(), "Push by partners.", ["TARGETED_PUSH"])

    body = await graphql(
        client,
        """query($id: ID!) { consentStatus(accountId: $id, purposes: [TARGETED_PUSH]) {
          consents { purpose granted needsReconsent } } }""",
        {"id": to_global_id("IndividualAccount", me.me.id)},
        token=officer.token,
    )

    assert body == {
        "data": {
            "consentStatus": {
                "consents": [{"purpose": "TARGETED_PUSH", "granted": False, "needsReconsent": True}]
            }
        }
    }
