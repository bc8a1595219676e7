"""The person's rights, and the staff's side of them."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from models import (
    ConsentPurpose,
    DataRequestStatus,
    DataRequestType,
    DeletionGround,
    NoticeChannel,
    RefusalReason,
    RequesterRelation,
)
from models import DataRequest as DataRequestRow
from resolvers.global_id import key_of, to_global_id
from resolvers.rights import cancellation, export, incidents, requests, verified_requests
from schema.accounts.types import ACCOUNT_TYPE_NAMES
from schema.common import payload
from schema.consents.types import Consent
from schema.context import Info
from schema.payloads import OkPayload, RequestSmsCodePayload, use_case_mutation
from schema.rights.types import DataRequest, SecurityIncident


@payload
class ExportMyDataPayload:
    export: JSON | None = None
    generated_at: datetime | None = None


@strawberry.input
class SubmitDataRequestInput:
    type: DataRequestType
    details: str | None = None
    deletion_ground: DeletionGround | None = None
    categories: list[str] | None = strawberry.field(
        default=None, description="DELETION: the dataCategories keys to erase."
    )
    purposes: list[ConsentPurpose] | None = strawberry.field(
        default=None, description="RESTRICTION: the purposes whose processing to restrict."
    )


@payload
class DataRequestPayload:
    data_request: DataRequest | None = None

    @classmethod
    def of(cls, row: DataRequestRow) -> DataRequestPayload:
        return cls(data_request=DataRequest.of(row))


@strawberry.input
class RequestDataRequestCodeInput:
    contact: str = strawberry.field(description="A mobile number or an e-mail address.")


@strawberry.input
class SubmitVerifiedDataRequestInput:
    type: DataRequestType
    relation: RequesterRelation
    requester_name: str
    contact: str = strawberry.field(
        description="The requester's mobile number or e-mail address, proven by `code`."
    )
    code: str = strawberry.field(description="From requestDataRequestCode.")
    subject_name: str | None = strawberry.field(
        default=None, description="GUARDIAN, CLOSE_RELATIVE: the person the request is about."
    )
    subject_contact: str | None = strawberry.field(
        default=None,
        description="GUARDIAN, CLOSE_RELATIVE: that person's phone or e-mail on the platform.",
    )
    evidence: str | None = strawberry.field(
        default=None,
        description="GUARDIAN, CLOSE_RELATIVE: where the supporting documents are (a reference).",
    )
    details: str | None = None
    deletion_ground: DeletionGround | None = None
    categories: list[str] | None = None
    purposes: list[ConsentPurpose] | None = None


@payload
class VerifiedDataRequestPayload:
    reference: strawberry.ID | None = strawberry.field(
        default=None, description="The request's ID, to quote when writing to us."
    )
    due_at: datetime | None = None


@strawberry.input
class WithdrawDataRequestInput:
    id: strawberry.ID


@strawberry.input
class CancelAccountInput:
    confirmation: str


@strawberry.input
class ResolveDataRequestInput:
    id: strawberry.ID
    status: DataRequestStatus
    note: str | None = None
    refusal_reason: RefusalReason | None = None
    categories: list[str] | None = strawberry.field(
        default=None,
        description="Fulfilling a DELETION: the categories erased (default: those requested).",
    )
    purposes: list[ConsentPurpose] | None = strawberry.field(
        default=None,
        description="Fulfilling a RESTRICTION: the purposes restricted (default: those requested).",
    )
    correction: str | None = strawberry.field(
        default=None, description="Fulfilling a CORRECTION: what was changed."
    )


@strawberry.input
class LiftRestrictionInput:
    account_id: strawberry.ID
    purpose: ConsentPurpose


@payload
class LiftRestrictionPayload:
    consent: Consent | None = None


@strawberry.input
class RecordSecurityIncidentInput:
    title: str
    description: str = strawberry.field(description="What happened.")
    measures: str = strawberry.field(description="The remedies taken.")
    advice: str = strawberry.field(description="What the person can do.")
    affected_account_ids: list[strawberry.ID]
    categories: list[str] = strawberry.field(
        default_factory=list,
        description="Required: the kinds of personal information involved (dataCategories keys).",
    )
    cause: str = strawberry.field(default="", description="Required: why it happened.")
    harm: str = strawberry.field(default="", description="Required: the possible harm.")
    contact: str | None = strawberry.field(
        default=None,
        description="Whom to contact; by default the protection officer of privacyContact.",
    )
    channels: list[NoticeChannel] = strawberry.field(
        default_factory=lambda: [NoticeChannel.IN_APP],
        description="How each affected account is told (a delivery record per channel).",
    )


@payload
class SecurityIncidentPayload:
    notified: int = 0
    security_incident: SecurityIncident | None = None


@strawberry.type
class RightsMutations:
    @strawberry.mutation(description="A copy of everything stored about the account (step-up).")
    async def export_my_data(self, info: Info) -> ExportMyDataPayload:
        made = await export.export_my_data(info.context)
        return ExportMyDataPayload(export=cast(JSON, made.document), generated_at=made.generated_at)

    submit_data_request = use_case_mutation(
        SubmitDataRequestInput,
        requests.submit_data_request,
        DataRequestPayload.of,
        description="Open a rights request, answered within 15 days (step-up).",
    )

    @strawberry.mutation(
        description="A code to prove a phone (SMS) or an e-mail address before filing without an account."
    )
    async def request_data_request_code(
        self, info: Info, input: RequestDataRequestCodeInput
    ) -> RequestSmsCodePayload:
        return RequestSmsCodePayload.of(
            await verified_requests.request_code(info.context, input.contact)
        )

    @strawberry.mutation(
        description=(
            "A rights request by a guardian, a close relative of a deceased person, or a"
            " person without an account, proven by a code sent to their contact."
        )
    )
    async def submit_verified_data_request(
        self, info: Info, input: SubmitVerifiedDataRequestInput
    ) -> VerifiedDataRequestPayload:
        row = await verified_requests.submit_verified_data_request(info.context, input)
        return VerifiedDataRequestPayload(
            reference=strawberry.ID(to_global_id("DataRequest", row.id)), due_at=row.due_at
        )

    @strawberry.mutation
    async def withdraw_data_request(
        self, info: Info, input: WithdrawDataRequestInput
    ) -> DataRequestPayload:
        row = await requests.withdraw_data_request(info.context, key_of(input.id, "DataRequest"))
        return DataRequestPayload.of(row)

    @strawberry.mutation(
        description='Cancel the account for good (step-up, confirmation "CANCEL").'
    )
    async def cancel_account(self, info: Info, input: CancelAccountInput) -> OkPayload:
        await cancellation.cancel_account(info.context, input.confirmation)
        return OkPayload.done()

    @strawberry.mutation(description="Staff: move a request on; every change notifies the person.")
    async def resolve_data_request(
        self, info: Info, input: ResolveDataRequestInput
    ) -> DataRequestPayload:
        row = await requests.resolve_data_request(
            info.context, key_of(input.id, "DataRequest"), input
        )
        return DataRequestPayload.of(row)

    @strawberry.mutation(
        description="Staff: end a restriction of processing; the consent reads as given again."
    )
    async def lift_restriction(
        self, info: Info, input: LiftRestrictionInput
    ) -> LiftRestrictionPayload:
        state = await requests.lift_restriction(
            info.context, key_of(input.account_id, *ACCOUNT_TYPE_NAMES), input.purpose
        )
        return LiftRestrictionPayload(consent=Consent.of(state))

    @strawberry.mutation(description="Privacy officers: notify the accounts an incident affected.")
    async def record_security_incident(
        self, info: Info, input: RecordSecurityIncidentInput
    ) -> SecurityIncidentPayload:
        affected = [key_of(raw, *ACCOUNT_TYPE_NAMES) for raw in input.affected_account_ids]
        row = await incidents.record_security_incident(info.context, input, affected)
        return SecurityIncidentPayload(
            notified=row.affected_count, security_incident=SecurityIncident(row=row)
        )
