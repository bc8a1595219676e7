"""Sessions, sign-in history and staff."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from models import Account as AccountRow
from models import AuthSession, LoginMethod, SensitiveKind, SmsPurpose, StaffRole
from models import LoginEvent as LoginEventRow
from models import StaffMember as StaffRow
from resolvers.accounts.access import referenced_staff_member
from resolvers.global_id import to_global_id
from schema.context import Info
from schema.fields import row_field, sensitive_field

strawberry.enum(LoginMethod, name="LoginMethod")
strawberry.enum(SmsPurpose, name="SmsPurpose")
strawberry.enum(StaffRole, name="StaffRole")


@strawberry.type(description="A signed-in device; `current` marks the one asking.")
class Session:
    id: strawberry.ID
    created_at: datetime
    last_used_at: datetime
    current: bool
    row: strawberry.Private[AuthSession]
    subject: strawberry.Private[AccountRow]

    user_agent = sensitive_field(SensitiveKind.USER_AGENT, "user_agent")

    @classmethod
    def from_row(cls, row: AuthSession, current_id: object, subject: AccountRow) -> Session:
        return cls(
            id=strawberry.ID(to_global_id("Session", row.id)),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            current=row.id == current_id,
            row=row,
            subject=subject,
        )


@strawberry.type(description="One sign-in attempt on the account.")
class LoginEvent:
    row: strawberry.Private[LoginEventRow]
    subject: strawberry.Private[AccountRow]

    at = row_field("created_at", datetime)
    method = row_field("method", LoginMethod)
    success = row_field("success", bool)
    ip_address = sensitive_field(SensitiveKind.IP_ADDRESS, "ip_address")
    user_agent = sensitive_field(SensitiveKind.USER_AGENT, "user_agent")


@strawberry.type(description="Platform staff: privacy officers and support.")
class StaffMember:
    id: strawberry.ID
    name: str
    role: StaffRole

    @classmethod
    def from_row(cls, row: StaffRow) -> StaffMember:
        return cls(
            id=strawberry.ID(to_global_id("StaffMember", row.id)), name=row.name, role=row.role
        )

    @classmethod
    async def referenced(cls, info: Info, staff_id: uuid.UUID | None) -> StaffMember | None:
        """The staff member a row names (who published, recorded or handled it), for staff
        only; none when the row names none."""
        row = await referenced_staff_member(info.context, staff_id)
        return cls.from_row(row) if row is not None else None


@strawberry.type
class WechatAuthorization:
    url: str
    state: str
