"""Profile, security settings and linked identities."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import Account as AccountRow
from models import IdentityProvider, SensitiveKind
from models import ThirdPartyIdentity as IdentityRow
from schema.common import from_attributes
from schema.fields import row_field, sensitive_field

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

    provider = row_field("provider", IdentityProvider)
    open_id = sensitive_field(SensitiveKind.OPEN_ID, "open_id")
    nickname = row_field("nickname", str | None)
    avatar_url = row_field("avatar_url", str | None)
    linked_at = row_field("created_at", datetime)
