"""The personal-information inventory, for anyone."""

from __future__ import annotations

import strawberry

from schema.context import Info
from schema.privacy.types import DataCategory, DataRecipient, PrivacyContact


@strawberry.type
class PrivacyQueries:
    @strawberry.field(description="Every category of personal information the platform collects.")
    def data_categories(self, info: Info) -> list[DataCategory]:
        return [DataCategory.of(value) for value in info.context.inventory.categories]

    @strawberry.field(description="The partners and SDKs that receive personal information.")
    def data_recipients(self, info: Info) -> list[DataRecipient]:
        return [DataRecipient.of(value) for value in info.context.inventory.recipients]

    @strawberry.field(description="The processor and its personal-information protection officer.")
    def privacy_contact(self, info: Info) -> PrivacyContact:
        return PrivacyContact.of(info.context.inventory.contact)
