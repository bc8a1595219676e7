from __future__ import annotations

from datetime import date

import strawberry

from models import Account as AccountRow
from resolvers.verifications import submit
from schema.common import payload
from schema.payloads import use_case_mutation
from schema.verifications.types import Verifications


@strawberry.input
class SubmitRealNameVerificationInput:
    real_name: str
    id_number: str
    separate_consent: bool


@strawberry.input
class SubmitStudentVerificationInput:
    real_name: str
    id_number: str
    verification_code: str
    school: str
    major: str
    enrolled_on: date
    graduates_on: date
    separate_consent: bool


@payload
class VerificationPayload:
    verifications: Verifications | None = None

    @classmethod
    def of(cls, account: AccountRow) -> VerificationPayload:
        return cls(verifications=Verifications(subject=account))


@strawberry.type
class VerificationMutations:
    submit_real_name_verification = use_case_mutation(
        SubmitRealNameVerificationInput,
        submit.submit_real_name,
        VerificationPayload.of,
        description="Verify the real name (separate consent required).",
    )
    submit_student_verification = use_case_mutation(
        SubmitStudentVerificationInput,
        submit.submit_student,
        VerificationPayload.of,
        description="Verify student status (individuals; separate consent).",
    )
