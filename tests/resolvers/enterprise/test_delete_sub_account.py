"""deleteSubAccount: erased as cancellation erases, phone and e-mail free again
(docs/spec/enterprise.md#disabling-and-deleting, docs/spec/rights.md#cancellation)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from models import AccountStatus, LoginEvent
from tests.resolvers.enterprise.helpers import (
    CREATE,
    DELETE,
    NOT_ALLOWED,
    NOT_FOUND,
    NOT_ITSELF,
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
    top_level_error,
)
from tests.support.assertions import errors_of
from tests.support.viewers import PASSWORD

NOT_THE_ENTERPRISE = "A sub-account may not change the enterprise account."
DELETED = {"data": {"deleteSubAccount": {"ok": True, "userErrors": []}}}
NOT_DELETED = {"data": {"deleteSubAccount": {"ok": False, "userErrors": [NOT_FOUND]}}}
NODE = """
query($id: ID!) { node(id: $id) { id ... on SubAccount { status displayName phone email } } }
"""
STAFF_ACCOUNT = """
query($id: ID!) {
  account(id: $id) { id status displayName phone email ... on SubAccount { role permissions } }
}
"""
TOTAL = "{ viewer { account { ... on EnterpriseAccount { subAccounts { totalCount } } } } }"


async def test_deleting_erases_the_personal_data_and_ends_the_sessions(
    owner: Caller, member: Caller, db: AsyncSession
) -> None:
    assert member.row.email is not None
    email = member.row.email
    signed_in = await login(owner.client, email)
    assert signed_in["userErrors"] == []
    assert await db.scalar(select(func.count()).where(LoginEvent.account_id == member.row.id))

    body = await owner(DELETE, input={"id": member.id})

    assert body == DELETED
    response = await member.client.post(
        "/graphql", json={"query": WHO_AM_I}, headers={"Authorization": f"Bearer {member.token}"}
    )
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED_BODY
    row = await stored(db, member.row)
    assert row.status is AccountStatus.CANCELLED
    assert row.display_name == "Cancelled account"
    assert (row.phone_sealed, row.phone_index, row.email_sealed, row.email_index) == (
        None,
        None,
        None,
        None,
    )
    assert row.password_hash is None
    assert row.role is None
    assert row.permissions == []
    assert await live_sessions_of(db, row) == 0
    assert not await db.scalar(select(func.count()).where(LoginEvent.account_id == row.id))
    assert (await login(owner.client, email))["userErrors"] == [
        {
            "field": None,
            "code": "INVALID_CREDENTIALS",
            "message": "The login or the password is not right.",
        }
    ]


async def test_a_deleted_sub_account_is_gone_for_the_enterprise_and_a_shell_for_staff(
    owner: Caller, admin: Caller, member: Caller, staff: Caller
) -> None:
    await owner(DELETE, input={"id": member.id})

    assert await owner(NODE, id=member.id) == {"data": {"node": None}}
    assert await admin(NODE, id=member.id) == {"data": {"node": None}}
    assert await owner(TOTAL) == {
        "data": {"viewer": {"account": {"subAccounts": {"totalCount": 1}}}}
    }
    shell = await staff(STAFF_ACCOUNT, id=member.id)
    assert shell["data"] == {
        "account": {
            "id": member.id,
            "status": "CANCELLED",
            "displayName": "Cancelled account",
            "phone": None,
            "email": None,
            "role": "MEMBER",
            "permissions": [],
        }
    }
    # Staff work no request of the shell: its personal fields stay closed to them.
    assert sorted(errors_of(shell), key=lambda error: str(error["path"])) == [
        top_level_error(NOT_ALLOWED, "FORBIDDEN", "account", field) for field in ("email", "phone")
    ]


async def test_the_phone_and_email_of_a_deleted_sub_account_are_free_again(
    owner: Caller, member: Caller, db: AsyncSession, outbox: Outbox
) -> None:
    assert member.row.email is not None
    assert member.row.phone is not None
    new = {
        "displayName": "Mia Again",
        "email": member.row.email,
        "phone": member.row.phone,
        "password": PASSWORD,
        "role": "MEMBER",
        "permissions": [],
    }
    taken = await owner(CREATE, input=new)

    await owner(DELETE, input={"id": member.id})
    body = await owner(CREATE, input=new)
    [invitation] = outbox.for_recipient(member.row.email)
    await Caller(owner.client, None)(
        "mutation($t: String!) { confirmEmail(input: { token: $t }) { userErrors { code } } }",
        t=invitation.code,
    )
    signed_in = await login(owner.client, member.row.email)

    assert taken["data"]["createSubAccount"]["userErrors"] == [
        {
            "field": ["email"],
            "code": "ALREADY_EXISTS",
            "message": "Another sub-account of this enterprise has this email.",
        },
        {
            "field": ["phone"],
            "code": "ALREADY_EXISTS",
            "message": "Another sub-account of this enterprise has this phone.",
        },
    ]
    payload = body["data"]["createSubAccount"]
    assert payload["userErrors"] == []
    assert payload["subAccount"]["id"] != member.id
    assert payload["subAccount"]["displayName"] == "Mia Again"
    assert signed_in["account"] == {"__typename": "SubAccount", "id": payload["subAccount"]["id"]}


async def test_an_admin_sub_account_deletes_a_sibling(
    admin: Caller, sibling: Caller, db: AsyncSession
) -> None:
    body = await admin(DELETE, input={"id": sibling.id})

    assert body == DELETED
    assert (await stored(db, sibling.row)).status is AccountStatus.CANCELLED


async def test_deleting_twice_finds_nothing_the_second_time(owner: Caller, member: Caller) -> None:
    assert await owner(DELETE, input={"id": member.id}) == DELETED
    assert await owner(DELETE, input={"id": member.id}) == NOT_DELETED


@pytest.mark.parametrize(
    ("target", "message"), [("admin", NOT_ITSELF), ("owner", NOT_THE_ENTERPRISE)]
)
async def test_a_sub_account_deletes_neither_itself_nor_the_enterprise(
    admin: Caller, owner: Caller, db: AsyncSession, target: str, message: str
) -> None:
    target_id = {"admin": admin.id, "owner": owner.id}[target]
    await refused_at_root(db, admin, DELETE, {"id": target_id}, message, "FORBIDDEN")


@WITHOUT_THE_ROLE
async def test_a_viewer_without_the_role_deletes_nothing(
    viewer: Caller, admin: Caller, db: AsyncSession, message: str, code: str
) -> None:
    await refused_at_root(db, viewer, DELETE, {"id": admin.id}, message, code)


async def test_another_enterprise_finds_no_such_sub_account(
    outsider: Caller, member: Caller, db: AsyncSession
) -> None:
    body = await changing_nothing(db, outsider, DELETE, {"id": member.id})

    assert body == NOT_DELETED


async def test_the_enterprise_is_not_a_sub_account_to_delete(
    owner: Caller, db: AsyncSession
) -> None:
    before = await account_state(db)

    assert await owner(DELETE, input={"id": owner.id}) == NOT_DELETED
    assert await account_state(db) == before
