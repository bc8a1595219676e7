"""The Account interface and its four kinds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types.nodes import SelectedField

from models import AccessLogEntry as AccessLogRow
from models import Account as AccountRow
from models import AccountKind as Kind
from models import (
    ActorKind,
    ConsentPurpose,
    DataRequestStatus,
    DataRequestType,
    DeletionGround,
    DevicePermissionKind,
    EnterprisePermission,
    RefusalReason,
    RequestOrigin,
    SensitiveKind,
    SubAccountRole,
)
from models import DataRequest as DataRequestRow
from resolvers.accounts import history
from resolvers.accounts.access import WITH_MANAGER, require_billing_reader, require_relation
from resolvers.accounts.queries import enterprise_of, readable_account
from resolvers.consents import queries as consent_queries
from resolvers.enterprise import queries as enterprise_queries
from resolvers.global_id import to_global_id
from resolvers.masking.reveal import SensitiveValue
from resolvers.pagination import Page
from resolvers.rights import incidents
from resolvers.rights import requests as rights_requests
from resolvers.rights.requests import is_overdue
from schema.auth.types import LoginEvent, Session, StaffMember
from schema.bank_cards.types import BankCard
from schema.consents.types import (
    Consent,
    DevicePermission,
    GuardianConsent,
    Notification,
    PolicyStatus,
    SearchEntry,
)
from schema.context import Info
from schema.enums import AccountKind, AccountStatus
from schema.relay import Connection, Node, PageInfo, page_info, to_connection
from schema.rights.types import DataRequestRequester, IncidentNotice
from schema.sensitive import Sensitive
from schema.settings.types import Profile, SecuritySettings, ThirdPartyIdentity
from schema.verifications.types import Verifications

strawberry.enum(ActorKind, name="ActorKind")


@strawberry.type(
    description=(
        "One view of a sensitive field: a clear-text reveal, or a staff member's read of"
        " the masked value; who saw what, when and why."
    )
)
class AccessLogEntry:
    at: datetime
    actor_kind: ActorKind
    actor_name: str
    field: SensitiveKind
    reason: str | None
    clear: bool = strawberry.field(
        description="False where a staff member read the masked value (reason: the request)."
    )

    @classmethod
    def from_row(cls, row: AccessLogRow) -> AccessLogEntry:
        return cls(
            at=row.created_at,
            actor_kind=row.actor_kind,
            actor_name=row.actor_name,
            field=row.field,
            reason=row.reason,
            clear=row.clear,
        )


@strawberry.type(name="AccessLogEdge")
class AccessLogEdge:
    node: AccessLogEntry
    cursor: str


@strawberry.type(name="AccessLogConnection")
class AccessLogConnection:
    edges: list[AccessLogEdge]
    page_info: PageInfo


@strawberry.interface(description="An account of any kind; fields depend on the viewer.")
class Account(Node):
    row: strawberry.Private[AccountRow]

    @strawberry.field
    def kind(self) -> AccountKind:
        return self.row.kind

    @strawberry.field
    def status(self) -> AccountStatus:
        return self.row.status

    @strawberry.field
    def display_name(self) -> str:
        return self.row.display_name

    @strawberry.field
    def avatar_url(self) -> str | None:
        return self.row.avatar_url

    @strawberry.field(
        graphql_type=str | None,
        description="The sign-in phone; for a sub-account, else the one its manager typed.",
        directives=[Sensitive(kind=SensitiveKind.PHONE)],
    )
    def phone(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(self.row, self.row.phone or self.row.unproven_phone)

    @strawberry.field(
        graphql_type=str | None,
        description="The sign-in address; for a sub-account, else the one its manager typed.",
        directives=[Sensitive(kind=SensitiveKind.EMAIL)],
    )
    def email(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(self.row, self.row.email or self.row.unproven_email)

    @strawberry.field
    def profile(self, info: Info) -> Profile | None:
        require_relation(info.context, self.row, WITH_MANAGER)
        return Profile.from_row(self.row)

    @strawberry.field
    def security(self, info: Info) -> SecuritySettings | None:
        require_relation(info.context, self.row)
        return SecuritySettings.from_row(self.row)

    @strawberry.field
    async def identities(self, info: Info) -> list[ThirdPartyIdentity] | None:
        require_relation(info.context, self.row)
        rows = await info.context.loaders.identities_by_account.load(self.row.id)
        return [ThirdPartyIdentity(row=row, subject=self.row) for row in rows]

    @strawberry.field
    def verifications(self, info: Info) -> Verifications | None:
        require_relation(info.context, self.row)
        return Verifications(subject=self.row)

    @strawberry.field
    async def bank_cards(self, info: Info) -> list[BankCard] | None:
        require_billing_reader(info.context, self.row)
        rows = await info.context.loaders.bank_cards_by_account.load(self.row.id)
        return [BankCard.of(row, self.row) for row in rows]

    @strawberry.field(description="Every consent purpose: granted or not, with its history.")
    async def consents(self, info: Info) -> list[Consent] | None:
        return [
            Consent.of(state) for state in await consent_queries.consents(info.context, self.row)
        ]

    @strawberry.field(description="Every device permission; all off until turned on.")
    async def device_permissions(self, info: Info) -> list[DevicePermission] | None:
        rows = await consent_queries.device_permissions(info.context, self.row)
        by_kind = {row.permission: row for row in rows}
        return [DevicePermission.of(kind, by_kind.get(kind)) for kind in DevicePermissionKind]

    @strawberry.field
    async def policy_status(self, info: Info) -> PolicyStatus | None:
        return PolicyStatus.of(await consent_queries.account_policy_status(info.context, self.row))

    @strawberry.field(
        description="Searches recorded while SEARCH_HISTORY was granted, newest first."
    )
    async def search_history(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[SearchEntry] | None:
        page = await consent_queries.search_history(info.context, self.row, first, after)
        return to_connection(page, lambda row: SearchEntry(row=row, subject=self.row))  # type: ignore[no-any-return]

    @strawberry.field(description="Notifications, newest first.")
    async def notifications(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Notification] | None:
        page = await consent_queries.notifications(info.context, self.row, first, after)
        return to_connection(page, Notification.of)  # type: ignore[no-any-return]

    @strawberry.field(description="The security incidents the account was told of, newest first.")
    async def security_incidents(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[IncidentNotice] | None:
        page = await incidents.account_incidents(info.context, self.row, first, after)
        return to_connection(page, lambda row: IncidentNotice(row=row))  # type: ignore[no-any-return]

    @strawberry.field(description="The account's rights requests, newest first.")
    async def data_requests(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> DataRequestConnection | None:
        page = await rights_requests.account_data_requests(info.context, self.row, first, after)
        return DataRequestConnection.of(page)

    @strawberry.field(description="Live sessions, newest first; the asking one marked current.")
    async def sessions(self, info: Info) -> list[Session] | None:
        rows = await history.account_sessions(info.context, self.row)
        current = info.context.viewer.session_id if info.context.viewer else None
        return [Session.from_row(row, current, self.row) for row in rows]

    @strawberry.field(description="Every sign-in attempt, newest first.")
    async def login_history(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[LoginEvent] | None:
        page = await history.login_history(info.context, self.row, first, after)
        return to_connection(page, lambda row: LoginEvent(row=row, subject=self.row))  # type: ignore[no-any-return]

    @strawberry.field(description="Every clear-text view of this account's data, newest first.")
    async def access_log(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> AccessLogConnection | None:
        page = await history.access_log(info.context, self.row, first, after)
        return to_connection(page, AccessLogEntry.from_row, AccessLogConnection, AccessLogEdge)  # type: ignore[no-any-return]

    @strawberry.field
    def created_at(self) -> datetime:
        # Readable by every viewer that reaches the account: a non-null field refused
        # to a sub-account would null its whole enterprise.
        return self.row.created_at


@strawberry.type(description="A person who signs in with a phone and SMS code, or WeChat.")
class IndividualAccount(Account):
    @strawberry.field(
        graphql_type=date | None, directives=[Sensitive(kind=SensitiveKind.BIRTH_DATE)]
    )
    def birth_date(self, info: Info, reveal: bool = False) -> SensitiveValue:
        require_relation(info.context, self.row)
        return SensitiveValue(self.row, self.row.birth_date)

    @strawberry.field
    async def guardian_consent(self, info: Info) -> GuardianConsent | None:
        require_relation(info.context, self.row)
        row = await info.context.loaders.guardian_consent_by_account.load(self.row.id)
        return GuardianConsent(row=row, subject=self.row) if row is not None else None


@strawberry.type(description="A business registered with an e-mail address.")
class BusinessAccount(Account):
    @strawberry.field
    def business_name(self) -> str:
        return self.row.business_name or ""

    @strawberry.field
    def ur_token(self) -> str:
        return self.row.ur_token or ""


@strawberry.type(description="An enterprise that manages sub-accounts.")
class EnterpriseAccount(Account):
    @strawberry.field
    def company_name(self) -> str:
        return self.row.company_name or ""

    @strawberry.field(description="Sub-accounts, newest first; `first` at most 100.")
    async def sub_accounts(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: SubAccountFilter | None = None,
    ) -> SubAccountConnection | None:
        where = filter or SubAccountFilter()
        page = await enterprise_queries.sub_accounts(
            info.context,
            self.row,
            first=first,
            after=after,
            status=where.status,
            role=where.role,
            search=where.search,
            email=where.email,
            phone=where.phone,
            # Counting every match is the page's largest cost: only when asked for.
            count=asks_for(info.selected_fields, "totalCount"),
        )
        return SubAccountConnection(
            edges=[
                SubAccountEdge(
                    node=SubAccount(id=account_global_id(e.node), row=e.node), cursor=e.cursor
                )
                for e in page.edges
            ],
            page_info=page_info(page),
            total_count=page.total_count or 0,
        )


@strawberry.type(description="A member of an enterprise, managed by it.")
class SubAccount(Account):
    @strawberry.field
    async def enterprise(self, info: Info) -> EnterpriseAccount:
        require_relation(info.context, self.row, WITH_MANAGER)
        row = await enterprise_of(info.context, self.row)
        return EnterpriseAccount(id=account_global_id(row), row=row)

    @strawberry.field
    def role(self, info: Info) -> SubAccountRole:
        require_relation(info.context, self.row, WITH_MANAGER)
        return self.row.role or SubAccountRole.MEMBER

    @strawberry.field
    def permissions(self, info: Info) -> list[EnterprisePermission]:
        require_relation(info.context, self.row, WITH_MANAGER)
        return [EnterprisePermission(p) for p in self.row.permissions]

    @strawberry.field
    def last_login_at(self, info: Info) -> datetime | None:
        require_relation(info.context, self.row, WITH_MANAGER)
        return self.row.last_login_at

    @strawberry.field(
        description=(
            "Whether the holder proved the phone (a BIND_PHONE code): only then does it "
            "sign in, and until then it blocks nobody else from using it."
        )
    )
    def phone_proven(self, info: Info) -> bool:
        require_relation(info.context, self.row, WITH_MANAGER)
        return self.row.phone is not None

    @strawberry.field(
        description=(
            "Whether the holder proved the address (the invitation's token): only then "
            "does it sign in, and until then it blocks nobody else from using it."
        )
    )
    def email_proven(self, info: Info) -> bool:
        require_relation(info.context, self.row, WITH_MANAGER)
        return self.row.email is not None


@strawberry.input
class SubAccountFilter:
    status: AccountStatus | None = None
    role: SubAccountRole | None = None
    search: str | None = strawberry.field(default=None, description="Prefix of the display name.")
    email: str | None = strawberry.field(
        default=None,
        description="Exact address; matched through the blind index, never by scanning clear values.",
    )
    phone: str | None = None


@strawberry.type
class SubAccountEdge:
    node: SubAccount
    cursor: str


@strawberry.type
class SubAccountConnection:
    edges: list[SubAccountEdge]
    page_info: PageInfo
    total_count: int


ACCOUNT_TYPES: dict[Kind, type[Account]] = {
    Kind.INDIVIDUAL: IndividualAccount,
    Kind.BUSINESS: BusinessAccount,
    Kind.ENTERPRISE: EnterpriseAccount,
    Kind.SUB_ACCOUNT: SubAccount,
}
ACCOUNT_TYPE_NAMES = tuple(cls.__name__ for cls in ACCOUNT_TYPES.values())


def asks_for(selections: Iterable[Any], name: str) -> bool:
    """Whether the selections of a field (fragments included) ask for the field `name`."""
    for selection in selections:
        for child in getattr(selection, "selections", ()):
            if isinstance(child, SelectedField):
                if child.name == name:
                    return True
            elif asks_for([child], name):  # a fragment: its selections are the field's
                return True
    return False


def account_global_id(row: AccountRow) -> strawberry.ID:
    return strawberry.ID(to_global_id(ACCOUNT_TYPES[row.kind].__name__, row.id))


def account_object(row: AccountRow) -> Account:
    return ACCOUNT_TYPES[row.kind](id=account_global_id(row), row=row)


@strawberry.type(
    description="What anyone may see of an account whose owner consented to PUBLIC_PROFILE."
)
class PublicProfile(Node):
    kind: AccountKind
    display_name: str
    avatar_url: str | None

    @classmethod
    def of(cls, row: AccountRow) -> PublicProfile:
        return cls(
            id=strawberry.ID(to_global_id("PublicProfile", row.id)),
            kind=row.kind,
            display_name=row.display_name,
            avatar_url=row.avatar_url,
        )


# Rights requests live here with the accounts they point to and that list them.
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

    @strawberry.field
    def type(self) -> DataRequestType:
        return self.row.type

    @strawberry.field
    def status(self) -> DataRequestStatus:
        return self.row.status

    @strawberry.field(
        graphql_type=str | None, directives=[Sensitive(kind=SensitiveKind.REQUEST_DETAILS)]
    )
    async def details(self, info: Info, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(await self._subject(info), self.row.details, self.row)

    async def _subject(self, info: Info) -> AccountRow | None:
        if self.row.account_id is None:
            return None
        return await info.context.loaders.account_by_id.load(self.row.account_id)

    @strawberry.field
    def deletion_ground(self) -> DeletionGround | None:
        return self.row.deletion_ground

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

    @strawberry.field
    def submitted_at(self) -> datetime:
        return self.row.submitted_at

    @strawberry.field(description="submittedAt + 15 days.")
    def due_at(self) -> datetime:
        return self.row.due_at

    @strawberry.field(description="Still open after its due date.")
    def overdue(self, info: Info) -> bool:
        return is_overdue(self.row, info.context)

    @strawberry.field
    def resolved_at(self) -> datetime | None:
        return self.row.resolved_at

    @strawberry.field
    def resolution_note(self) -> str | None:
        return self.row.resolution_note

    @strawberry.field
    def refusal_reason(self) -> RefusalReason | None:
        return self.row.refusal_reason

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
        row = await rights_requests.handled_by(info.context, self.row)
        return StaffMember.from_row(row) if row is not None else None


@strawberry.type
class DataRequestEdge:
    node: DataRequest
    cursor: str


@strawberry.type
class DataRequestConnection:
    edges: list[DataRequestEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, page: Page[DataRequestRow]) -> DataRequestConnection:
        return cls(
            edges=[
                DataRequestEdge(node=DataRequest.of(e.node), cursor=e.cursor) for e in page.edges
            ],
            page_info=page_info(page),
            total_count=page.total_count or 0,
        )
