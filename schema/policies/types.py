"""Privacy policy versions."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from models import ConsentPurpose
from models import PrivacyPolicy as PolicyRow
from schema.auth.types import StaffMember
from schema.common import from_attributes
from schema.context import Info


@strawberry.type(description="One published version of the privacy policy; body in Markdown.")
class PrivacyPolicy:
    version: str
    effective_on: date
    published_at: datetime
    material: bool
    summary_of_changes: str | None
    body: str
    affected_purposes: list[ConsentPurpose] = strawberry.field(
        description="A material version: the purposes whose consents must be given again."
    )
    row: strawberry.Private[PolicyRow]

    @strawberry.field(description="Staff only: the privacy officer who published it.")
    async def published_by(self, info: Info) -> StaffMember | None:
        return await StaffMember.referenced(info, self.row.published_by_id)

    @classmethod
    def from_row(cls, row: PolicyRow) -> PrivacyPolicy:
        purposes = [ConsentPurpose(value) for value in row.affected_purposes]
        return from_attributes(cls, row, affected_purposes=purposes, row=row)
