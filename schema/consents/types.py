"""Consents, device permissions, policy status, notifications, search history, minors."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import SEPARATE_CONSENT_PURPOSES, ConsentPurpose, DevicePermissionKind, SensitiveKind
from models import Account as AccountRow
from models import DevicePermission as DevicePermissionRow
from models import GuardianConsent as GuardianConsentRow
from models import Notification as NotificationRow
from models import SearchEntry as SearchEntryRow
from resolvers.consents.record import ConsentState
from resolvers.global_id import to_global_id
from resolvers.masking.reveal import SensitiveValue
from resolvers.policies.status import PolicyStatus as PolicyStatusValue
from schema.common import from_attributes
from schema.enums import AccountStatus
from schema.fields import row_field, sensitive_field
from schema.sensitive import Sensitive

strawberry.enum(ConsentPurpose, name="ConsentPurpose")
strawberry.enum(DevicePermissionKind, name="DevicePermissionKind")


@strawberry.type
class ConsentEvent:
    granted: bool
    policy_version: str
    at: datetime


@strawberry.type
class Consent:
    purpose: ConsentPurpose
    granted: bool = strawberry.field(
        description=(
            "Given, and neither withdrawn, restricted, nor awaiting consent again: what may be"
            " processed now."
        )
    )
    separate: bool = strawberry.field(
        description="True where the purpose needs separate consent (sensitive personal information, sharing)."
    )
    policy_version: str | None
    updated_at: datetime | None
    history: list[ConsentEvent]
    restricted: bool = strawberry.field(
        description="Processing for the purpose is restricted at the person's request; it reads as withdrawn."
    )
    restricted_since: datetime | None
    needs_reconsent: bool = strawberry.field(
        description=(
            "Given under an older version, and a material version in force names the purpose:"
            " it reads as not granted until given again."
        )
    )

    @classmethod
    def of(cls, state: ConsentState) -> Consent:
        row = state.row
        return cls(
            purpose=state.purpose,
            granted=state.granted,
            separate=state.purpose in SEPARATE_CONSENT_PURPOSES,
            policy_version=row.policy_version if row is not None else None,
            updated_at=row.updated_at if row is not None else None,
            history=[
                ConsentEvent(granted=e.granted, policy_version=e.policy_version, at=e.created_at)
                for e in state.history
            ],
            restricted=state.restriction is not None,
            restricted_since=state.restriction.created_at if state.restriction else None,
            needs_reconsent=state.needs_reconsent,
        )


@strawberry.type
class DevicePermission:
    permission: DevicePermissionKind
    enabled: bool
    updated_at: datetime | None

    @classmethod
    def of(
        cls, permission: DevicePermissionKind, row: DevicePermissionRow | None
    ) -> DevicePermission:
        return cls(
            permission=permission,
            enabled=row.enabled if row is not None else False,
            updated_at=row.updated_at if row is not None else None,
        )


@strawberry.type
class PolicyStatus:
    accepted_version: str | None
    current_version: str
    must_accept: bool

    @classmethod
    def of(cls, value: PolicyStatusValue) -> PolicyStatus:
        return from_attributes(cls, value)


@strawberry.type
class Notification:
    id: strawberry.ID
    kind: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, row: NotificationRow) -> Notification:
        return from_attributes(cls, row, id=strawberry.ID(to_global_id("Notification", row.id)))


@strawberry.type
class SearchEntry:
    row: strawberry.Private[SearchEntryRow]
    subject: strawberry.Private[AccountRow]

    @strawberry.field(graphql_type=str, directives=[Sensitive(kind=SensitiveKind.SEARCH_QUERY)])
    def query(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(self.subject, self.row.query or "")

    at = row_field("created_at", datetime)


@strawberry.type
class GuardianConsent:
    row: strawberry.Private[GuardianConsentRow]
    subject: strawberry.Private[AccountRow]

    guardian_name = sensitive_field(SensitiveKind.PERSON_NAME, "guardian_name")
    guardian_phone = sensitive_field(SensitiveKind.PHONE, "guardian_phone")
    granted_at = row_field("granted_at", datetime)

    policy_version = row_field(
        "policy_version",
        str | None,
        description="The privacy policy version the guardian consented under.",
    )


@strawberry.type(description="What an account's consents allow now.")
class AccountConsentStatus:
    account_id: strawberry.ID
    account_status: AccountStatus = strawberry.field(
        description="A CANCELLED account has no consent left: process nothing of it."
    )
    consents: list[Consent]
