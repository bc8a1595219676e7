"""Real-name and student verifications."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from models import Account as AccountRow
from models import RealNameVerification as RealNameRow
from models import SensitiveKind, VerificationStatus
from models import StudentVerification as StudentRow
from resolvers.masking.reveal import SensitiveValue
from schema.context import Info
from schema.sensitive import Sensitive

strawberry.enum(VerificationStatus, name="VerificationStatus")


@strawberry.type
class _Verification:
    """What both verifications show; the person's name and ID number are sensitive."""

    row: strawberry.Private[RealNameRow | StudentRow]
    subject: strawberry.Private[AccountRow]

    @strawberry.field
    def status(self) -> VerificationStatus:
        return self.row.status

    @strawberry.field(
        graphql_type=str | None, directives=[Sensitive(kind=SensitiveKind.PERSON_NAME)]
    )
    def real_name(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(self.subject, self.row.real_name)

    @strawberry.field(graphql_type=str | None, directives=[Sensitive(kind=SensitiveKind.ID_NUMBER)])
    def id_number(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(self.subject, self.row.id_number)

    @strawberry.field
    def submitted_at(self) -> datetime:
        return self.row.submitted_at

    @strawberry.field
    def verified_at(self) -> datetime | None:
        return self.row.verified_at

    @strawberry.field
    def rejection_reason(self) -> str | None:
        return self.row.rejection_reason


@strawberry.type
class RealNameVerification(_Verification):
    row: strawberry.Private[RealNameRow]


@strawberry.type
class StudentVerification(_Verification):
    row: strawberry.Private[StudentRow]

    @strawberry.field(graphql_type=str, directives=[Sensitive(kind=SensitiveKind.SCHOOL)])
    def school(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(self.subject, self.row.school)

    @strawberry.field(graphql_type=str, directives=[Sensitive(kind=SensitiveKind.MAJOR)])
    def major(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(self.subject, self.row.major)

    @strawberry.field
    def enrolled_on(self) -> date:
        return self.row.enrolled_on

    @strawberry.field
    def graduates_on(self) -> date:
        return self.row.graduates_on


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
