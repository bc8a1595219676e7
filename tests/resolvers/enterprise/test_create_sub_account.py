"""createSubAccount for every viewer, every input error and the configurable cap
(docs/spec/enterprise.md#creating-and-inviting)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from models import (
    Account,
    AccountKind,
    AccountStatus,
    SubAccountRole,
)
from tests.conftest import Clock
from tests.resolvers.enterprise.conftest import MAX_SUB_ACCOUNTS
from tests.resolvers.enterprise.helpers import (
    CREATE,
    DELETE,
    NOT_GRANTABLE,
    NOT_MANAGER,
    SET_STATUS,
    SIGN_IN_FIRST,
    Caller,
    account_state,
    make_caller,
    masked_email,
    masked_phone,
    step_up,
    sub_account_notices,
    sub_account_phone,
    top_level_error,
)
from tests.support.api import Api
from tests.support.assertions import errors_of
from tests.support.factories import create_account, create_member
from tests.support.ids import global_id
from tests.support.viewers import PASSWORD

NEW_EMAIL = "New.Hire@Acme.Example"
NEW_PHONE = "+86 136 0000 0777"


def new_sub_account(**values: Any) -> dict[str, Any]:
    return {
        "displayName": "  New Hire  ",
        "email": NEW_EMAIL,
        "phone": NEW_PHONE,
        "password": PASSWORD,
        "role": "MEMBER",
        "permissions": ["VIEW_ORDERS", "MANAGE_PROJECTS"],
        **values,
    }


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"createSubAccount": {"subAccount": None, "userErrors": list(user_errors)}}}


def error(code: str, message: str, *field: str) -> dict[str, Any]:
    return {"field": list(field) or None, "code": code, "message": message}


BREACHED = "This password is on a list of passwords known from data breaches; choose another."
INVALID_EMAIL = error("INVALID_EMAIL", "This is not an e-mail address.", "email")
INVALID_PHONE = error("INVALID_PHONE", "This is not a valid phone number.", "phone")
EMAIL_TAKEN = error(
    "ALREADY_EXISTS", "Another sub-account of this enterprise has this email.", "email"
)
PHONE_TAKEN = error(
    "ALREADY_EXISTS", "Another sub-account of this enterprise has this phone.", "phone"
)
INVALID_CREDENTIALS = error("INVALID_CREDENTIALS", "The login or the password is not right.")
CONFIRM_EMAIL = """
mutation($input: ConfirmEmailInput!) {
  confirmEmail(input: $input) { account { __typename } userErrors { field code message } }
}
"""
STEP_UP_REQUIRED = error("STEP_UP_REQUIRED", "Confirm it is you (elevateSession), then try again.")
LOGIN_MUST_CHANGE = """
mutation($input: LoginWithPasswordInput!) {
  loginWithPassword(input: $input) {
    accessToken mustChangePassword account { __typename id } userErrors { field code message }
  }
}
"""
SET_PASSWORD = """
mutation($input: SetPasswordInput!) { setPassword(input: $input) { userErrors { code } } }
"""
LIMIT_REACHED = error(
    "LIMIT_REACHED", f"An enterprise has at most {MAX_SUB_ACCOUNTS} sub-accounts."
)


async def created_row(db: AsyncSession, body: dict[str, Any]) -> Account:
    payload = body["data"]["createSubAccount"]
    assert payload["userErrors"] == [], body
    rows = (await db.scalars(select(Account).where(Account.display_name == "New Hire"))).all()
    assert len(rows) == 1
    assert global_id(rows[0]) == payload["subAccount"]["id"]
    return rows[0]


async def sign_in(caller: Caller, login: str) -> dict[str, Any]:
    signed_in = await Caller(caller.client, None)(
        LOGIN_MUST_CHANGE, input={"login": login, "password": PASSWORD}
    )
    payload: dict[str, Any] = signed_in["data"]["loginWithPassword"]
    return payload


def invitation(outbox: Outbox, address: str = "New.Hire@acme.example") -> str:
    [message] = outbox.for_recipient(address)
    assert (message.channel, message.purpose) == ("email", "SUB_ACCOUNT_INVITATION")
    assert message.code is not None
    assert message.code in message.body
    assert "Acme Group invites you" in message.body
    return message.code


async def test_the_enterprise_creates_a_sub_account_with_contacts_it_must_prove(
    owner: Caller, db: AsyncSession, clock: Clock, outbox: Outbox
) -> None:
    body = await owner(CREATE, input=new_sub_account())

    row = await created_row(db, body)
    assert body == {
        "data": {
            "createSubAccount": {
                "subAccount": {
                    "id": global_id(row),
                    "kind": "SUB_ACCOUNT",
                    "status": "ACTIVE",
                    "displayName": "New Hire",
                    "avatarUrl": None,
                    "phone": "136****0777",
                    "email": "N***@acme.example",
                    "role": "MEMBER",
                    "permissions": ["MANAGE_PROJECTS", "VIEW_ORDERS"],
                    "lastLoginAt": None,
                    "enterprise": {"id": owner.id},
                },
                "userErrors": [],
            }
        }
    }
    assert row.enterprise_id == owner.row.id
    assert row.kind is AccountKind.SUB_ACCOUNT
    assert (row.phone, row.email) == (None, None)
    assert (row.unproven_phone, row.unproven_email) == ("+8613600000777", "New.Hire@acme.example")
    assert row.created_at == clock.now
    assert row.accepted_policy_version == "1.0"
    invitation(outbox)
    # Unproven, neither contact signs in.
    for login in ("new.hire@acme.example", "13600000777"):
        assert (await sign_in(owner, login))["userErrors"] == [INVALID_CREDENTIALS]


async def test_without_a_step_up_nobody_is_created(
    api: Api,
    owner: Caller,
    outbox: Outbox,
) -> None:
    """A new sub-account is a new way into the enterprise: a stolen token makes none."""
    plain = await make_caller(api, owner.row, stepped_up=False)
    before = await account_state(api.db)

    body = await plain(CREATE, input=new_sub_account())

    assert body == refused(STEP_UP_REQUIRED)
    assert await account_state(api.db) == before
    assert await sub_account_notices(api.db, owner) == []
    assert outbox.for_recipient("New.Hire@acme.example") == []


@pytest.mark.parametrize("creator", ["owner", "admin"])
async def test_the_enterprise_hears_of_each_new_sub_account(
    creator: str, owner: Caller, admin: Caller, db: AsyncSession, clock: Clock
) -> None:
    acting = owner if creator == "owner" else admin
    await created_row(
        db, await acting(CREATE, input=new_sub_account(permissions=["VIEW_SUB_ACCOUNTS"]))
    )

    by = (
        "by the enterprise account"
        if creator == "owner"
        else f"by Ada Admin (sub-account {acting.row.id})"
    )
    assert await sub_account_notices(db, owner) == [
        f"New Hire was created {by} at {clock.now:%Y-%m-%d %H:%M} UTC."
    ]


async def test_the_holder_must_change_the_password_the_enterprise_chose(
    owner: Caller, db: AsyncSession, outbox: Outbox
) -> None:
    await created_row(db, await owner(CREATE, input=new_sub_account()))
    await Caller(owner.client, None)(CONFIRM_EMAIL, input={"token": invitation(outbox)})

    first = await sign_in(owner, "new.hire@acme.example")
    holder = Caller(owner.client, first["accessToken"])
    changed = await holder(
        SET_PASSWORD, input={"currentPassword": PASSWORD, "newPassword": "my-Own-Secret-42"}
    )
    again = await Caller(owner.client, None)(
        LOGIN_MUST_CHANGE, input={"login": "new.hire@acme.example", "password": "my-Own-Secret-42"}
    )

    assert first["mustChangePassword"] is True
    assert changed == {"data": {"setPassword": {"userErrors": []}}}
    assert again["data"]["loginWithPassword"]["mustChangePassword"] is False


async def test_the_invited_sub_account_confirms_its_address_then_signs_in_with_it(
    owner: Caller, db: AsyncSession, clock: Clock, outbox: Outbox
) -> None:
    row = await created_row(db, await owner(CREATE, input=new_sub_account()))
    token = invitation(outbox)

    confirmed = await Caller(owner.client, None)(CONFIRM_EMAIL, input={"token": token})
    by_email = await sign_in(owner, "new.hire@acme.example")
    by_phone = await sign_in(owner, "13600000777")
    proven = await owner(
        "query($id: ID!) { node(id: $id) { ... on SubAccount { phoneProven emailProven } } }",
        id=global_id(row),
    )

    assert confirmed == {
        "data": {"confirmEmail": {"account": {"__typename": "SubAccount"}, "userErrors": []}}
    }
    assert by_email["userErrors"] == []
    assert by_email["account"] == {"__typename": "SubAccount", "id": global_id(row)}
    assert by_phone["userErrors"] == [INVALID_CREDENTIALS]
    assert proven == {"data": {"node": {"phoneProven": False, "emailProven": True}}}
    await db.refresh(row)
    assert (row.email, row.unproven_email, row.email_verified_at) == (
        "New.Hire@acme.example",
        None,
        clock.now,
    )


async def test_the_invitation_token_lasts_seven_days(
    owner: Caller, db: AsyncSession, clock: Clock, outbox: Outbox
) -> None:
    await created_row(db, await owner(CREATE, input=new_sub_account()))
    token = invitation(outbox)
    clock.advance(days=7)

    late = await Caller(owner.client, None)(CONFIRM_EMAIL, input={"token": token})

    assert late == {
        "data": {
            "confirmEmail": {
                "account": None,
                "userErrors": [
                    error("CODE_EXPIRED", "This token has expired; ask again.", "token")
                ],
            }
        }
    }
    assert (await sign_in(owner, "new.hire@acme.example"))["userErrors"] == [INVALID_CREDENTIALS]


async def test_an_admin_sub_account_creates_with_permissions_it_holds(
    admin: Caller, owner: Caller, db: AsyncSession
) -> None:
    body = await admin(
        CREATE,
        input=new_sub_account(role="ADMIN", permissions=["VIEW_SUB_ACCOUNTS"]),
    )

    row = await created_row(db, body)
    sub_account = body["data"]["createSubAccount"]["subAccount"]
    assert sub_account["role"] == "ADMIN"
    assert sub_account["permissions"] == ["VIEW_SUB_ACCOUNTS"]
    assert sub_account["enterprise"] == {"id": owner.id}
    assert row.enterprise_id == owner.row.id
    assert row.role is SubAccountRole.ADMIN


@pytest.mark.parametrize(
    "permissions",
    [["MANAGE_BILLING"], ["VIEW_SUB_ACCOUNTS", "MANAGE_PROJECTS"]],
)
async def test_nobody_grants_a_permission_it_lacks(
    admin: Caller, db: AsyncSession, permissions: list[str]
) -> None:
    before = await account_state(db)

    body = await admin(CREATE, input=new_sub_account(permissions=permissions))

    assert body["data"] is None
    assert errors_of(body) == [top_level_error(NOT_GRANTABLE, "FORBIDDEN", "createSubAccount")]
    assert await account_state(db) == before


async def test_a_permission_refusal_comes_before_any_input_error(
    admin: Caller, db: AsyncSession
) -> None:
    before = await account_state(db)

    body = await admin(CREATE, input=new_sub_account(email="nope", permissions=["MANAGE_BILLING"]))

    assert errors_of(body) == [top_level_error(NOT_GRANTABLE, "FORBIDDEN", "createSubAccount")]
    assert await account_state(db) == before


@pytest.mark.parametrize("viewer", ["member", "staff"], indirect=True)
async def test_a_viewer_without_the_role_is_forbidden(viewer: Caller, db: AsyncSession) -> None:
    before = await account_state(db)

    body = await viewer(CREATE, input=new_sub_account(permissions=[]))

    assert body["data"] is None
    assert errors_of(body) == [top_level_error(NOT_MANAGER, "FORBIDDEN", "createSubAccount")]
    assert await account_state(db) == before


async def test_a_sub_account_that_only_views_sub_accounts_may_not_create_them(
    api: Api, owner: Caller
) -> None:
    viewer_row = await create_member(
        api.db, owner.row, "Vic Viewer", ["VIEW_SUB_ACCOUNTS"], role=SubAccountRole.MEMBER
    )
    viewer = await make_caller(api, viewer_row)
    before = await account_state(api.db)

    body = await viewer(CREATE, input=new_sub_account(permissions=[]))

    assert errors_of(body) == [top_level_error(NOT_MANAGER, "FORBIDDEN", "createSubAccount")]
    assert await account_state(api.db) == before


@pytest.mark.parametrize("kind", [AccountKind.INDIVIDUAL, AccountKind.BUSINESS])
async def test_an_account_of_another_kind_is_forbidden(api: Api, kind: AccountKind) -> None:
    row = await create_account(api.db, kind=kind, display_name="Somebody")
    caller = await make_caller(api, row)
    before = await account_state(api.db)

    body = await caller(CREATE, input=new_sub_account(permissions=[]))

    assert errors_of(body) == [top_level_error(NOT_MANAGER, "FORBIDDEN", "createSubAccount")]
    assert await account_state(api.db) == before


async def test_anonymous_is_unauthenticated(anonymous: Caller, db: AsyncSession) -> None:
    before = await account_state(db)

    body = await anonymous(CREATE, input=new_sub_account())

    assert body["data"] is None
    assert errors_of(body) == [
        top_level_error(SIGN_IN_FIRST, "UNAUTHENTICATED", "createSubAccount")
    ]
    assert await account_state(db) == before


async def test_another_enterprise_creates_under_itself_only(
    outsider: Caller, owner: Caller, db: AsyncSession
) -> None:
    body = await outsider(CREATE, input=new_sub_account())

    row = await created_row(db, body)
    assert body["data"]["createSubAccount"]["subAccount"]["enterprise"] == {"id": outsider.id}
    assert row.enterprise_id == outsider.row.id


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"email": "not-an-address"}, [INVALID_EMAIL]),
        ({"email": "someone@"}, [INVALID_EMAIL]),
        ({"phone": "12345"}, [INVALID_PHONE]),
        ({"phone": "+44 20"}, [INVALID_PHONE]),
        (
            {"password": "Short-1"},
            [error("WEAK_PASSWORD", "The password needs at least 12 characters.", "password")],
        ),
        (
            {"password": "Qwertyuiop123"},
            [error("WEAK_PASSWORD", BREACHED, "password")],
        ),
        (
            {"password": "密" * 129},
            [error("WEAK_PASSWORD", "The password may have at most 128 characters.", "password")],
        ),
        (
            {"displayName": "   "},
            [error("INVALID_INPUT", "Give 1 to 30 characters.", "displayName")],
        ),
        (
            {"displayName": "x" * 31},
            [error("INVALID_INPUT", "Give 1 to 30 characters.", "displayName")],
        ),
        (
            {"displayName": "", "email": "x", "phone": "1", "password": "abc"},
            [
                error("INVALID_INPUT", "Give 1 to 30 characters.", "displayName"),
                INVALID_EMAIL,
                INVALID_PHONE,
                error("WEAK_PASSWORD", "The password needs at least 12 characters.", "password"),
            ],
        ),
    ],
)
async def test_each_input_error_has_its_code_and_nothing_is_stored(
    owner: Caller, db: AsyncSession, values: dict[str, str], expected: list[dict[str, Any]]
) -> None:
    before = await account_state(db)

    body = await owner(CREATE, input=new_sub_account(**values))

    assert body == refused(*expected)
    assert await account_state(db) == before


async def test_contacts_of_accounts_outside_the_enterprise_are_neither_refused_nor_taken(
    owner: Caller, outsider: Caller, db: AsyncSession, outbox: Outbox
) -> None:
    """Nothing tells the enterprise that someone else holds the phone or the address,
    and the manager's typing takes nothing from them."""
    assert outsider.row.phone is not None
    assert outsider.row.email is not None

    body = await owner(
        CREATE,
        input=new_sub_account(email=outsider.row.email, phone=outsider.row.phone),
    )

    row = await created_row(db, body)
    assert (row.phone, row.email) == (None, None)
    await db.refresh(outsider.row)
    assert outsider.row.phone is not None
    assert outsider.row.email == "owner@other.example"
    signed_in = await sign_in(outsider, outsider.row.phone)
    assert signed_in["account"] == {"__typename": "EnterpriseAccount", "id": outsider.id}


