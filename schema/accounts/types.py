"""The Account interface and its four kinds."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from models import AccessLogEntry as AccessLogRow
from models import Account as AccountRow
from models import AccountKind as Kind
from models import (
    ActorKind,
    DevicePermissionKind,
    EnterprisePermission,
    SensitiveKind,
    SubAccountRole,
)
from resolvers.accounts import history
from resolvers.accounts.access import (
    BILLING,
    OWNER_AND_STAFF,
    OWNER_STAFF_AND_MANAGERS,
    SUB_ACCOUNT_LISTERS,
)
from resolvers.accounts.queries import (
    enterprise_of,
    readable_accounts,
    viewer_account,
    viewer_staff,
)
from resolvers.consents import queries as consent_queries
from resolvers.enterprise import queries as enterprise_queries
from resolvers.global_id import to_global_id
from resolvers.masking.reveal import SensitiveValue
from resolvers.policies.status import policy_status as status_of_policy
from resolvers.rights import incidents
from resolvers.rights import requests as rights_requests
from schema.access import readable_by
from schema.auth.types import LoginEvent, Session, StaffMember
from schema.bank_cards.types import BankCard
from schema.common import from_attributes
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
from schema.fields import row_field
from schema.relay import Connection, Edge, Node, Paged, connection
from schema.sensitive import Sensitive
from schema.settings.types import Profile, SecuritySettings, ThirdPartyIdentity
from schema.verifications.types import Verifications

if TYPE_CHECKING:
    from schema.rights.types import DataRequest, IncidentNotice

strawberry.enum(ActorKind, name="ActorKind")

# Rights requests and incidents name the account they concern, so the account names their
# types lazily (`strawberry.lazy`), resolved when the schema is built: at run time the
# rights types import the account's, never the other way round.
RIGHTS_TYPES = "schema.rights.types"


def rights_type(name: str) -> Any:
    """A type of `schema/rights/types.py`, taken when a field first needs it."""
    return strawberry.LazyType(name, RIGHTS_TYPES).resolve_type()


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
        return from_attributes(cls, row, at=row.created_at)


@strawberry.type(name="AccessLogEdge", description="An entry of the access log.")
class AccessLogEdge(Edge[AccessLogEntry]):  # type: ignore[type-var]
    pass


@strawberry.type(name="AccessLogConnection", description="One page of the access log.")
class AccessLogConnection(Connection[AccessLogEntry]):
    edges: list[AccessLogEdge] = strawberry.field(  # type: ignore[assignment]
        description="The entries of this page."
    )
    edge_type = AccessLogEdge


@strawberry.interface(description="An account of any kind; fields depend on the viewer.")
class Account(Node):
    row: strawberry.Private[AccountRow]

    @classmethod
    async def resolve_nodes(cls, info: Info, keys: Sequence[uuid.UUID]) -> list[Account | None]:
        rows = await readable_accounts(info.context, keys)
        return [account_object(row) if row is not None else None for row in rows]

    kind = row_field("kind", AccountKind)
    status = row_field("status", AccountStatus)
    display_name = row_field("display_name", str)
    avatar_url = row_field("avatar_url", str | None)

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

    @strawberry.field(extensions=readable_by(OWNER_STAFF_AND_MANAGERS))
    def profile(self) -> Profile | None:
        return Profile.from_row(self.row)

    @strawberry.field(extensions=readable_by(OWNER_AND_STAFF))
    def security(self) -> SecuritySettings | None:
        return SecuritySettings.from_row(self.row)

    @strawberry.field(extensions=readable_by(OWNER_AND_STAFF))
    async def identities(self, info: Info) -> list[ThirdPartyIdentity] | None:
        rows = await info.context.loaders.identities_by_account.load(self.row.id)
        return [ThirdPartyIdentity(row=row, subject=self.row) for row in rows]

    @strawberry.field(extensions=readable_by(OWNER_AND_STAFF))
    def verifications(self) -> Verifications | None:
        return Verifications(subject=self.row)

    @strawberry.field(extensions=readable_by(BILLING))
    async def bank_cards(self, info: Info) -> list[BankCard] | None:
        rows = await info.context.loaders.bank_cards_by_account.load(self.row.id)
        return [BankCard.of(row, self.row) for row in rows]

    @strawberry.field(
        description="Every consent purpose: granted or not, with its history.",
        extensions=readable_by(OWNER_AND_STAFF),
    )
    async def consents(self, info: Info) -> list[Consent] | None:
        return [
            Consent.of(state) for state in await consent_queries.consents(info.context, self.row)
        ]

    @strawberry.field(
        description="Every device permission; all off until turned on.",
        extensions=readable_by(OWNER_AND_STAFF),
    )
    async def device_permissions(self, info: Info) -> list[DevicePermission] | None:
        rows = await consent_queries.device_permissions(info.context, self.row)
        by_kind = {row.permission: row for row in rows}
        return [DevicePermission.of(kind, by_kind.get(kind)) for kind in DevicePermissionKind]

    @strawberry.field(extensions=readable_by(OWNER_AND_STAFF))
    async def policy_status(self, info: Info) -> PolicyStatus | None:
        return PolicyStatus.of(await status_of_policy(info.context, self.row))

    @connection(
        Connection[SearchEntry],
        description="Searches recorded while SEARCH_HISTORY was granted, newest first.",
        extensions=readable_by(OWNER_AND_STAFF),
    )
    async def search_history(self, info: Info) -> Paged[SearchEntry]:
        listing = await consent_queries.search_history(info.context, self.row)
        return Paged(listing, lambda row: SearchEntry(row=row, subject=self.row))

    @connection(
        Connection[Notification],
        description="Notifications, newest first.",
        extensions=readable_by(OWNER_AND_STAFF),
    )
    async def notifications(self, info: Info) -> Paged[Notification]:
        return Paged(consent_queries.notifications(info.context, self.row), Notification.of)

    @connection(
        Connection[Annotated["IncidentNotice", strawberry.lazy(RIGHTS_TYPES)]],
        description="The security incidents the account was told of, newest first.",
        extensions=readable_by(OWNER_AND_STAFF),
    )
    async def security_incidents(self, info: Info) -> Paged[IncidentNotice]:
        listing = incidents.account_incidents(info.context, self.row)
        notice = rights_type("IncidentNotice")
        return Paged(listing, lambda row: notice(row=row))

    @connection(
        Connection[Annotated["DataRequest", strawberry.lazy(RIGHTS_TYPES)]],
        description="The account's rights requests, newest first.",
        extensions=readable_by(OWNER_AND_STAFF),
    )
    async def data_requests(self, info: Info) -> Paged[DataRequest]:
        listing = rights_requests.account_data_requests(info.context, self.row)
        return Paged(listing, rights_type("DataRequest").of)

    @strawberry.field(
        description="Live sessions, newest first; the asking one marked current.",
        extensions=readable_by(OWNER_AND_STAFF),
    )
    async def sessions(self, info: Info) -> list[Session] | None:
        rows = await history.account_sessions(info.context, self.row)
        current = info.context.viewer.session_id if info.context.viewer else None
        return [Session.from_row(row, current, self.row) for row in rows]

    @connection(
        Connection[LoginEvent],
        description="Every sign-in attempt, newest first.",
        extensions=readable_by(OWNER_AND_STAFF),
    )
    async def login_history(self, info: Info) -> Paged[LoginEvent]:
        listing = history.login_history(info.context, self.row)
        return Paged(listing, lambda row: LoginEvent(row=row, subject=self.row))

    @connection(
        AccessLogConnection,
        description="Every clear-text view of this account's data, newest first.",
        extensions=readable_by(OWNER_AND_STAFF),
    )
    async def access_log(self, info: Info) -> Paged[AccessLogEntry]:
        return Paged(history.access_log(info.context, self.row), AccessLogEntry.from_row)

    @strawberry.field
    def created_at(self) -> datetime:
        # Readable by every viewer that reaches the account: a non-null field refused
        # to a sub-account would null its whole enterprise.
        return self.row.created_at


@strawberry.type(description="A person who signs in with a phone and SMS code, or WeChat.")
class IndividualAccount(Account):
    @strawberry.field(
        graphql_type=date | None,
        directives=[Sensitive(kind=SensitiveKind.BIRTH_DATE)],
        extensions=readable_by(OWNER_AND_STAFF),
    )
    def birth_date(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(self.row, self.row.birth_date)

    @strawberry.field(extensions=readable_by(OWNER_AND_STAFF))
    async def guardian_consent(self, info: Info) -> GuardianConsent | None:
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

    @connection(
        Connection["SubAccount"],
        description="Sub-accounts, newest first.",
        extensions=readable_by(SUB_ACCOUNT_LISTERS),
    )
    async def sub_accounts(
        self, info: Info, filter: SubAccountFilter | None = None
    ) -> Paged[SubAccount]:
        where = filter or SubAccountFilter()
        listing = await enterprise_queries.sub_accounts(
            info.context,
            self.row,
            status=where.status,
            role=where.role,
            search=where.search,
            email=where.email,
            phone=where.phone,
        )
        return Paged(listing, lambda row: SubAccount(id=account_global_id(row), row=row))


@strawberry.type(description="A member of an enterprise, managed by it.")
class SubAccount(Account):
    @strawberry.field(extensions=readable_by(OWNER_STAFF_AND_MANAGERS))
    async def enterprise(self, info: Info) -> EnterpriseAccount:
        row = await enterprise_of(info.context, self.row)
        return EnterpriseAccount(id=account_global_id(row), row=row)

    @strawberry.field(extensions=readable_by(OWNER_STAFF_AND_MANAGERS))
    def role(self) -> SubAccountRole:
        return self.row.role or SubAccountRole.MEMBER

    @strawberry.field(extensions=readable_by(OWNER_STAFF_AND_MANAGERS))
    def permissions(self) -> list[EnterprisePermission]:
        return [EnterprisePermission(p) for p in self.row.permissions]

    @strawberry.field(extensions=readable_by(OWNER_STAFF_AND_MANAGERS))
    def last_login_at(self) -> datetime | None:
        return self.row.last_login_at

    @strawberry.field(
        description=(
            "Whether the holder proved the phone (a BIND_PHONE code): only then does it "
            "sign in, and until then it blocks nobody else from using it."
        ),
        extensions=readable_by(OWNER_STAFF_AND_MANAGERS),
    )
    def phone_proven(self) -> bool:
        return self.row.phone is not None

    @strawberry.field(
        description=(
            "Whether the holder proved the address (the invitation's token): only then "
            "does it sign in, and until then it blocks nobody else from using it."
        ),
        extensions=readable_by(OWNER_STAFF_AND_MANAGERS),
    )
    def email_proven(self) -> bool:
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


ACCOUNT_TYPES: dict[Kind, type[Account]] = {
    Kind.INDIVIDUAL: IndividualAccount,
    Kind.BUSINESS: BusinessAccount,
    Kind.ENTERPRISE: EnterpriseAccount,
    Kind.SUB_ACCOUNT: SubAccount,
}
ACCOUNT_TYPE_NAMES = tuple(cls.__name__ for cls in ACCOUNT_TYPES.values())


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
        return from_attributes(cls, row, id=strawberry.ID(to_global_id("PublicProfile", row.id)))

    @classmethod
    async def resolve_nodes(
        cls, info: Info, keys: Sequence[uuid.UUID]
    ) -> list[PublicProfile | None]:
        rows = await consent_queries.public_accounts(info.context, keys)
        return [cls.of(row) if row is not None else None for row in rows]


@strawberry.type(description="The signed-in caller: an account or a staff member.")
class Viewer:
    elevated_until: datetime | None

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        row = await viewer_account(info.context)
        return account_object(row) if row is not None else None

    @strawberry.field
    async def staff(self, info: Info) -> StaffMember | None:
        row = await viewer_staff(info.context)
        return StaffMember.from_row(row) if row is not None else None
