"""submitRealNameVerification over HTTP.

The rules: docs/spec/settings.md#real-name-verification and
docs/spec/privacy-centre.md#minors.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.identity_verifier import VerificationOutcome
from auth.senders import Outbox
from auth.services import AuthServices
from models import (
    AccountStatus,
    AuthSession,
    BankCard,
    Consent,
    ConsentEvent,
    ConsentPurpose,
    GuardianConsent,
    IdentityProvider,
    RealNameVerification,
    ThirdPartyIdentity,
    VerificationStatus,
)
from resolvers.global_id import to_global_id
from tests.conftest import Clock
from tests.helpers import e164, graphql
from tests.resolvers.settings.helpers import (
    USER_ERRORS,
    StubVerifier,
    count,
    error,
    forbidden_for_staff,
    grants,
    id_check_character,
    iso,
    only_row,
    reloaded,
    resident_id,
    unauthenticated,
    years_before,
)
from tests.resolvers.verifications.helpers import CONSENT_REQUIRED, adult_id, out_of_bounds
from tests.support.api import Api
from tests.support.factories import bank_card
from tests.support.viewers import KINDS, SignedIn, Viewers

NAME = "张三"
REAL_NAME = "status realName idNumber submittedAt verifiedAt rejectionReason"
SUBMIT = f"""
mutation($input: SubmitRealNameVerificationInput!) {{
  submitRealNameVerification(input: $input) {{
    verifications {{ realName {{ {REAL_NAME} }} student {{ status }} }}
    {USER_ERRORS}
  }}
}}
"""
VIEWER = f"""
{{
  viewer {{
    account {{
      status
      verifications {{ realName {{ {REAL_NAME} }} }}
      ... on IndividualAccount {{ birthDate }}
    }}
  }}
}}
"""
UPDATE_PROFILE = f"""
mutation {{ updateProfile(input: {{ bio: "hello" }}) {{ {USER_ERRORS} }} }}
"""
REQUEST_LOGIN_CODE = """
mutation($phone: String!) { requestSmsCode(input: { phone: $phone, purpose: LOGIN }) { sent } }
"""
LOGIN_WITH_SMS = f"""
mutation($input: LoginWithSmsInput!) {{
  loginWithSms(input: $input) {{ isNewAccount account {{ id status }} {USER_ERRORS} }}
}}
"""
CONTACT_REQUIRED = error(
    "CONTACT_REQUIRED",
    "Bind a phone or confirm an e-mail address before real-name verification.",
)
INVALID_ID_NUMBER = error(
    "INVALID_ID_NUMBER", "This is not a valid resident ID number.", "idNumber"
)
INVALID_NAME = out_of_bounds("realName", 50)
MINOR_UNDER_14 = error(
    "MINOR_UNDER_14",
    "Children under 14 may not hold an account; it has been cancelled.",
    "idNumber",
)
PENDING_REASON = "The verification service did not answer; submit again later."


def born(clock: Clock, years: int, days: int = 0) -> date:
    """The birth date of someone `years` old today, `days` later."""
    return years_before(clock().date(), years) + timedelta(days=days)


def masked_id(value: str) -> str:
    return value[0] + "*" * 16 + value[-1]


async def submit(
    client: httpx.AsyncClient,
    token: str | None,
    id_number: str,
    real_name: str = NAME,
    separate_consent: bool = True,
) -> dict[str, Any]:
    variables = {
        "input": {
            "realName": real_name,
            "idNumber": id_number,
            "separateConsent": separate_consent,
        }
    }
    return await graphql(client, SUBMIT, variables, token=token)


def answered(real_name: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "submitRealNameVerification": {
                "verifications": {"realName": real_name, "student": None},
                "userErrors": [],
            }
        }
    }


STEP_UP_REQUIRED = error("STEP_UP_REQUIRED", "Confirm it is you (elevateSession), then try again.")


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "submitRealNameVerification": {"verifications": None, "userErrors": list(user_errors)}
        }
    }


def verification(
    clock: Clock, id_number: str, status: str = "VERIFIED", reason: str | None = None
) -> dict[str, Any]:
    return {
        "status": status,
        "realName": "*三",
        "idNumber": masked_id(id_number),
        "submittedAt": iso(clock()),
        "verifiedAt": iso(clock()) if status == "VERIFIED" else None,
        "rejectionReason": reason,
    }


async def nothing_stored(db: AsyncSession, viewer: SignedIn) -> bool:
    return (
        await count(db, RealNameVerification, account_id=viewer.me.id),
        await count(db, Consent, account_id=viewer.me.id),
        await count(db, ConsentEvent, account_id=viewer.me.id),
    ) == (0, 0, 0)


async def read_viewer(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await graphql(client, VIEWER, token=token)
    assert "errors" not in body, body
    account: dict[str, Any] = body["data"]["viewer"]["account"]
    return account


async def with_a_contact(viewers: Viewers, kind: str, clock: Clock) -> SignedIn:
    """A viewer of `kind` that may verify: a bound phone, or a confirmed e-mail address."""
    if kind == "business":
        return await viewers.business(email_verified_at=clock())
    if kind == "sub_account":
        return await viewers.sub_account(phone="13700137000")
    return await viewers.of_kind(kind)


async def test_anonymous_callers_must_sign_in(client: httpx.AsyncClient, clock: Clock) -> None:
    body = await submit(client, None, adult_id(clock))

    assert body == unauthenticated(SUBMIT, "submitRealNameVerification")


async def test_staff_have_no_real_name_to_verify(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock
) -> None:
    staff = await viewers.staff()

    body = await submit(client, staff.token, adult_id(clock))

    assert body == forbidden_for_staff(SUBMIT, "submitRealNameVerification")


@pytest.mark.parametrize("kind", KINDS)
async def test_a_valid_submission_is_verified_masked_and_its_consent_recorded(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock, kind: str
) -> None:
    viewer = await with_a_contact(viewers, kind, clock)
    id_number = adult_id(clock)

    body = await submit(client, viewer.token, f" {id_number} ", real_name=f"  {NAME} ")

    assert body == answered(verification(clock, id_number))
    assert await count(db, ConsentEvent, account_id=viewer.me.id) == 1
    assert await grants(db, viewer.me.id, ConsentPurpose.SENSITIVE_REAL_NAME) == (1, 1)
    stored = await only_row(db, RealNameVerification, viewer.me.id)
    assert (stored.account_id, stored.real_name, stored.id_number, stored.status) == (
        viewer.me.id,
        NAME,
        id_number,
        VerificationStatus.VERIFIED,
    )


async def test_the_individual_reads_its_verification_and_birth_date_back(
    client: httpx.AsyncClient, individual: SignedIn, clock: Clock
) -> None:
    birth = born(clock, 30)
    id_number = resident_id(birth)

    await submit(client, individual.token, id_number.lower())

    assert await read_viewer(client, individual.token) == {
        "status": "ACTIVE",
        "verifications": {"realName": verification(clock, id_number)},
        "birthDate": birth.isoformat(),
    }


@pytest.mark.parametrize("kind", ["individual", "business"])
async def test_without_a_phone_or_confirmed_email_the_contact_is_asked_for_first(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock, kind: str
) -> None:
    if kind == "individual":
        # A WeChat-only person.
        viewer = await viewers.individual(phone=None)
    else:
        # A business registers with an e-mail address it has not confirmed.
        viewer = await viewers.business(email="biz@example.com")

    body = await submit(client, viewer.token, adult_id(clock))

    assert body == refused(CONTACT_REQUIRED)
    assert await nothing_stored(db, viewer)


async def test_a_confirmed_email_is_contact_enough(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock
) -> None:
    viewer = await viewers.individual(
        phone=None, email="person@example.com", email_verified_at=clock()
    )
    id_number = adult_id(clock)

    body = await submit(client, viewer.token, id_number)

    assert body == answered(verification(clock, id_number))


def _with_check(first17: str) -> str:
    """17 digits and their right check character: only the digits can be wrong."""
    return first17 + id_check_character(first17)


def _wrong_check(valid: str) -> str:
    wrong = "0" if valid[-1] != "0" else "1"
    return valid[:-1] + wrong


async def test_a_birth_date_after_today_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, individual: SignedIn, clock: Clock
) -> None:
    body = await submit(client, individual.token, resident_id(clock().date() + timedelta(days=1)))

    assert body == refused(INVALID_ID_NUMBER)
    assert await nothing_stored(db, individual)
    assert (await reloaded(db, individual.me)).status is AccountStatus.ACTIVE


INVALID_ID_NUMBERS = {
    "wrong-check-character": _wrong_check(resident_id(date(1990, 5, 17))),
    "30-february": _with_check("11010519900230001"),
    "month-13": _with_check("11010519901301001"),
    "before-1900": _with_check("11010518991231001"),
    "unknown-province": _with_check("99010519900517001"),
    "province-00": _with_check("00010519900517001"),
    "old-15-digit-number": "110105900517001",
    "19-characters": resident_id(date(1990, 5, 17)) + "1",
    "letter-not-x": "11010519900517001Y",
    "full-width-digits": "１１０１０５１９９００５１７００１",
    "empty": "",
}


@pytest.mark.parametrize(
    ("changes", "user_errors"),
    [
        pytest.param(
            {"separate_consent": False}, [CONSENT_REQUIRED], id="without-separate-consent"
        ),
        *(
            pytest.param({"id_number": number}, [INVALID_ID_NUMBER], id=f"id-number-{name}")
            for name, number in INVALID_ID_NUMBERS.items()
        ),
        # A name of no or too many characters.
        *(
            pytest.param({"real_name": name}, [INVALID_NAME], id=f"name-of-{len(name)}")
            for name in ["", "   ", "张" * 51]
        ),
        pytest.param(
            {"id_number": "123", "real_name": "", "separate_consent": False},
            [CONSENT_REQUIRED, INVALID_NAME, INVALID_ID_NUMBER],
            id="every-problem-at-once",
        ),
    ],
)
async def test_a_submission_with_a_problem_is_refused_and_nothing_stored(
    api: Api, individual: SignedIn, changes: dict[str, Any], user_errors: list[dict[str, Any]]
) -> None:
    """An adult's submission but for `changes`."""
    submission = {"id_number": adult_id(api.clock), **changes}

    body = await submit(api.client, individual.token, **submission)

    assert body == refused(*user_errors)
    assert await nothing_stored(api.db, individual)


