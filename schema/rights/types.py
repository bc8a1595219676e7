"""Security incidents as privacy officers record them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import SecurityIncident as IncidentRow
from resolvers.global_id import to_global_id
from resolvers.rights import incidents
from schema.auth.types import StaffMember
from schema.context import Info


@strawberry.type(description="A security incident and what the affected people were told.")
class SecurityIncident:
    row: strawberry.Private[IncidentRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("SecurityIncident", self.row.id))

    @strawberry.field
    def title(self) -> str:
        return self.row.title

    @strawberry.field
    def description(self) -> str:
        return self.row.description

    @strawberry.field
    def measures(self) -> str:
        return self.row.measures

    @strawberry.field
    def advice(self) -> str:
        return self.row.advice

    @strawberry.field
    def recorded_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="Staff only: the privacy officer who recorded it.")
    async def recorded_by(self, info: Info) -> StaffMember | None:
        staff = await incidents.recorded_by(info.context, self.row)
        return StaffMember.from_row(staff) if staff is not None else None
