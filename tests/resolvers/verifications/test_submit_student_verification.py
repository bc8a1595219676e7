"""submitStudentVerification over HTTP (docs/spec/settings.md#student-verification)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.identity_verifier import VerificationOutcome
from auth.services import AuthServices
from models import ConsentEvent, ConsentPurpose, StudentVerification, VerificationStatus
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.settings.helpers import (
    USER_ERRORS,
    StubVerifier,
    count,
    error,
    forbidden_for_staff,
    grants,
    iso,
    only_row,
    resident_id,
    unauthenticated,
    years_before,
)
from tests.resolvers.verifications.helpers import (
    CONSENT_REQUIRED,
    out_of_bounds,
    verify_real_name,
)
from tests.support.api import Api
from tests.support.viewers import SignedIn, Viewers

NAME = "王小明"
CODE = "ABCD1234EFGH"
STUDENT = (
    "status realName idNumber school major enrolledOn graduatesOn submittedAt verifiedAt"
    " rejectionReason"
)
SUBMIT = f"""
mutation($input: SubmitStudentVerificationInput!) {{
  submitStudentVerification(input: $input) {{
    verifications {{ student {{ {STUDENT} }} }}
    {USER_ERRORS}
  }}
}}
"""
KIND_NOT_ALLOWED = error("KIND_NOT_ALLOWED", "Only individual accounts verify as students.")
NAME_MISMATCH = error(
    "NAME_MISMATCH", "The name and ID number must match your verified real name.", "realName"
)
AFTER_ENROLMENT = error("INVALID_INPUT", "graduatesOn must be after enrolledOn.", "graduatesOn")
INVALID_CODE = error(
    "INVALID_CODE", "The verification code has 10 to 16 letters or digits.", "verificationCode"
)
ENROLLED = date(2023, 9, 1)
GRADUATES = date(2027, 7, 1)


def student_id(clock: Clock, sequence: str = "002") -> str:
    return resident_id(years_before(clock().date(), 20), region="310101", sequence=sequence)


def submission(clock: Clock, **changes: Any) -> dict[str, Any]:
    return {
        "realName": NAME,
        "idNumber": student_id(clock),
        "verificationCode": CODE,
        "school": "复旦大学",
        "major": "Computer Science",
        "enrolledOn": ENROLLED.isoformat(),
        "graduatesOn": GRADUATES.isoformat(),
        "separateConsent": True,
        **changes,
    }


async def submit(
    client: httpx.AsyncClient, token: str | None, clock: Clock, **changes: Any
) -> dict[str, Any]:
    return await graphql(client, SUBMIT, {"input": submission(clock, **changes)}, token=token)


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "submitStudentVerification": {"verifications": None, "userErrors": list(user_errors)}
        }
    }


def answered(clock: Clock, status: str = "VERIFIED", reason: str | None = None) -> dict[str, Any]:
    id_number = student_id(clock)
    return {
        "data": {
            "submitStudentVerification": {
                "verifications": {
                    "student": {
                        "status": status,
                        "realName": "**明",
                        "idNumber": id_number[0] + "*" * 16 + id_number[-1],
                        "school": "复旦大学",
                        "major": "Computer Science",
                        "enrolledOn": ENROLLED.isoformat(),
                        "graduatesOn": GRADUATES.isoformat(),
                        "submittedAt": iso(clock()),
                        "verifiedAt": iso(clock()) if status == "VERIFIED" else None,
                        "rejectionReason": reason,
                    }
                },
                "userErrors": [],
            }
        }
    }


async def nothing_stored(db: AsyncSession, viewer: SignedIn) -> bool:
    return (
        await count(db, StudentVerification, account_id=viewer.me.id),
        await count(
            db, ConsentEvent, account_id=viewer.me.id, purpose=ConsentPurpose.SENSITIVE_STUDENT
        ),
    ) == (0, 0)


async def test_anonymous_callers_must_sign_in(client: httpx.AsyncClient, clock: Clock) -> None:
    body = await submit(client, None, clock)

    assert body == unauthenticated(SUBMIT, "submitStudentVerification")


async def test_staff_are_no_students(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock
) -> None:
    staff = await viewers.staff()

    body = await submit(client, staff.token, clock)

    assert body == forbidden_for_staff(SUBMIT, "submitStudentVerification")


async def test_an_individual_is_verified_as_a_student_and_its_consent_recorded(
    client: httpx.AsyncClient, db: AsyncSession, individual: SignedIn, clock: Clock
) -> None:
    body = await submit(client, individual.token, clock, realName=f" {NAME} ", school=" 复旦大学 ")

    assert body == answered(clock)
    assert await grants(db, individual.me.id, ConsentPurpose.SENSITIVE_STUDENT) == (1, 1)
    stored = await only_row(db, StudentVerification, individual.me.id)
    assert (stored.account_id, stored.real_name, stored.verification_code, stored.status) == (
        individual.me.id,
        NAME,
        CODE,
        VerificationStatus.VERIFIED,
    )


@pytest.mark.parametrize("kind", ["business", "enterprise", "sub_account"])
async def test_only_individuals_verify_as_students(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock, kind: str
) -> None:
    viewer = await viewers.of_kind(kind)

    body = await submit(client, viewer.token, clock)

    assert body == refused(KIND_NOT_ALLOWED)
    assert await nothing_stored(db, viewer)


async def test_a_verified_real_name_with_the_same_name_and_id_number_matches(
    client: httpx.AsyncClient, individual: SignedIn, clock: Clock
) -> None:
    await verify_real_name(client, individual.token, "王小明", student_id(clock))

    # Full-width and doubled spaces are the same name typed differently.
    body = await submit(client, individual.token, clock, realName="王小明\u3000")

    assert body == answered(clock)


@pytest.mark.parametrize(
    ("verified_name", "verified_sequence"),
    [pytest.param("王小红", "002", id="another-name"), pytest.param(NAME, "004", id="another-id")],
)
async def test_a_student_who_is_not_the_verified_real_name_is_refused(
    client: httpx.AsyncClient,
    db: AsyncSession,
    individual: SignedIn,
    clock: Clock,
    verified_name: str,
    verified_sequence: str,
) -> None:
    await verify_real_name(
        client, individual.token, verified_name, student_id(clock, sequence=verified_sequence)
    )

    body = await submit(client, individual.token, clock)

    assert body == refused(NAME_MISMATCH)
    assert await nothing_stored(db, individual)


async def test_a_real_name_that_is_not_verified_does_not_bind_the_student(
    client: httpx.AsyncClient, individual: SignedIn, services: AuthServices, clock: Clock
) -> None:
    services.verifier = StubVerifier(VerificationOutcome(verified=False, rejection_reason="No."))
    await verify_real_name(client, individual.token, "李四", student_id(clock, sequence="004"))
    services.verifier = StubVerifier(VerificationOutcome(verified=True, rejection_reason=None))

    body = await submit(client, individual.token, clock)

    assert body == answered(clock)


def dates(enrolled: date, graduates: date) -> dict[str, str]:
    return {"enrolledOn": enrolled.isoformat(), "graduatesOn": graduates.isoformat()}


@pytest.mark.parametrize(
    ("changes", "user_errors"),
    [
        pytest.param({"separateConsent": False}, [CONSENT_REQUIRED], id="without-separate-consent"),
        # Graduation must come after enrolment.
        pytest.param(dates(GRADUATES, GRADUATES), [AFTER_ENROLMENT], id="graduates-on-enrolment"),
        pytest.param(dates(GRADUATES, ENROLLED), [AFTER_ENROLMENT], id="graduates-before"),
        pytest.param(
            dates(ENROLLED, ENROLLED - timedelta(days=1)), [AFTER_ENROLMENT], id="a-day-before"
        ),
        # A verification code of the wrong form.
        *(
            pytest.param({"verificationCode": code}, [INVALID_CODE], id=f"code-{code or 'empty'}")
            for code in [
                "ABCD12345",
                "ABCD1234EFGH56789",
                "ABCD-1234-EFGH",
                "ABCD 1234EF",
                "ＡＢＣＤ1234ＥＦ",
                "",
            ]
        ),
        pytest.param({"realName": " "}, [out_of_bounds("realName", 50)], id="blank-name"),
        pytest.param({"school": ""}, [out_of_bounds("school", 100)], id="no-school"),
        pytest.param({"major": "m" * 101}, [out_of_bounds("major", 100)], id="major-of-101"),
        pytest.param(
            # 31010120000101002 has the check character 6.
            {"idNumber": "310101200001010020"},
            [error("INVALID_ID_NUMBER", "This is not a valid resident ID number.", "idNumber")],
            id="wrong-check-character",
        ),
        pytest.param(
            {
                "separateConsent": False,
                "graduatesOn": ENROLLED.isoformat(),
                "verificationCode": "short",
            },
            [CONSENT_REQUIRED, AFTER_ENROLMENT, INVALID_CODE],
            id="every-problem-at-once",
        ),
    ],
)
async def test_a_submission_with_a_problem_is_refused_and_nothing_stored(
    api: Api, individual: SignedIn, changes: dict[str, Any], user_errors: list[dict[str, Any]]
) -> None:
    body = await submit(api.client, individual.token, api.clock, **changes)

    assert body == refused(*user_errors)
    assert await nothing_stored(api.db, individual)


@pytest.mark.parametrize("code", ["abcd123456", "ABCDEFGH12345678"])
async def test_codes_of_10_and_16_characters_are_accepted(
    client: httpx.AsyncClient, individual: SignedIn, clock: Clock, code: str
) -> None:
    body = await submit(client, individual.token, clock, verificationCode=code)

    assert body == answered(clock)


async def test_the_verifier_decides_and_gets_the_student_details(
    api: Api, individual: SignedIn
) -> None:
    verifier = StubVerifier(VerificationOutcome(verified=False, rejection_reason="Not enrolled."))
    api.services.verifier = verifier

    body = await submit(api.client, individual.token, api.clock)

    assert body == answered(api.clock, "REJECTED", "Not enrolled.")
    [request] = verifier.requests
    assert (request.kind, request.real_name, request.id_number) == (
        "STUDENT",
        NAME,
        student_id(api.clock),
    )
    assert (request.school, request.verification_code) == ("复旦大学", CODE)


async def test_an_unanswered_verification_stays_pending(
    client: httpx.AsyncClient, individual: SignedIn, services: AuthServices, clock: Clock
) -> None:
    services.verifier = StubVerifier(None)

    body = await submit(client, individual.token, clock)

    assert body == answered(
        clock, "PENDING", "The verification service did not answer; submit again later."
    )