async def test_a_rejection_by_the_verifier_is_stored_with_its_reason(
    api: Api, individual: SignedIn
) -> None:
    reason = "The name does not match the ID number."
    api.services.verifier = StubVerifier(
        VerificationOutcome(verified=False, rejection_reason=reason)
    )
    id_number = adult_id(api.clock)

    body = await submit(api.client, individual.token, id_number)

    assert body == answered(verification(api.clock, id_number, "REJECTED", reason))
    # The data were collected under the consent: it is recorded all the same.
    assert (
        await count(
            api.db,
            ConsentEvent,
            account_id=individual.me.id,
            purpose=ConsentPurpose.SENSITIVE_REAL_NAME,
        )
        == 1
    )


async def test_the_verifier_gets_the_normalised_submission(
    client: httpx.AsyncClient, individual: SignedIn, services: AuthServices, clock: Clock
) -> None:
    verifier = StubVerifier(VerificationOutcome(verified=True, rejection_reason=None))
    services.verifier = verifier
    birth = born(clock, 30)
    id_number = next(
        value
        for value in (resident_id(birth, sequence=f"{n:03d}") for n in range(100))
        if value.endswith("X")
    )

    await submit(client, individual.token, f" {id_number.lower()} ", real_name=f" {NAME}  ")

    [request] = verifier.requests
    assert (request.kind, request.real_name, request.id_number) == ("REAL_NAME", NAME, id_number)
    assert (request.school, request.verification_code) == (None, None)


