from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.accounts.queries import (
    public_account,
    readable_account,
    readable_bank_card,
    staff_account,
    viewer_account,
    viewer_staff,
)
from resolvers.context import RequestContext
from resolvers.global_id import decode_global_id, key_of
from schema.accounts.types import (
    ACCOUNT_TYPE_NAMES,
    Account,
    PublicProfile,
    account_global_id,
    account_object,
)
from schema.auth.types import StaffMember
from schema.bank_cards.types import BankCard
from schema.context import Info
from schema.relay import Node


async def account_node(ctx: RequestContext, id: strawberry.ID) -> Account | None:
    """The account an ID names, as `node(id:)` resolves it: None where the viewer may not
    reach it, exactly as for one that does not exist (the federation's `_entities` too)."""
    key = key_of(id, *ACCOUNT_TYPE_NAMES)
    row = await readable_account(ctx, key) if key is not None else None
    node = account_object(row) if row is not None else None
    # An ID minted for one account type never resolves as another.
    return node if node is not None and node.id == id else None


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
        decoded = decode_global_id(id)
        type_name, key = decoded.type_name, decoded.key
        if type_name in ACCOUNT_TYPE_NAMES:
            return await account_node(info.context, id)
        if type_name == "BankCard":
            found = await readable_bank_card(info.context, key)
            return BankCard.of(*found) if found is not None else None
        if type_name == "PublicProfile":
            public = await public_account(info.context, key)
            return PublicProfile.of(public) if public is not None else None
        return None

    @strawberry.field(description="What anyone may see of an account with a public profile.")
    async def public_profile(self, info: Info, id: strawberry.ID) -> PublicProfile | None:
        """Takes the PublicProfile's ID or the account's own ID."""
        key = key_of(id, "PublicProfile", *ACCOUNT_TYPE_NAMES)
        if key is None:
            return None
        public = await public_account(info.context, key)
        if public is None:
            return None
        # An account's own ID names the account's type; one minted for another type
        # never resolves, as in node(id:).
        if key_of(id, "PublicProfile") is None and account_global_id(public) != id:
            return None
        return PublicProfile.of(public)

    @strawberry.field(description="Staff only: any account, a cancelled shell included.")
    async def account(self, info: Info, id: strawberry.ID) -> Account | None:
        key = key_of(id, *ACCOUNT_TYPE_NAMES)
        row = await staff_account(info.context, key) if key is not None else None
        node = account_object(row) if row is not None else None
        return node if node is not None and node.id == id else None

    @strawberry.field(description="The signed-in caller; null when anonymous.")
    def viewer(self, info: Info) -> Viewer | None:
        viewer = info.context.viewer
        if viewer is None:
            return None
        return Viewer(elevated_until=viewer.elevated_until)
