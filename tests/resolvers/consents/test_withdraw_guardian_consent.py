"""withdrawGuardianConsent: the guardian withdraws with a code to their phone, and a minor's
account awaits a guardian's consent again; the consent records its policy version."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from auth.rate_limits import RateLimiter
from auth.senders import Outbox
from auth.services import AuthServices
from models import AccountStatus, GuardianConsent, PrivacyEvent
from tests.conftest import Clock
from tests.helpers import e164, graphql
from tests.resolvers.consents.helpers import GUARDIAN_PHONE, minor, record, send_code
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS, error
from tests.support.viewers import SignedIn, Viewers

MINOR_PHONE = "13812345678"
WITHDRAW = f"""
mutation($input: WithdrawGuardianConsentInput!) {{
  withdrawGuardianConsent(input: $input) {{ withdrawn {USER_ERRORS} }}
}}
"""
STATE = """
{ viewer { account { status ... on IndividualAccount { guardianConsent { grantedAt policyVersion } } } } }
"""
NO_SUCH_CONSENT = error(
    "NOT_FOUND", "No consent given with this guardian phone for this account.", "minorPhone"
)
GRANT = "mutation { setConsent(input: { purpose: TARGETED_PUSH, granted: true }) { userErrors { code } } }"


async def a_minute_later(clock: Clock, services: AuthServices) -> None:
    """The clock moves on; the sending limits keep real time, so they start afresh."""
    clock.advance(minutes=2)
    spent = services.limiter
    services.limiter = RateLimiter.from_url(None)
    await spent.close()


async def consented_minor(api: Api, viewers: Viewers, outbox: Outbox, **details: Any) -> SignedIn:
    """A minor (`minor`'s `details`) whose guardian has consented."""
    me = await minor(viewers, api.clock, **details)
    body = await record(api.client, me, await send_code(api.client, outbox, me))
    assert body["data"]["recordGuardianConsent"]["userErrors"] == [], body
    return me


async def code_a_minute_later(
    api: Api, outbox: Outbox, me: SignedIn, phone: str = GUARDIAN_PHONE
) -> str:
    """A minute later (`a_minute_later`), a GUARDIAN_CONSENT code sent to `phone`."""
    await a_minute_later(api.clock, api.services)
    return await send_code(api.client, outbox, me, phone=phone)


async def withdraw(
    client: httpx.AsyncClient,
    code: str,
    *,
    minor_phone: str = MINOR_PHONE,
    token: str | None = None,
) -> dict[str, Any]:
    body = await graphql(
        client,
        WITHDRAW,
        {"input": {"minorPhone": minor_phone, "guardianPhone": GUARDIAN_PHONE, "code": code}},
        token=token,
    )
    payload: dict[str, Any] = body["data"]["withdrawGuardianConsent"]
    return payload


async def test_the_consent_records_the_policy_version(
    api: Api, viewers: Viewers, outbox: Outbox
) -> None:
    me = await consented_minor(api, viewers, outbox)

    body = await graphql(api.client, STATE, token=me.token)

    assert body["data"]["viewer"]["account"] == {
        "status": "ACTIVE",
        "guardianConsent": {"grantedAt": api.clock().isoformat(), "policyVersion": "1.0"},
    }


async def test_the_guardian_withdraws_and_the_minor_awaits_a_guardian_again(
    api: Api, viewers: Viewers, outbox: Outbox
) -> None:
    me = await consented_minor(api, viewers, outbox)
    code = await code_a_minute_later(api, outbox, me)

    payload = await withdraw(api.client, code)
    state = await graphql(api.client, STATE, token=me.token)
    gated = await graphql(api.client, GRANT, token=me.token)

    assert payload == {"withdrawn": True, "userErrors": []}
    assert state["data"]["viewer"]["account"] == {
        "status": "PENDING_GUARDIAN_CONSENT",
        "guardianConsent": None,
    }
    assert gated["data"]["setConsent"]["userErrors"] == [{"code": "GUARDIAN_CONSENT_REQUIRED"}]
    notices = await graphql(
        api.client,
        "{ viewer { account { notifications { edges { node { kind title } } } } } }",
        token=me.token,
    )
    assert notices["data"]["viewer"]["account"]["notifications"]["edges"][0]["node"] == {
        "kind": "GUARDIAN_CONSENT",
        "title": "Your guardian withdrew their consent",
    }
    events = (await api.db.scalars(select(PrivacyEvent.type).order_by(PrivacyEvent.sequence))).all()
    assert events[-1] == "GuardianConsentWithdrawn"
    # A guardian consents again as before.
    again = await record(api.client, me, await code_a_minute_later(api, outbox, me))
    assert again["data"]["recordGuardianConsent"] == {
        "account": {"status": "ACTIVE"},
        "userErrors": [],
    }


async def test_a_wrong_code_or_another_guardian_withdraws_nothing(
    api: Api, viewers: Viewers, outbox: Outbox
) -> None:
    me = await consented_minor(api, viewers, outbox)
    code = await code_a_minute_later(api, outbox, me)
    wrong = "000000" if code != "000000" else "111111"

    refused = await withdraw(api.client, wrong)
    unknown_minor = await withdraw(api.client, code, minor_phone="13700000000")
    other_code = await code_a_minute_later(api, outbox, me, phone="13600000000")
    other_guardian = await graphql(
        api.client,
        WITHDRAW,
        {"input": {"minorPhone": MINOR_PHONE, "guardianPhone": "13600000000", "code": other_code}},
    )

    assert refused == {
        "withdrawn": False,
        "userErrors": [error("INVALID_CODE", "The code is not right.", "code")],
    }
    assert unknown_minor == {"withdrawn": False, "userErrors": [NO_SUCH_CONSENT]}
    assert other_guardian["data"]["withdrawGuardianConsent"] == {
        "withdrawn": False,
        "userErrors": [NO_SUCH_CONSENT],
    }
    stored = (await api.db.scalars(select(GuardianConsent))).all()
    assert [row.guardian_phone for row in stored] == [e164(GUARDIAN_PHONE)]


async def test_an_adult_s_account_stays_active_when_the_old_consent_goes(
    api: Api, viewers: Viewers, outbox: Outbox
) -> None:
    me = await consented_minor(api, viewers, outbox)
    me.me.birth_date = date(api.clock().date().year - 19, 1, 1)
    await api.db.commit()

    payload = await withdraw(api.client, await code_a_minute_later(api, outbox, me))
    state = await graphql(api.client, STATE, token=me.token)

    assert payload == {"withdrawn": True, "userErrors": []}
    assert state["data"]["viewer"]["account"] == {"status": "ACTIVE", "guardianConsent": None}
    await api.db.refresh(me.me)
    assert me.me.status is AccountStatus.ACTIVE


async def test_a_code_spent_on_a_refused_withdrawal_stays_spent(
    api: Api, viewers: Viewers, outbox: Outbox
) -> None:
    """The code is used up before the minor's account is looked up; the refusal that
    follows is an answer, and the use of the code is kept with it."""
    me = await consented_minor(api, viewers, outbox)
    code = await code_a_minute_later(api, outbox, me)

    unknown_minor = await withdraw(api.client, code, minor_phone="13700000000")
    again = await withdraw(api.client, code)

    assert unknown_minor == {"withdrawn": False, "userErrors": [NO_SUCH_CONSENT]}
    assert again == {
        "withdrawn": False,
        "userErrors": [error("INVALID_CODE", "The code is not right.", "code")],
    }


async def test_the_guardian_of_a_minor_without_a_phone_can_withdraw(
    api: Api, viewers: Viewers, outbox: Outbox
) -> None:
    me = await consented_minor(api, viewers, outbox, phone=None)
    code = await code_a_minute_later(api, outbox, me)

    body = await graphql(
        api.client, WITHDRAW, {"input": {"guardianPhone": GUARDIAN_PHONE, "code": code}}
    )
    state = await graphql(api.client, STATE, token=me.token)

    assert body == {"data": {"withdrawGuardianConsent": {"withdrawn": True, "userErrors": []}}}
    assert state["data"]["viewer"]["account"]["status"] == "PENDING_GUARDIAN_CONSENT"


async def test_without_the_minor_s_phone_every_consent_of_the_guardian_goes(
    api: Api, viewers: Viewers, outbox: Outbox
) -> None:
    with_phone = await consented_minor(api, viewers, outbox)
    await a_minute_later(api.clock, api.services)
    without_phone = await consented_minor(api, viewers, outbox, years=16, phone=None)
    code = await code_a_minute_later(api, outbox, with_phone)

    body = await graphql(
        api.client, WITHDRAW, {"input": {"guardianPhone": GUARDIAN_PHONE, "code": code}}
    )
    states = [
        (await graphql(api.client, STATE, token=who.token))["data"]["viewer"]["account"]
        for who in (with_phone, without_phone)
    ]
    again_code = await code_a_minute_later(api, outbox, with_phone)
    again = await graphql(
        api.client, WITHDRAW, {"input": {"guardianPhone": GUARDIAN_PHONE, "code": again_code}}
    )

    assert body == {"data": {"withdrawGuardianConsent": {"withdrawn": True, "userErrors": []}}}
    assert states == [{"status": "PENDING_GUARDIAN_CONSENT", "guardianConsent": None}] * 2
    # Nothing left to withdraw: said on the guardian's phone, to its proven holder only.
    assert again["data"]["withdrawGuardianConsent"] == {
        "withdrawn": False,
        "userErrors": [
            error("NOT_FOUND", "No consent was given with this guardian phone.", "guardianPhone")
        ],
    }