async def test_an_unanswered_verification_stays_pending(api: Api, individual: SignedIn) -> None:
    api.services.verifier = StubVerifier(None)
    id_number = adult_id(api.clock)

    body = await submit(api.client, individual.token, id_number)

    assert body == answered(verification(api.clock, id_number, "PENDING", PENDING_REASON))
    assert (
        await count(
            api.db,
            RealNameVerification,
            account_id=individual.me.id,
            status=VerificationStatus.PENDING,
        )
        == 1
    )


async def test_a_new_submission_replaces_the_last_one(api: Api, individual: SignedIn) -> None:
    api.services.verifier = StubVerifier(None)
    await submit(api.client, individual.token, resident_id(born(api.clock, 40)), real_name="李四")
    api.services.verifier = StubVerifier(VerificationOutcome(verified=True, rejection_reason=None))
    api.clock.advance(minutes=1)
    id_number = adult_id(api.clock)

    body = await submit(api.client, individual.token, id_number)

    assert body == answered(verification(api.clock, id_number))
    assert await count(api.db, RealNameVerification, account_id=individual.me.id) == 1
    # The consent was given once and is not recorded again.
    assert await count(api.db, ConsentEvent, account_id=individual.me.id) == 1


async def _holdings(db: AsyncSession, viewer: SignedIn, clock: Clock) -> None:
    """Give the account a card and a WeChat identity, as it would have by then."""
    account = viewer.me
    card = bank_card(
        account.id, "6222020200112345679", clock(), bank_name="中国工商银行", holder_name=NAME
    )
    identity = ThirdPartyIdentity(
        account_id=account.id, provider=IdentityProvider.WECHAT, created_at=clock()
    )
    identity.open_id = "o-child-openid"
    db.add_all([card, identity])
    account.email = "child@example.com"
    await db.commit()


