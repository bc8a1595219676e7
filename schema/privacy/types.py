"""The personal-information inventory: what is collected, why, for how long, and who receives it."""

from __future__ import annotations

import strawberry

from models import ConsentPurpose
from resolvers.privacy.inventory import DataCategory as CategoryValue
from resolvers.privacy.inventory import DataRecipient as RecipientValue
from resolvers.privacy.inventory import LegalBasis
from schema.context import Info

strawberry.enum(LegalBasis, name="LegalBasis")


@strawberry.type(
    description="One row of the personal-information inventory: what is collected, why, and for how long."
)
class DataCategory:
    key: str
    name: str
    description: str
    purpose: str
    legal_basis: LegalBasis
    sensitive: bool
    consent_purpose: ConsentPurpose | None
    retention_days: int | None

    @classmethod
    def of(cls, value: CategoryValue) -> DataCategory:
        return cls(
            key=value.key,
            name=value.name,
            description=value.description,
            purpose=value.purpose,
            legal_basis=value.legal_basis,
            sensitive=value.sensitive,
            consent_purpose=value.consent_purpose,
            retention_days=value.retention_days,
        )


@strawberry.type(description="A partner or SDK that receives personal information.")
class DataRecipient:
    name: str
    kind: str
    purpose: str
    data_categories: list[str]
    requires_separate_consent: bool

    @classmethod
    def of(cls, value: RecipientValue) -> DataRecipient:
        return cls(
            name=value.name,
            kind=value.kind,
            purpose=value.purpose,
            data_categories=list(value.data_categories),
            requires_separate_consent=value.requires_separate_consent,
        )


@strawberry.type
class PrivacyQueries:
    @strawberry.field(description="Every category of personal information the platform collects.")
    def data_categories(self, info: Info) -> list[DataCategory]:
        return [DataCategory.of(value) for value in info.context.inventory.categories]

    @strawberry.field(description="The partners and SDKs that receive personal information.")
    def data_recipients(self, info: Info) -> list[DataRecipient]:
        return [DataRecipient.of(value) for value in info.context.inventory.recipients]
