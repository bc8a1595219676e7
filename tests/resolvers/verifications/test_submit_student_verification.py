"""submitStudentVerification over HTTP (docs/spec/settings.md#student-verification)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
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
    resident_id,
    unauthenticated,
    years_before,
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
SUBMIT_REAL_NAME = f"""
mutation($input: SubmitRealNameVerificationInput!) {{
  submitRealNameVerification(input: $input) {{ {USER_ERRORS} }}
}}
"""
KIND_NOT_ALLOWED = error("KIND_NOT_ALLOWED", "Only individual accounts verify as students.")
CONSENT_REQUIRED = error(
    "CONSENT_REQUIRED",
    "Sensitive personal information needs your separate consent.",
    "separateConsent",
)
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


async def verify_real_name(
    client: httpx.AsyncClient, token: str, real_name: str, id_number: str
) -> None:
    variables = {"input": {"realName": real_name, "idNumber": id_number, "separateConsent": True}}
    body = await graphql(client, SUBMIT_REAL_NAME, variables, token=token)
    assert body == {"data": {"submitRealNameVerification": {"userErrors": []}}}


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
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    viewer = await viewers.individual()

    body = await submit(client, viewer.token, clock, realName=f" {NAME} ", school=" 复旦大学 ")

    assert body == answered(clock)
    assert await grants(db, viewer.me.id, ConsentPurpose.SENSITIVE_STUDENT) == (1, 1)
    stored = (
        await db.scalars(
            select(StudentVerification).where(StudentVerification.account_id == viewer.me.id)
        )
    ).one()
    assert (stored.account_id, stored.real_name, stored.verification_code, stored.status) == (
        viewer.me.id,
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


async def test_without_separate_consent_nothing_is_collected(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    viewer = await viewers.individual()

    body = await submit(client, viewer.token, clock, separateConsent=False)

    assert body == refused(CONSENT_REQUIRED)
    assert await nothing_stored(db, viewer)


async def test_a_verified_real_name_with_the_same_name_and_id_number_matches(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock
) -> None:
    viewer = await viewers.individual()
    await verify_real_name(client, viewer.token, "王小明", student_id(clock))

    # Full-width and doubled spaces are the same name typed differently.
    body = await submit(client, viewer.token, clock, realName="王小明\u3000")

    assert body == answered(clock)


@pytest.mark.parametrize(
    ("verified_name", "verified_sequence"),
    [pytest.param("王小红", "002", id="another-name"), pytest.param(NAME, "004", id="another-id")],
)
async def test_a_student_who_is_not_the_verified_real_name_is_refused(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    clock: Clock,
    verified_name: str,
    verified_sequence: str,
) -> None:
    viewer = await viewers.individual()
    await verify_real_name(
        client, viewer.token, verified_name, student_id(clock, sequence=verified_sequence)
    )

    body = await submit(client, viewer.token, clock)

    assert body == refused(NAME_MISMATCH)
    assert await nothing_stored(db, viewer)


async def test_a_real_name_that_is_not_verified_does_not_bind_the_student(
    client: httpx.AsyncClient, viewers: Viewers, services: AuthServices, clock: Clock
) -> None:
    viewer = await viewers.individual()
    services.verifier = StubVerifier(VerificationOutcome(verified=False, rejection_reason="No."))
    await verify_real_name(client, viewer.token, "李四", student_id(clock, sequence="004"))
    services.verifier = StubVerifier(VerificationOutcome(verified=True, rejection_reason=None))

    body = await submit(client, viewer.token, clock)

    assert body == answered(clock)


@pytest.mark.parametrize(
    ("enrolled", "graduates"),
    [(GRADUATES, GRADUATES), (GRADUATES, ENROLLED), (ENROLLED, ENROLLED - timedelta(days=1))],
)
async def test_graduation_must_come_after_enrolment(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    clock: Clock,
    enrolled: date,
    graduates: date,
) -> None:
    viewer = await viewers.individual()

    body = await submit(
        client,
        viewer.token,
        clock,
        enrolledOn=enrolled.isoformat(),
        graduatesOn=graduates.isoformat(),
    )

    assert body == refused(AFTER_ENROLMENT)
    assert await nothing_stored(db, viewer)


@pytest.mark.parametrize(
    "code",
    ["ABCD12345", "ABCD1234EFGH56789", "ABCD-1234-EFGH", "ABCD 1234EF", "ＡＢＣＤ1234ＥＦ", ""],
)
async def test_a_verification_code_of_the_wrong_form_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock, code: str
) -> None:
    viewer = await viewers.individual()

    body = await submit(client, viewer.token, clock, verificationCode=code)

    assert body == refused(INVALID_CODE)
    assert await nothing_stored(db, viewer)


@pytest.mark.parametrize("code", ["abcd123456", "ABCDEFGH12345678"])
async def test_codes_of_10_and_16_characters_are_accepted(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, code: str
) -> None:
    viewer = await viewers.individual()

    body = await submit(client, viewer.token, clock, verificationCode=code)

    assert body == answered(clock)


@pytest.mark.parametrize(
    ("changes", "user_error"),
    [
        ({"realName": " "}, error("INVALID_INPUT", "Give 1 to 50 characters.", "realName")),
        ({"school": ""}, error("INVALID_INPUT", "Give 1 to 100 characters.", "school")),
        ({"major": "m" * 101}, error("INVALID_INPUT", "Give 1 to 100 characters.", "major")),
        (
            # 31010120000101002 has the check character 6.
            {"idNumber": "310101200001010020"},
            error("INVALID_ID_NUMBER", "This is not a valid resident ID number.", "idNumber"),
        ),
    ],
)
async def test_other_invalid_input_is_refused(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    clock: Clock,
    changes: dict[str, Any],
    user_error: dict[str, Any],
) -> None:
    viewer = await viewers.individual()

    body = await submit(client, viewer.token, clock, **changes)

    assert body == refused(user_error)
    assert await nothing_stored(db, viewer)


async def test_every_problem_is_reported_at_once(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    viewer = await viewers.individual()

    body = await submit(
        client,
        viewer.token,
        clock,
        separateConsent=False,
        graduatesOn=ENROLLED.isoformat(),
        verificationCode="short",
    )

    assert body == refused(CONSENT_REQUIRED, AFTER_ENROLMENT, INVALID_CODE)
    assert await nothing_stored(db, viewer)


async def test_the_verifier_decides_and_gets_the_student_details(
    api: Api,
    viewers: Viewers,
) -> None:
    verifier = StubVerifier(VerificationOutcome(verified=False, rejection_reason="Not enrolled."))
    api.services.verifier = verifier
    viewer = await viewers.individual()

    body = await submit(api.client, viewer.token, api.clock)

    assert body == answered(api.clock, "REJECTED", "Not enrolled.")
    [request] = verifier.requests
    assert (request.kind, request.real_name, request.id_number) == (
        "STUDENT",
        NAME,
        student_id(api.clock),
    )
    assert (request.school, request.verification_code) == ("复旦大学", CODE)


async def test_an_unanswered_verification_stays_pending(
    client: httpx.AsyncClient, viewers: Viewers, services: AuthServices, clock: Clock
) -> None:
    services.verifier = StubVerifier(None)
    viewer = await viewers.individual()

    body = await submit(client, viewer.token, clock)

    assert body == answered(
        clock, "PENDING", "The verification service did not answer; submit again later."
    )
