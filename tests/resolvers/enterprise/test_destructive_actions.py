"""Disabling, deleting and re-permissioning a sub-account: step-up, no acting on a peer
that holds more, and the enterprise account hears of each."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.resolvers.enterprise.helpers import (
    DELETE,
    SET_STATUS,
    UPDATE,
    Caller,
    account_state,
    make_caller,
    sub_account_notices,
    top_level_error,
)
from tests.support.api import Api
from tests.support.assertions import errors_of

STEP_UP_REQUIRED = {
    "field": None,
    "code": "STEP_UP_REQUIRED",
    "message": "Confirm it is you (elevateSession), then try again.",
}
NOT_ON_A_PEER = "You may not act on a sub-account holding a permission you lack."
ACTIONS = {
    "disable": (SET_STATUS, "setSubAccountStatus", {"status": "DISABLED"}),
    "delete": (DELETE, "deleteSubAccount", {}),
    "permissions": (UPDATE, "updateSubAccount", {"permissions": []}),
    "role": (UPDATE, "updateSubAccount", {"role": "ADMIN"}),
}


@pytest.mark.parametrize("action", ACTIONS)
async def test_without_a_step_up_nothing_changes(
    api: Api,
    action: str,
    owner: Caller,
    member: Caller,
) -> None:
    """A stolen access token of the enterprise disables, deletes or re-permissions nobody."""
    query, field, values = ACTIONS[action]
    plain = await make_caller(api, owner.row, stepped_up=False)
    before = await account_state(api.db)

    body = await plain(query, input={"id": member.id, **values})

    payload: dict[str, Any] = body["data"][field]
    assert payload["userErrors"] == [STEP_UP_REQUIRED]
    assert await account_state(api.db) == before
    assert await sub_account_notices(api.db, owner) == []


async def test_a_new_name_needs_no_step_up(
    api: Api,
    owner: Caller,
    member: Caller,
) -> None:
    plain = await make_caller(api, owner.row, stepped_up=False)

    body = await plain(UPDATE, input={"id": member.id, "displayName": "Mia M."})

    assert body["data"]["updateSubAccount"]["userErrors"] == []


@pytest.mark.parametrize("action", ACTIONS)
async def test_nobody_acts_on_a_peer_holding_a_permission_it_lacks(
    action: str, admin: Caller, member: Caller, db: AsyncSession
) -> None:
    """The admin lacks MANAGE_PROJECTS, which the member holds."""
    query, field, values = ACTIONS[action]
    before = await account_state(db)

    body = await admin(query, input={"id": member.id, **values})

    assert body["data"] is None
    assert errors_of(body) == [top_level_error(NOT_ON_A_PEER, "FORBIDDEN", field)]
    assert await account_state(db) == before


@pytest.mark.parametrize(
    ("action", "said"),
    [
        ("disable", "Sid Sibling was disabled"),
        ("delete", "Sid Sibling was deleted"),
        ("permissions", "Sid Sibling was given a new role or permissions"),
    ],
)
async def test_the_enterprise_hears_of_each_action(
    action: str, said: str, admin: Caller, sibling: Caller, owner: Caller, db: AsyncSession
) -> None:
    query, field, values = ACTIONS[action]

    body = await admin(query, input={"id": sibling.id, **values})

    assert body["data"][field]["userErrors"] == []
    [notice] = await sub_account_notices(db, owner)
    # The display name is free text anyone may copy: the sub-account's ID names the actor.
    assert notice.startswith(f"{said} by Ada Admin (sub-account {admin.row.id}) at ")
