"""Security incidents as privacy officers record them; who filed a verified request."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from models import DataRequest as DataRequestRow
from models import DataRequestRequester as RequesterRow
from models import IncidentDelivery as DeliveryRow
from models import IncidentRecipient as RecipientRow
from models import NoticeChannel, RequesterRelation, RequestOrigin, SensitiveKind
from models import SecurityIncident as IncidentRow
from resolvers.global_id import to_global_id
from resolvers.masking.reveal import SensitiveValue
from resolvers.rights import incidents
from schema.auth.types import StaffMember
from schema.context import Info
from schema.sensitive import Sensitive

strawberry.enum(NoticeChannel, name="NoticeChannel")


@strawberry.enum(
    description="Where a notice is: SENT, waiting to be sent, given up, or no contact of that kind."
)
class IncidentDeliveryStatus(Enum):
    SENT = "SENT"
    PENDING = "PENDING"
    FAILED = "FAILED"
    NO_CONTACT = "NO_CONTACT"


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
    def cause(self) -> str:
        return self.row.cause

    @strawberry.field(description="The possible harm to the people affected.")
    def harm(self) -> str:
        return self.row.harm

    @strawberry.field(
        description="The kinds of personal information involved (dataCategories keys)."
    )
    def categories(self) -> list[str]:
        return list(self.row.categories)

    @strawberry.field(description="The remedies taken.")
    def measures(self) -> str:
        return self.row.measures

    @strawberry.field(description="What the person can do.")
    def advice(self) -> str:
        return self.row.advice

    @strawberry.field(description="Whom to contact about it.")
    def contact(self) -> str:
        return self.row.contact

    @strawberry.field
    def channels(self) -> list[NoticeChannel]:
        return [NoticeChannel(value) for value in self.row.channels]

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


@strawberry.type(description="The notice of an incident to one account over one channel.")
class IncidentDelivery:
    row: strawberry.Private[DeliveryRow]

    @strawberry.field
    def channel(self) -> NoticeChannel:
        return self.row.channel

    @strawberry.field
    async def status(self, info: Info) -> IncidentDeliveryStatus:
        status, _ = await incidents.delivery_state(info.context, self.row)
        return IncidentDeliveryStatus(status)

    @strawberry.field
    async def sent_at(self, info: Info) -> datetime | None:
        _, sent_at = await incidents.delivery_state(info.context, self.row)
        return sent_at


@strawberry.type(description="An incident the account was told of, and how.")
class IncidentNotice:
    row: strawberry.Private[RecipientRow]

    @strawberry.field
    async def incident(self, info: Info) -> SecurityIncident:
        found = await info.context.loaders.incident_by_id.load(self.row.incident_id)
        if found is None:
            raise LookupError("an incident notice without its incident")
        return SecurityIncident(row=found)

    @strawberry.field
    def notified_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    async def deliveries(self, info: Info) -> list[IncidentDelivery]:
        rows = await info.context.loaders.deliveries_by_recipient.load(self.row.id)
        return [IncidentDelivery(row=row) for row in rows]
