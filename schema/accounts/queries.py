from __future__ import annotations

import strawberry

from resolvers.accounts.queries import (
    staff_account,
)
from resolvers.consents.queries import public_account
from resolvers.global_id import key_of
from schema.accounts.types import (
    ACCOUNT_TYPE_NAMES,
    Account,
    PublicProfile,
    Viewer,
    account_global_id,
    account_object,
)
from schema.context import Info
from schema.relay import Node, resolve_node_ids


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="Any object by global ID; null where the viewer may not reach it."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        [found] = await resolve_node_ids(info, [id])
        return found

    @strawberry.field(
        description=(
            "Objects by their global IDs (at most 100), in the order given; null for any "
            "the viewer may not read."
        )
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return await resolve_node_ids(info, ids)

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
