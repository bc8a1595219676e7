"""Profile, security settings and linked identities."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import Account as AccountRow
from models import IdentityProvider, SensitiveKind
from models import ThirdPartyIdentity as IdentityRow
from resolvers.masking.reveal import SensitiveValue
from schema.common import from_attributes
from schema.sensitive import Sensitive

strawberry.enum(IdentityProvider, name="IdentityProvider")


@strawberry.type(description="Industry positioning and needs.")
class Profile:
    bio: str | None
    industry: str | None
    position: str | None
    company_size: str | None
    needs: list[str]

    @classmethod
    def from_row(cls, row: AccountRow) -> Profile:
        return from_attributes(cls, row, needs=list(row.needs or []))


@strawberry.type
class SecuritySettings:
    has_password: bool
    phone_bound: bool
    email_bound: bool
    email_verified: bool
    password_changed_at: datetime | None

    @classmethod
    def from_row(cls, row: AccountRow) -> SecuritySettings:
        return cls(
            has_password=row.password_hash is not None,
            phone_bound=row.phone_sealed is not None,
            # An address waiting for its token is bound, not yet verified.
            email_bound=row.email_sealed is not None or row.unproven_email_sealed is not None,
            email_verified=row.email_sealed is not None and row.email_verified_at is not None,
            password_changed_at=row.password_changed_at,
        )


@strawberry.type(description="A third-party account linked for sign-in.")
class ThirdPartyIdentity:
    row: strawberry.Private[IdentityRow]
    subject: strawberry.Private[AccountRow]

    @strawberry.field
    def provider(self) -> IdentityProvider:
        return self.row.provider

    @strawberry.field(graphql_type=str | None, directives=[Sensitive(kind=SensitiveKind.OPEN_ID)])
    def open_id(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(self.subject, self.row.open_id)

    @strawberry.field
    def nickname(self) -> str | None:
        return self.row.nickname

    @strawberry.field
    def avatar_url(self) -> str | None:
        return self.row.avatar_url

    @strawberry.field
    def linked_at(self) -> datetime:
        return self.row.created_at
