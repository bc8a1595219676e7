"""setSubAccountStatus: disabling ends the sub-account's sessions at once
(docs/spec/enterprise.md#disabling-and-deleting)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from models import AccountStatus
from tests.resolvers.enterprise.helpers import (
    NOT_FOUND,
    NOT_ITSELF,
    SET_STATUS,
    UNAUTHENTICATED_BODY,
    WHO_AM_I,
    WITHOUT_THE_ROLE,
    Caller,
    account_state,
    changing_nothing,
    live_sessions_of,
    login,
    refused_at_root,
    stored,
    sub_account_view,
)

NOT_THE_ENTERPRISE = "A sub-account may not change the enterprise account."


def changed(view: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"setSubAccountStatus": {"subAccount": view, "userErrors": []}}}


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"setSubAccountStatus": {"subAccount": None, "userErrors": list(user_errors)}}}


async def post_as(caller: Caller) -> httpx.Response:
    assert caller.token is not None
    return await caller.client.post(
        "/graphql",
        json={"query": WHO_AM_I},
        headers={"Authorization": f"Bearer {caller.token}"},
    )


async def test_disabling_ends_the_sessions_on_the_next_request(
    owner: Caller, member: Caller, db: AsyncSession
) -> None:
    assert (await member(WHO_AM_I))["data"]["viewer"]["account"]["status"] == "ACTIVE"

    body = await owner(SET_STATUS, input={"id": member.id, "status": "DISABLED"})
    response = await post_as(member)

    assert body == changed(sub_account_view(member.row, owner.row, status="DISABLED"))
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED_BODY
    assert (await stored(db, member.row)).status is AccountStatus.DISABLED
    assert await live_sessions_of(db, member.row) == 0


async def test_a_disabled_sub_account_may_not_sign_in_until_enabled(
    owner: Caller, member: Caller
) -> None:
    assert member.row.email is not None
    await owner(SET_STATUS, input={"id": member.id, "status": "DISABLED"})

    refused_login = await login(owner.client, member.row.email)
    enabled = await owner(SET_STATUS, input={"id": member.id, "status": "ACTIVE"})
    old_session = await post_as(member)
    signed_in = await login(owner.client, member.row.email)

    assert refused_login["accessToken"] is None
    assert refused_login["userErrors"] == [
        {"field": None, "code": "ACCOUNT_DISABLED", "message": "This account is disabled."}
    ]
    assert enabled == changed(sub_account_view(member.row, owner.row))
    assert old_session.status_code == 401
    assert signed_in["userErrors"] == []
    assert signed_in["account"] == {"__typename": "SubAccount", "id": member.id}


async def test_an_admin_sub_account_disables_a_sibling(
    admin: Caller, sibling: Caller, owner: Caller
) -> None:
    body = await admin(SET_STATUS, input={"id": sibling.id, "status": "DISABLED"})

    assert body == changed(sub_account_view(sibling.row, owner.row, status="DISABLED"))
    assert (await post_as(sibling)).status_code == 401


async def test_enabling_an_active_sub_account_keeps_its_sessions(
    owner: Caller, member: Caller
) -> None:
    body = await owner(SET_STATUS, input={"id": member.id, "status": "ACTIVE"})

    assert body == changed(sub_account_view(member.row, owner.row))
    assert (await post_as(member)).status_code == 200


@pytest.mark.parametrize("status", ["PENDING_GUARDIAN_CONSENT", "CANCELLED"])
async def test_only_active_or_disabled_may_be_set(
    owner: Caller, member: Caller, db: AsyncSession, status: str
) -> None:
    before = await account_state(db)

    body = await owner(SET_STATUS, input={"id": member.id, "status": status})

    assert body == refused(
        {
            "field": ["status"],
            "code": "INVALID_INPUT",
            "message": "A sub-account is ACTIVE or DISABLED.",
        }
    )
    assert await account_state(db) == before
    assert (await post_as(member)).status_code == 200


@pytest.mark.parametrize(
    ("target", "message"), [("admin", NOT_ITSELF), ("owner", NOT_THE_ENTERPRISE)]
)
async def test_a_sub_account_disables_neither_itself_nor_the_enterprise(
    admin: Caller,
    owner: Caller,
    db: AsyncSession,
    target: str,
    message: str,
) -> None:
    target_id = {"admin": admin.id, "owner": owner.id}[target]
    await refused_at_root(
        db, admin, SET_STATUS, {"id": target_id, "status": "DISABLED"}, message, "FORBIDDEN"
    )
    assert (await post_as(admin)).status_code == 200
    assert (await post_as(owner)).status_code == 200


@WITHOUT_THE_ROLE
async def test_a_viewer_without_the_role_disables_nobody(
    viewer: Caller, admin: Caller, db: AsyncSession, message: str, code: str
) -> None:
    await refused_at_root(
        db, viewer, SET_STATUS, {"id": admin.id, "status": "DISABLED"}, message, code
    )
    assert (await post_as(admin)).status_code == 200


async def test_another_enterprise_finds_no_such_sub_account(
    outsider: Caller, member: Caller, db: AsyncSession
) -> None:
    body = await changing_nothing(db, outsider, SET_STATUS, {"id": member.id, "status": "DISABLED"})

    assert body == refused(NOT_FOUND)
    assert (await post_as(member)).status_code == 200


async def test_the_enterprise_may_not_set_its_own_status_here(
    owner: Caller, db: AsyncSession
) -> None:
    body = await changing_nothing(db, owner, SET_STATUS, {"id": owner.id, "status": "DISABLED"})

    assert body == refused(NOT_FOUND)