async def test_a_contact_another_sub_account_of_the_enterprise_has_already_exists(
    owner: Caller, admin: Caller, db: AsyncSession
) -> None:
    before = await account_state(db)
    assert admin.row.email == "user1@acme.example"

    same_email = await owner(CREATE, input=new_sub_account(email="USER1@acme.example"))
    same_phone = await owner(CREATE, input=new_sub_account(phone=sub_account_phone(1)))

    assert same_email == refused(EMAIL_TAKEN)
    assert same_phone == refused(PHONE_TAKEN)
    assert await account_state(db) == before


async def test_the_cap_counts_live_and_disabled_sub_accounts_but_not_deleted_ones(
    capped_client: httpx.AsyncClient,
    owner: Caller,
    admin: Caller,
    member: Caller,
    db: AsyncSession,
) -> None:
    capped = Caller(capped_client, owner.token, account=owner.row)
    before = await account_state(db)

    at_cap = await capped(CREATE, input=new_sub_account())
    await capped(SET_STATUS, input={"id": member.id, "status": "DISABLED"})
    disabled_still_counts = await capped(CREATE, input=new_sub_account())

    assert at_cap == refused(LIMIT_REACHED)
    assert disabled_still_counts == refused(LIMIT_REACHED)
    assert len(await account_state(db)) == len(before)

    deleted = await capped(DELETE, input={"id": member.id})
    assert deleted == {"data": {"deleteSubAccount": {"ok": True, "userErrors": []}}}
    freed = await capped(CREATE, input=new_sub_account())

    row = await created_row(db, freed)
    assert row.status is AccountStatus.ACTIVE


