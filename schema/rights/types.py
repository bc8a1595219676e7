"""Rights requests, who filed a verified one, and security incidents as privacy officers
record them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import Enum

import strawberry

from models import Account as AccountRow
from models import (
    ConsentPurpose,
    DataRequestStatus,
    DataRequestType,
    DeletionGround,
    NoticeChannel,
    RefusalReason,
    RequesterRelation,
    RequestOrigin,
    SensitiveKind,
)
from models import DataRequest as DataRequestRow
from models import DataRequestRequester as RequesterRow
from models import IncidentDelivery as DeliveryRow
from models import IncidentRecipient as RecipientRow
from models import SecurityIncident as IncidentRow
from resolvers.accounts.queries import readable_account, readable_data_requests
from resolvers.global_id import to_global_id
from resolvers.masking.reveal import SensitiveValue
from resolvers.rights import incidents
from resolvers.rights import requests as rights_requests
from resolvers.rights.requests import is_overdue
from schema.accounts.types import Account, account_object
from schema.auth.types import StaffMember
from schema.context import Info
from schema.fields import row_field, sensitive_field
from schema.relay import Node
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

    title = row_field("title", str)
    description = row_field("description", str)
    cause = row_field("cause", str)
    harm = row_field("harm", str, description="The possible harm to the people affected.")

    @strawberry.field(
        description="The kinds of personal information involved (dataCategories keys)."
    )
    def categories(self) -> list[str]:
        return list(self.row.categories)

    measures = row_field("measures", str, description="The remedies taken.")
    advice = row_field("advice", str, description="What the person can do.")
    contact = row_field("contact", str, description="Whom to contact about it.")

    @strawberry.field
    def channels(self) -> list[NoticeChannel]:
        return [NoticeChannel(value) for value in self.row.channels]

    recorded_at = row_field("created_at", datetime)

    @strawberry.field(description="Staff only: the privacy officer who recorded it.")
    async def recorded_by(self, info: Info) -> StaffMember | None:
        return await StaffMember.referenced(info, self.row.recorded_by_id)


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

    relation = row_field("relation", RequesterRelation)
    name = sensitive_field(SensitiveKind.PERSON_NAME, "name")
    phone = sensitive_field(SensitiveKind.PHONE, "phone")
    email = sensitive_field(SensitiveKind.EMAIL, "email")

    subject_name = sensitive_field(
        SensitiveKind.PERSON_NAME,
        "subject_name",
        description="The person the request concerns, as the requester names them.",
    )

    subject_contact = sensitive_field(
        SensitiveKind.REQUEST_DETAILS,
        "subject_contact",
        description="The person's phone or e-mail the requester gave.",
    )

    evidence = sensitive_field(
        SensitiveKind.REQUEST_DETAILS, "evidence", description="Where the supporting documents are."
    )

    proven_at = row_field("proven_at", datetime)


@strawberry.type(description="The notice of an incident to one account over one channel.")
class IncidentDelivery:
    row: strawberry.Private[DeliveryRow]

    channel = row_field("channel", NoticeChannel)

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

    notified_at = row_field("created_at", datetime)

    @strawberry.field
    async def deliveries(self, info: Info) -> list[IncidentDelivery]:
        rows = await info.context.loaders.deliveries_by_recipient.load(self.row.id)
        return [IncidentDelivery(row=row) for row in rows]


strawberry.enum(DataRequestType, name="DataRequestType")
strawberry.enum(DataRequestStatus, name="DataRequestStatus")
strawberry.enum(DeletionGround, name="DeletionGround")
strawberry.enum(RefusalReason, name="RefusalReason")


@strawberry.type
class DataRequest(Node):
    row: strawberry.Private[DataRequestRow]

    @classmethod
    def of(cls, row: DataRequestRow) -> DataRequest:
        return cls(id=strawberry.ID(to_global_id("DataRequest", row.id)), row=row)

    @classmethod
    async def resolve_nodes(cls, info: Info, keys: Sequence[uuid.UUID]) -> list[DataRequest | None]:
        rows = await readable_data_requests(info.context, keys)
        return [cls.of(row) if row is not None else None for row in rows]

    type = row_field("type", DataRequestType)
    status = row_field("status", DataRequestStatus)

    @strawberry.field(
        graphql_type=str | None, directives=[Sensitive(kind=SensitiveKind.REQUEST_DETAILS)]
    )
    async def details(self, info: Info, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(await self._subject(info), self.row.details, self.row)

    async def _subject(self, info: Info) -> AccountRow | None:
        if self.row.account_id is None:
            return None
        return await info.context.loaders.account_by_id.load(self.row.account_id)

    deletion_ground = row_field("deletion_ground", DeletionGround | None)

    @strawberry.field(
        description="DELETION: the categories asked for, and once fulfilled those erased."
    )
    def categories(self) -> list[str]:
        return list(self.row.categories)

    @strawberry.field(
        description="RESTRICTION: the purposes asked for, and once fulfilled those restricted."
    )
    def purposes(self) -> list[ConsentPurpose]:
        return [ConsentPurpose(value) for value in self.row.purposes]

    @strawberry.field(
        graphql_type=str | None,
        directives=[Sensitive(kind=SensitiveKind.REQUEST_DETAILS)],
        description="A fulfilled CORRECTION: what staff changed.",
    )
    async def correction(self, info: Info, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(await self._subject(info), self.row.correction, self.row)

    submitted_at = row_field("submitted_at", datetime)
    due_at = row_field("due_at", datetime, description="submittedAt + 15 days.")

    @strawberry.field(description="Still open after its due date.")
    def overdue(self, info: Info) -> bool:
        return is_overdue(self.row, info.context)

    resolved_at = row_field("resolved_at", datetime | None)
    resolution_note = row_field("resolution_note", str | None)
    refusal_reason = row_field("refusal_reason", RefusalReason | None)

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        if self.row.account_id is None:
            return None
        row = await readable_account(info.context, self.row.account_id)
        return account_object(row) if row is not None else None

    @strawberry.field(
        description="ACCOUNT: filed by the account; VERIFIED_CONTACT: by a proven contact."
    )
    def origin(self) -> RequestOrigin:
        return self.row.origin

    @strawberry.field(description="Staff only: who filed a verified request.")
    async def requester(self, info: Info) -> DataRequestRequester | None:
        row = await rights_requests.requester(info.context, self.row)
        return DataRequestRequester(row=row, request=self.row) if row is not None else None

    @strawberry.field(description="Staff only: the staff member who last moved it on.")
    async def handled_by(self, info: Info) -> StaffMember | None:
        return await StaffMember.referenced(info, self.row.handled_by_id)
