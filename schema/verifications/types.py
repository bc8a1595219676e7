"""Real-name and student verifications."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from models import Account as AccountRow
from models import RealNameVerification as RealNameRow
from models import SensitiveKind, VerificationStatus
from models import StudentVerification as StudentRow
from schema.context import Info
from schema.fields import row_field, sensitive_field

strawberry.enum(VerificationStatus, name="VerificationStatus")


@strawberry.type
class _Verification:
    """What both verifications show; the person's name and ID number are sensitive."""

    row: strawberry.Private[RealNameRow | StudentRow]
    subject: strawberry.Private[AccountRow]

    status = row_field("status", VerificationStatus)
    real_name = sensitive_field(SensitiveKind.PERSON_NAME, "real_name")
    id_number = sensitive_field(SensitiveKind.ID_NUMBER, "id_number")
    submitted_at = row_field("submitted_at", datetime)
    verified_at = row_field("verified_at", datetime | None)
    rejection_reason = row_field("rejection_reason", str | None)


@strawberry.type
class RealNameVerification(_Verification):
    row: strawberry.Private[RealNameRow]


@strawberry.type
class StudentVerification(_Verification):
    row: strawberry.Private[StudentRow]

    school = sensitive_field(SensitiveKind.SCHOOL, "school", graphql_type=str)
    major = sensitive_field(SensitiveKind.MAJOR, "major", graphql_type=str)
    enrolled_on = row_field("enrolled_on", date)
    graduates_on = row_field("graduates_on", date)


@strawberry.type
class Verifications:
    subject: strawberry.Private[AccountRow]

    @strawberry.field
    async def real_name(self, info: Info) -> RealNameVerification | None:
        row = await info.context.loaders.real_name_by_account.load(self.subject.id)
        return RealNameVerification(row=row, subject=self.subject) if row is not None else None

    @strawberry.field
    async def student(self, info: Info) -> StudentVerification | None:
        row = await info.context.loaders.student_by_account.load(self.subject.id)
        return StudentVerification(row=row, subject=self.subject) if row is not None else None
