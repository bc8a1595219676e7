from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.accounts.queries import readable_account, viewer_account, viewer_staff
from resolvers.global_id import key_of
from schema.accounts.types import ACCOUNT_TYPE_NAMES, Account, account_object
from schema.auth.types import StaffMember
from schema.context import Info
from schema.relay import Node


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


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="Any object by global ID; null where the viewer may not reach it."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        account_id = key_of(id, *ACCOUNT_TYPE_NAMES)
        if account_id is None:
            return None
        row = await readable_account(info.context, account_id)
        if row is None:
            return None
        node = account_object(row)
        # An ID minted for one type never resolves as another.
        return node if node.id == id else None

    @strawberry.field(description="The signed-in caller; null when anonymous.")
    def viewer(self, info: Info) -> Viewer | None:
        viewer = info.context.viewer
        if viewer is None:
            return None
        return Viewer(elevated_until=viewer.elevated_until)
