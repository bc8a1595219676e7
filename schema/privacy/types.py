"""The personal-information inventory: what is collected, why, for how long, and who receives it."""

from __future__ import annotations

import strawberry

from models import ConsentPurpose
from resolvers.privacy.inventory import DataCategory as CategoryValue
from resolvers.privacy.inventory import DataRecipient as RecipientValue
from resolvers.privacy.inventory import LegalBasis
from resolvers.privacy.inventory import PrivacyContact as ContactValue

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
    retention: str = strawberry.field(
        description="The retention rule in words: how long, from when, and what ends it."
    )

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
            retention=value.retention,
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


@strawberry.type(
    description="Who processes personal information, and how to reach its protection officer."
)
class PrivacyContact:
    organisation: str
    email: str
    phone: str | None
    address: str | None
    officer_name: str
    officer_email: str
    regulator: str = strawberry.field(
        description="Where a person may complain beyond us; every refusal notice ends with it."
    )

    @classmethod
    def of(cls, value: ContactValue) -> PrivacyContact:
        return cls(
            organisation=value.organisation,
            email=value.email,
            phone=value.phone,
            address=value.address,
            officer_name=value.officer_name,
            officer_email=value.officer_email,
            regulator=value.regulator,
        )
