"""Security incidents as privacy officers record them; who filed a verified request."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import DataRequest as DataRequestRow
from models import DataRequestRequester as RequesterRow
from models import RequesterRelation, RequestOrigin, SensitiveKind
from models import SecurityIncident as IncidentRow
from resolvers.global_id import to_global_id
from resolvers.masking.reveal import SensitiveValue
from resolvers.rights import incidents
from schema.auth.types import StaffMember
from schema.context import Info
from schema.sensitive import Sensitive


@strawberry.type(description="A security incident and what the affected people were told.")
class SecurityIncident:
    row: strawberry.Private[IncidentRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("SecurityIncident", self.row.id))

    @strawberry.field
    def title(self) -> str:
        return self.row.title

    @strawberry.field
    def description(self) -> str:
        return self.row.description

    @strawberry.field
    def measures(self) -> str:
        return self.row.measures

    @strawberry.field
    def advice(self) -> str:
        return self.row.advice

    @strawberry.field
    def recorded_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="Staff only: the privacy officer who recorded it.")
    async def recorded_by(self, info: Info) -> StaffMember | None:
        staff = await incidents.recorded_by(info.context, self.row)
        return StaffMember.from_row(staff) if staff is not None else None


strawberry.enum(RequesterRelation, name="RequesterRelation")
strawberry.enum(RequestOrigin, name="RequestOrigin")


@strawberry.type(
    description=(
        "Who filed a verified request: staff only. Their data is theirs, not the account's:"
        " readable while their own request is open."
    )
)
class DataRequestRequester:
    row: strawberry.Private[RequesterRow]
    request: strawberry.Private[DataRequestRow]

    @strawberry.field
    def relation(self) -> RequesterRelation:
        return self.row.relation

    @strawberry.field(
        graphql_type=str | None, directives=[Sensitive(kind=SensitiveKind.PERSON_NAME)]
    )
    def name(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(None, self.row.name, self.request)

    @strawberry.field(graphql_type=str | None, directives=[Sensitive(kind=SensitiveKind.PHONE)])
    def phone(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(None, self.row.phone, self.request)

    @strawberry.field(graphql_type=str | None, directives=[Sensitive(kind=SensitiveKind.EMAIL)])
    def email(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(None, self.row.email, self.request)

    @strawberry.field(
        graphql_type=str | None,
        directives=[Sensitive(kind=SensitiveKind.PERSON_NAME)],
        description="The person the request concerns, as the requester names them.",
    )
    def subject_name(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(None, self.row.subject_name, self.request)

    @strawberry.field(
        graphql_type=str | None,
        directives=[Sensitive(kind=SensitiveKind.REQUEST_DETAILS)],
        description="The person's phone or e-mail the requester gave.",
    )
    def subject_contact(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(None, self.row.subject_contact, self.request)

    @strawberry.field(
        graphql_type=str | None,
        directives=[Sensitive(kind=SensitiveKind.REQUEST_DETAILS)],
        description="Where the supporting documents are.",
    )
    def evidence(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(None, self.row.evidence, self.request)

    @strawberry.field
    def proven_at(self) -> datetime:
        return self.row.proven_at
