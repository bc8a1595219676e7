"""updateSubAccount for every viewer: names, roles and permissions
(docs/spec/enterprise.md#who-manages-sub-accounts)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from models import AccountKind, AccountStatus, SubAccountRole
from resolvers.global_id import to_global_id
from tests.conftest import Clock
from tests.resolvers.enterprise.helpers import (
    DELETE,
    NOT_FOUND,
    NOT_GRANTABLE,
    NOT_ITSELF,
    UPDATE,
    WITHOUT_THE_ROLE,
    Caller,
    account_state,
    changing_nothing,
    make_sub_account,
    refused_at_root,
    stored,
    sub_account_view,
    top_level_error,
)
from tests.support.assertions import errors_of
from tests.support.factories import create_account

NOT_THE_ENTERPRISE = "A sub-account may not change the enterprise account."
LIST_AS_ENTERPRISE = """
{ viewer { account { ... on SubAccount { enterprise { subAccounts { totalCount } } } } } }
"""


def updated(view: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"updateSubAccount": {"subAccount": view, "userErrors": []}}}


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"updateSubAccount": {"subAccount": None, "userErrors": list(user_errors)}}}


async def test_the_enterprise_changes_name_role_and_permissions(
    owner: Caller, member: Caller, db: AsyncSession
) -> None:
    body = await owner(
        UPDATE,
        input={
            "id": member.id,
            "displayName": " Mia Lead ",
            "role": "ADMIN",
            "permissions": ["MANAGE_BILLING", "MANAGE_SUB_ACCOUNTS", "MANAGE_BILLING"],
        },
    )

    assert body == updated(
        sub_account_view(
            member.row,
            owner.row,
            display_name="Mia Lead",
            role="ADMIN",
            permissions=["MANAGE_BILLING", "MANAGE_SUB_ACCOUNTS"],
        )
    )
    row = await stored(db, member.row)
    assert row.display_name == "Mia Lead"
    assert row.role is SubAccountRole.ADMIN
    assert row.permissions == ["MANAGE_BILLING", "MANAGE_SUB_ACCOUNTS"]


async def test_only_the_fields_given_change(
    owner: Caller, member: Caller, db: AsyncSession
) -> None:
    body = await owner(UPDATE, input={"id": member.id, "displayName": "Mia M."})

    assert body == updated(
        sub_account_view(member.row, owner.row, display_name="Mia M.", role="MEMBER")
    )
    row = await stored(db, member.row)
    assert row.role is SubAccountRole.MEMBER
    assert row.permissions == ["MANAGE_PROJECTS"]


async def test_an_empty_permission_list_takes_every_permission_away(
    owner: Caller, admin: Caller, db: AsyncSession
) -> None:
    body = await owner(UPDATE, input={"id": admin.id, "permissions": []})

    assert body["data"]["updateSubAccount"]["subAccount"]["permissions"] == []
    assert (await stored(db, admin.row)).permissions == []


async def test_new_permissions_apply_from_the_sub_accounts_next_request(
    owner: Caller, member: Caller
) -> None:
    before = await member(LIST_AS_ENTERPRISE)

    await owner(UPDATE, input={"id": member.id, "permissions": ["VIEW_SUB_ACCOUNTS"]})
    after = await member(LIST_AS_ENTERPRISE)

    assert errors_of(before) == [
        top_level_error(
            "You may not read this field.",
            "FORBIDDEN",
            "viewer",
            "account",
            "enterprise",
            "subAccounts",
        )
    ]
    assert after == {
        "data": {"viewer": {"account": {"enterprise": {"subAccounts": {"totalCount": 2}}}}}
    }


async def test_an_admin_sub_account_updates_a_sibling_within_its_permissions(
    admin: Caller, sibling: Caller, owner: Caller, db: AsyncSession
) -> None:
    body = await admin(
        UPDATE, input={"id": sibling.id, "role": "ADMIN", "permissions": ["VIEW_SUB_ACCOUNTS"]}
    )

    assert body == updated(
        sub_account_view(sibling.row, owner.row, role="ADMIN", permissions=["VIEW_SUB_ACCOUNTS"])
    )
    assert (await stored(db, sibling.row)).permissions == ["VIEW_SUB_ACCOUNTS"]


async def test_an_admin_may_not_grant_a_permission_it_lacks(
    admin: Caller, member: Caller, db: AsyncSession
) -> None:
    before = await account_state(db)

    body = await admin(
        UPDATE,
        input={"id": member.id, "displayName": "Renamed", "permissions": ["MANAGE_BILLING"]},
    )

    assert body["data"] is None
    assert errors_of(body) == [top_level_error(NOT_GRANTABLE, "FORBIDDEN", "updateSubAccount")]
    assert await account_state(db) == before


@pytest.mark.parametrize(
    "change",
    [{"displayName": "Boss"}, {"role": "ADMIN"}, {"permissions": ["VIEW_SUB_ACCOUNTS"]}],
)
async def test_a_sub_account_may_not_change_itself(
    admin: Caller, db: AsyncSession, change: dict[str, Any]
) -> None:
    await refused_at_root(db, admin, UPDATE, {"id": admin.id, **change}, NOT_ITSELF, "FORBIDDEN")


async def test_a_sub_account_may_not_change_the_enterprise(
    admin: Caller, owner: Caller, db: AsyncSession
) -> None:
    await refused_at_root(
        db,
        admin,
        UPDATE,
        {"id": owner.id, "displayName": "Taken Over"},
        NOT_THE_ENTERPRISE,
        "FORBIDDEN",
    )


@WITHOUT_THE_ROLE
async def test_a_viewer_without_the_role_changes_nothing(
    viewer: Caller, admin: Caller, db: AsyncSession, message: str, code: str
) -> None:
    await refused_at_root(
        db, viewer, UPDATE, {"id": admin.id, "displayName": "Renamed"}, message, code
    )


async def test_another_enterprise_finds_no_such_sub_account(
    outsider: Caller, member: Caller, db: AsyncSession
) -> None:
    body = await changing_nothing(db, outsider, UPDATE, {"id": member.id, "displayName": "Renamed"})

    assert body == refused(NOT_FOUND)


async def test_ids_that_name_no_sub_account_of_the_enterprise_are_not_found(
    owner: Caller, member: Caller, db: AsyncSession, clock: Clock
) -> None:
    individual = await create_account(db, kind=AccountKind.INDIVIDUAL)
    cancelled = await make_sub_account(
        db, clock, owner.row, "Gone", number=3, status=AccountStatus.CANCELLED
    )
    await db.commit()
    before = await account_state(db)
    ids = [
        to_global_id("SubAccount", uuid.uuid4()),
        to_global_id("SubAccount", individual.id),
        to_global_id("IndividualAccount", individual.id),
        to_global_id("SubAccount", cancelled.id),
        to_global_id("IndividualAccount", member.row.id),
        owner.id,
    ]

    bodies = [await owner(UPDATE, input={"id": id_, "displayName": "Renamed"}) for id_ in ids]

    assert bodies == [refused(NOT_FOUND)] * len(ids)
    assert await account_state(db) == before


async def test_a_deleted_sub_account_is_not_found(owner: Caller, member: Caller) -> None:
    await owner(DELETE, input={"id": member.id})

    body = await owner(UPDATE, input={"id": member.id, "displayName": "Back"})

    assert body == refused(NOT_FOUND)


@pytest.mark.parametrize("name", ["", "   ", "y" * 31])
async def test_an_invalid_name_changes_nothing_else_either(
    owner: Caller, member: Caller, db: AsyncSession, name: str
) -> None:
    before = await account_state(db)

    body = await owner(
        UPDATE,
        input={"id": member.id, "displayName": name, "role": "ADMIN", "permissions": []},
    )

    assert body == refused(
        {"field": ["displayName"], "code": "INVALID_INPUT", "message": "Give 1 to 30 characters."}
    )
    assert await account_state(db) == before