async def test_the_cap_is_checked_after_the_input(
    capped_client: httpx.AsyncClient, owner: Caller, admin: Caller, member: Caller
) -> None:
    capped = Caller(capped_client, owner.token, account=owner.row)

    invalid = await capped(CREATE, input=new_sub_account(email="nope"))
    taken = await capped(CREATE, input=new_sub_account(phone=sub_account_phone(2)))

    assert invalid == refused(INVALID_EMAIL)
    assert taken == refused(PHONE_TAKEN)


async def test_the_new_sub_account_is_listed_first_with_masked_contacts(
    owner: Caller, admin: Caller, member: Caller, db: AsyncSession
) -> None:
    body = await owner(CREATE, input=new_sub_account())
    row = await created_row(db, body)

    listed = await owner(
        "{ viewer { account { ... on EnterpriseAccount {"
        " subAccounts(first: 1) { totalCount edges { node { id phone email } } } } } } }"
    )

    assert listed == {
        "data": {
            "viewer": {
                "account": {
                    "subAccounts": {
                        "totalCount": 3,
                        "edges": [
                            {
                                "node": {
                                    "id": global_id(row),
                                    "phone": masked_phone("+8613600000777"),
                                    "email": masked_email("New.Hire@acme.example"),
                                }
                            }
                        ],
                    }
                }
            }
        }
    }


async def test_the_sub_accounts_phone_signs_in_once_its_holder_binds_it(
    owner: Caller, db: AsyncSession, outbox: Outbox
) -> None:
    row = await created_row(db, await owner(CREATE, input=new_sub_account()))
    await Caller(owner.client, None)(CONFIRM_EMAIL, input={"token": invitation(outbox)})
    holder = Caller(owner.client, (await sign_in(owner, "new.hire@acme.example"))["accessToken"])
    await step_up(holder)  # binding a way to sign in
    await holder(
        'mutation { requestSmsCode(input: { phone: "13600000777", purpose: BIND_PHONE }) { sent } }'
    )
    [code] = [m.code for m in outbox.for_recipient("+8613600000777") if m.purpose == "BIND_PHONE"]

    bound = await holder(
        'mutation($code: String!) { bindPhone(input: { phone: "13600000777", code: $code }) {'
        " userErrors { code } } }",
        code=code,
    )
    by_phone = await sign_in(owner, "13600000777")

    assert bound == {"data": {"bindPhone": {"userErrors": []}}}
    assert by_phone["account"] == {"__typename": "SubAccount", "id": global_id(row)}
    await db.refresh(row)
    assert (row.phone, row.unproven_phone) == ("+8613600000777", None)
