"""The personal-information inventory: what is collected, why, for how long, and who receives it."""

from __future__ import annotations

import strawberry

from models import ConsentPurpose
from resolvers.privacy.inventory import DataCategory as CategoryValue
from resolvers.privacy.inventory import DataRecipient as RecipientValue
from resolvers.privacy.inventory import LegalBasis
from resolvers.privacy.inventory import PrivacyContact as ContactValue
from schema.common import from_attributes

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
        return from_attributes(cls, value)


@strawberry.type(description="A partner or SDK that receives personal information.")
class DataRecipient:
    name: str
    kind: str
    purpose: str
    data_categories: list[str]
    requires_separate_consent: bool

    @classmethod
    def of(cls, value: RecipientValue) -> DataRecipient:
        return from_attributes(cls, value, data_categories=list(value.data_categories))


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
        return from_attributes(cls, value)