async def test_under_14_needs_a_step_up_and_changes_nothing_without_one(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    """Every path that ends an account needs step-up: a stolen token ends nothing."""
    viewer = await viewers.individual(phone="13812345678")
    await _holdings(db, viewer, clock)

    body = await submit(client, viewer.token, resident_id(born(clock, 10)))

    assert body == refused(STEP_UP_REQUIRED)
    account = await reloaded(db, viewer.me)
    assert (account.status, account.phone) == (AccountStatus.ACTIVE, e164("13812345678"))
    assert await count(db, BankCard, account_id=viewer.me.id) == 1
    assert await count(db, RealNameVerification, account_id=viewer.me.id) == 0


async def test_under_14_cancels_the_account_and_erases_its_data(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    viewer = await viewers.step_up(await viewers.individual(phone="13812345678"))
    await _holdings(db, viewer, clock)

    body = await submit(client, viewer.token, resident_id(born(clock, 10)))

    assert body == refused(MINOR_UNDER_14)
    account = await reloaded(db, viewer.me)
    assert account.status is AccountStatus.CANCELLED
    assert (account.phone, account.phone_index, account.email, account.email_index) == (
        None,
        None,
        None,
        None,
    )
    assert account.birth_date is None
    assert await count(db, BankCard, account_id=viewer.me.id) == 0
    assert await count(db, ThirdPartyIdentity, account_id=viewer.me.id) == 0
    assert await count(db, RealNameVerification, account_id=viewer.me.id) == 0
    assert await count(db, AuthSession, account_id=viewer.me.id, revoked_at=None) == 0
    # Its session ended with it.
    after = await client.post(
        "/graphql",
        json={"query": "{ viewer { elevatedUntil } }"},
        headers={"Authorization": f"Bearer {viewer.token}"},
    )
    assert after.status_code == 401


async def test_the_phone_of_a_cancelled_child_registers_a_new_account(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox, clock: Clock
) -> None:
    viewer = await viewers.step_up(await viewers.individual(phone="13812345678"))
    await submit(client, viewer.token, resident_id(born(clock, 13)))

    sent = await graphql(client, REQUEST_LOGIN_CODE, {"phone": "13812345678"})
    assert sent == {"data": {"requestSmsCode": {"sent": True}}}
    [message, *_] = outbox.for_recipient(e164("13812345678"))
    variables = {
        "input": {"phone": "13812345678", "code": message.code, "acceptPolicyVersion": "1.0"}
    }
    body = await graphql(client, LOGIN_WITH_SMS, variables)

    payload = body["data"]["loginWithSms"]
    assert (payload["isNewAccount"], payload["account"]["status"], payload["userErrors"]) == (
        True,
        "ACTIVE",
        [],
    )
    assert payload["account"]["id"] != to_global_id("IndividualAccount", viewer.me.id)
    assert (await reloaded(db, viewer.me)).status is AccountStatus.CANCELLED


async def test_the_day_before_the_14th_birthday_is_under_14(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    viewer = await viewers.step_up(await viewers.individual())

    body = await submit(client, viewer.token, resident_id(born(clock, 14, days=1)))

    assert body == refused(MINOR_UNDER_14)
    assert (await reloaded(db, viewer.me)).status is AccountStatus.CANCELLED


@pytest.mark.parametrize(("years", "days"), [(14, 0), (16, 0), (17, 0), (18, 1)])
async def test_14_to_17_needs_a_guardians_consent(
    client: httpx.AsyncClient,
    db: AsyncSession,
    individual: SignedIn,
    clock: Clock,
    years: int,
    days: int,
) -> None:
    id_number = resident_id(born(clock, years, days))

    body = await submit(client, individual.token, id_number)
    next_mutation = await graphql(client, UPDATE_PROFILE, token=individual.token)

    assert body == answered(verification(clock, id_number))
    assert (await reloaded(db, individual.me)).status is AccountStatus.PENDING_GUARDIAN_CONSENT
    assert next_mutation == {
        "data": {
            "updateProfile": {
                "userErrors": [
                    error(
                        "GUARDIAN_CONSENT_REQUIRED",
                        "A guardian must consent before this account can do that.",
                    )
                ]
            }
        }
    }


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("individual", AccountStatus.PENDING_GUARDIAN_CONSENT),
        ("business", AccountStatus.ACTIVE),
        ("enterprise", AccountStatus.ACTIVE),
        ("sub_account", AccountStatus.ACTIVE),
    ],
)
async def test_only_an_individual_of_a_minor_awaits_a_guardian(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    clock: Clock,
    kind: str,
    status: AccountStatus,
) -> None:
    """A stolen token of an enterprise cannot freeze it with a 16-year-old's ID number."""
    viewer = await with_a_contact(viewers, kind, clock)

    body = await submit(client, viewer.token, resident_id(born(clock, 15)))

    assert body["data"]["submitRealNameVerification"]["userErrors"] == []
    assert (await reloaded(db, viewer.me)).status is status


@pytest.mark.parametrize("kind", ["business", "enterprise", "sub_account"])
async def test_an_account_of_another_kind_is_never_ended_by_a_childs_id_number(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock, kind: str
) -> None:
    """It is not the child's account: the verification is refused, nothing else changes,
    stepped up or not (a sub-account may not delete itself)."""
    viewer = await viewers.step_up(await with_a_contact(viewers, kind, clock))
    before = await reloaded(db, viewer.me)
    phone, email = before.phone, before.email

    body = await submit(client, viewer.token, resident_id(born(clock, 12)))

    assert body == refused(
        error("MINOR_UNDER_14", "A child under 14 cannot verify this account.", "idNumber")
    )
    account = await reloaded(db, viewer.me)
    assert (account.status, account.phone, account.email) == (AccountStatus.ACTIVE, phone, email)
    assert await count(db, RealNameVerification, account_id=viewer.me.id) == 0


async def test_an_18th_birthday_today_is_adult(
    client: httpx.AsyncClient, db: AsyncSession, individual: SignedIn, clock: Clock
) -> None:
    await submit(client, individual.token, resident_id(born(clock, 18)))

    assert (await reloaded(db, individual.me)).status is AccountStatus.ACTIVE


async def test_a_minor_whose_guardian_consented_stays_active(
    client: httpx.AsyncClient, db: AsyncSession, individual: SignedIn, clock: Clock
) -> None:
    consent = GuardianConsent(account_id=individual.me.id, granted_at=clock())
    consent.guardian_name = "张大"
    consent.guardian_phone = e164("13700137000")
    db.add(consent)
    await db.commit()

    await submit(client, individual.token, resident_id(born(clock, 16)))

    assert (await reloaded(db, individual.me)).status is AccountStatus.ACTIVE
