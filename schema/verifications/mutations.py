from __future__ import annotations

from datetime import date

import strawberry

from resolvers.verifications import submit
from schema.common import UserError, user_errors
from schema.context import Info
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


@strawberry.type
class VerificationPayload:
    verifications: Verifications | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def from_result(cls, result: submit.VerificationResult) -> VerificationPayload:
        account = result.account
        return cls(
            verifications=Verifications(subject=account) if account is not None else None,
            user_errors=user_errors(result.user_errors),
        )


@strawberry.type
class VerificationMutations:
    @strawberry.mutation(description="Verify the real name (separate consent required).")
    async def submit_real_name_verification(
        self, info: Info, input: SubmitRealNameVerificationInput
    ) -> VerificationPayload:
        result = await submit.submit_real_name(
            info.context, input.real_name, input.id_number, input.separate_consent
        )
        return VerificationPayload.from_result(result)

    @strawberry.mutation(description="Verify student status (individuals; separate consent).")
    async def submit_student_verification(
        self, info: Info, input: SubmitStudentVerificationInput
    ) -> VerificationPayload:
        submission = submit.StudentSubmission(
            real_name=input.real_name,
            id_number=input.id_number,
            verification_code=input.verification_code,
            school=input.school,
            major=input.major,
            enrolled_on=input.enrolled_on,
            graduates_on=input.graduates_on,
            separate_consent=input.separate_consent,
        )
        return VerificationPayload.from_result(
            await submit.submit_student(info.context, submission)
        )
