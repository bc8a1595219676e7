"""What each viewer reads of a sub-account and of its enterprise; masking and reveals.

The rules: docs/spec/masking-and-viewers.md#reading-account-fields (field lists) and
docs/spec/masking-and-viewers.md#sensitive-fields (PHONE and EMAIL: masked for managers,
clear with step-up, each clear view logged for the sub-account to read).
"""

from __future__ import annotations

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLType
from sqlalchemy.ext.asyncio import AsyncSession

from models import SubAccountRole
from schema import schema
from tests.conftest import Clock
from tests.resolvers.enterprise.helpers import (
    MANAGER_REASON,
    NOT_ALLOWED,
    STEP_UP_MESSAGE,
    Caller,
    access_log_count,
    make_caller,
    masked_email,
    masked_phone,
    open_request,
    step_up,
    top_level_error,
)
from tests.support.api import Api
from tests.support.assertions import EMPTY_PROFILE, errors_of
from tests.support.factories import bank_card, create_member
from tests.support.ids import global_id

MANAGER_FIELDS = frozenset(
    {
        "id",
        "kind",
        "status",
        "displayName",
        "avatarUrl",
        "phone",
        "email",
        "profile",
        "role",
        "permissions",
        "lastLoginAt",
        "createdAt",
        "enterprise",
        # Whether the contacts the manager typed were proven by their holder.
        "phoneProven",
        "emailProven",
    }
)
# The member's list of docs/spec/masking-and-viewers.md#reading-account-fields, with
# createdAt: non-null in the contract, refusing it would null the whole enterprise.
MEMBER_FIELDS = frozenset(
    {"id", "kind", "status", "displayName", "avatarUrl", "companyName", "createdAt"}
)
CARD_NUMBER = "6222020200112345679"
NODE = "query($id: ID!) { node(id: $id) { ... on %s { %s } } }"
ACCESS_LOG = """
{ viewer { account { accessLog { edges { node { at actorKind actorName field reason } } } } } }
"""


def selection(type_name: str, field_name: str) -> str:
    """The field with the smallest selection it accepts."""
    graphql_type: GraphQLType = schema._schema.type_map[type_name].fields[field_name].type  # type: ignore[attr-defined]
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    if isinstance(graphql_type, GraphQLObjectType) or hasattr(graphql_type, "fields"):
        return f"{field_name} {{ __typename }}"
    return field_name


def non_null(type_name: str, field_name: str) -> bool:
    """Whether an error on the field nulls its parent object too."""
    field = schema._schema.type_map[type_name].fields[field_name]  # type: ignore[attr-defined]
    return isinstance(field.type, GraphQLNonNull)


def fields_of(type_name: str) -> list[str]:
    return sorted(schema._schema.type_map[type_name].fields)  # type: ignore[attr-defined]


BEYOND_MANAGER = [name for name in fields_of("SubAccount") if name not in MANAGER_FIELDS]
BEYOND_MEMBER = [name for name in fields_of("EnterpriseAccount") if name not in MEMBER_FIELDS]


def node(type_name: str, *fields: str) -> str:
    return NODE % (type_name, " ".join(fields))


async def test_a_manager_reads_the_whole_manager_list_with_contacts_masked(
    owner: Caller, member: Caller, clock: Clock
) -> None:
    fields = (
        "id kind status displayName avatarUrl phone email role permissions lastLoginAt "
        "createdAt enterprise { id } profile { bio industry position companySize needs } "
        "phoneProven emailProven"
    )

    body = await owner(node("SubAccount", fields), id=member.id)

    assert body == {
        "data": {
            "node": {
                "id": member.id,
                "kind": "SUB_ACCOUNT",
                "status": "ACTIVE",
                "displayName": "Mia Member",
                "avatarUrl": None,
                "phone": "136****0002",
                "email": "u***@acme.example",
                "role": "MEMBER",
                "permissions": ["MANAGE_PROJECTS"],
                "lastLoginAt": None,
                "createdAt": member.row.created_at.isoformat(),
                "enterprise": {"id": owner.id},
                "profile": EMPTY_PROFILE,
                "phoneProven": True,
                "emailProven": True,
            }
        }
    }


@pytest.mark.parametrize("viewer", ["owner", "admin"], indirect=True)
@pytest.mark.parametrize("field", BEYOND_MANAGER)
async def test_every_field_beyond_the_manager_list_is_forbidden(
    viewer: Caller, member: Caller, field: str
) -> None:
    body = await viewer(
        node("SubAccount", "displayName", selection("SubAccount", field)), id=member.id
    )

    expected = None if non_null("SubAccount", field) else {"displayName": "Mia Member", field: None}
    assert body["data"] == {"node": expected}
    assert errors_of(body) == [top_level_error(NOT_ALLOWED, "FORBIDDEN", "node", field)]


async def test_the_forbidden_fields_are_refused_for_every_row_of_a_list(
    owner: Caller, admin: Caller, member: Caller
) -> None:
    body = await owner(
        "{ viewer { account { ... on EnterpriseAccount { subAccounts {"
        " edges { node { displayName security { hasPassword } } } } } } } }"
    )

    assert body["data"] == {
        "viewer": {
            "account": {
                "subAccounts": {
                    "edges": [
                        {"node": {"displayName": "Mia Member", "security": None}},
                        {"node": {"displayName": "Ada Admin", "security": None}},
                    ]
                }
            }
        }
    }
    path = ("viewer", "account", "subAccounts", "edges")
    assert sorted(errors_of(body), key=lambda error: str(error["path"])) == [
        top_level_error(NOT_ALLOWED, "FORBIDDEN", *path, row, "node", "security") for row in (0, 1)
    ]


@pytest.mark.parametrize("field", BEYOND_MANAGER)
async def test_staff_working_a_request_reads_every_field_of_a_sub_account(
    staff: Caller, member: Caller, field: str, db: AsyncSession, clock: Clock
) -> None:
    await open_request(db, member.row, clock)
    body = await staff(
        "query($id: ID!) { account(id: $id) { id ... on SubAccount { "
        + selection("SubAccount", field)
        + " } } }",
        id=member.id,
    )

    assert "errors" not in body, body
    # The account itself is read (a lost account answers null without an error), with
    # the field.
    account = body["data"]["account"]
    assert account is not None
    assert account["id"] == member.id
    assert field in account


async def test_staff_read_no_contact_without_a_data_request_even_masked(
    staff: Caller, member: Caller, db: AsyncSession
) -> None:
    await step_up(staff, "staff-Password-9")
    query = "query($id: ID!) { account(id: $id) { phone email revealed: phone(reveal: true) } }"

    body = await staff(query, id=member.id)

    assert body["data"] == {"account": {"phone": None, "email": None, "revealed": None}}
    assert sorted(errors_of(body), key=lambda error: str(error["path"])) == [
        top_level_error(NOT_ALLOWED, "FORBIDDEN", "account", field)
        for field in ("email", "phone", "revealed")
    ]
    assert await access_log_count(db) == 0


async def test_staff_working_a_request_see_contacts_masked_and_each_read_is_logged(
    staff: Caller, member: Caller, db: AsyncSession, clock: Clock
) -> None:
    await open_request(db, member.row, clock)
    query = "query($id: ID!) { account(id: $id) { phone email } }"

    body = await staff(query, id=member.id)

    assert body == {"data": {"account": {"phone": "136****0002", "email": "u***@acme.example"}}}
    assert await access_log_count(db) == 2


@pytest.mark.parametrize("field", ["phone", "email"])
async def test_a_reveal_without_step_up_is_refused_at_its_path_and_logs_nothing(
    api: Api, owner: Caller, member: Caller, field: str
) -> None:
    plain = await make_caller(api, owner.row, stepped_up=False)

    body = await plain(node("SubAccount", f"displayName {field}(reveal: true)"), id=member.id)

    assert body["data"] == {"node": {"displayName": "Mia Member", field: None}}
    assert errors_of(body) == [top_level_error(STEP_UP_MESSAGE, "STEP_UP_REQUIRED", "node", field)]
    assert await access_log_count(api.db) == 0


@pytest.mark.parametrize(
    ("viewer", "actor_name"), [("owner", "Acme Group"), ("admin", "Ada Admin")], indirect=["viewer"]
)
async def test_a_stepped_up_manager_sees_contacts_in_clear_and_the_sub_account_reads_the_log(
    viewer: Caller, member: Caller, clock: Clock, actor_name: str
) -> None:
    assert member.row.phone is not None
    assert member.row.email is not None
    await step_up(viewer)
    phone_at = clock.now.isoformat()

    phone = await viewer(node("SubAccount", "phone(reveal: true)"), id=member.id)
    clock.advance(seconds=1)
    email = await viewer(node("SubAccount", "email(reveal: true)"), id=member.id)
    log = await member(ACCESS_LOG)

    assert phone == {"data": {"node": {"phone": member.row.phone}}}
    assert email == {"data": {"node": {"email": member.row.email}}}
    entry = {"actorKind": "ENTERPRISE_MANAGER", "actorName": actor_name, "reason": MANAGER_REASON}
    assert log == {
        "data": {
            "viewer": {
                "account": {
                    "accessLog": {
                        "edges": [
                            {"node": {**entry, "at": clock.now.isoformat(), "field": "EMAIL"}},
                            {"node": {**entry, "at": phone_at, "field": "PHONE"}},
                        ]
                    }
                }
            }
        }
    }


async def test_a_masked_read_writes_no_access_log_entry(
    owner: Caller, member: Caller, db: AsyncSession
) -> None:
    await step_up(owner)

    body = await owner(node("SubAccount", "phone email"), id=member.id)

    assert body == {"data": {"node": {"phone": "136****0002", "email": "u***@acme.example"}}}
    assert await access_log_count(db) == 0
    assert await member(ACCESS_LOG) == {
        "data": {"viewer": {"account": {"accessLog": {"edges": []}}}}
    }


async def test_revealing_in_the_list_logs_one_entry_per_sub_account(
    owner: Caller, admin: Caller, member: Caller, db: AsyncSession
) -> None:
    await step_up(owner)

    body = await owner(
        "{ viewer { account { ... on EnterpriseAccount { subAccounts {"
        " edges { node { phone(reveal: true) } } } } } } }"
    )

    assert body["data"]["viewer"]["account"]["subAccounts"]["edges"] == [
        {"node": {"phone": member.row.phone}},
        {"node": {"phone": admin.row.phone}},
    ]
    assert await access_log_count(db) == 2
    for sub_account in (admin, member):
        log = await sub_account(ACCESS_LOG)
        edges = log["data"]["viewer"]["account"]["accessLog"]["edges"]
        assert [edge["node"]["field"] for edge in edges] == ["PHONE"]


async def test_step_up_lasts_five_minutes(owner: Caller, member: Caller, clock: Clock) -> None:
    await step_up(owner)
    clock.advance(minutes=5)

    body = await owner(node("SubAccount", "phone(reveal: true)"), id=member.id)

    assert errors_of(body) == [
        top_level_error(STEP_UP_MESSAGE, "STEP_UP_REQUIRED", "node", "phone")
    ]


async def test_step_up_belongs_to_one_session(api: Api, owner: Caller, member: Caller) -> None:
    other_session = await make_caller(api, owner.row, stepped_up=False)
    await step_up(owner)

    body = await other_session(node("SubAccount", "phone(reveal: true)"), id=member.id)

    assert errors_of(body) == [
        top_level_error(STEP_UP_MESSAGE, "STEP_UP_REQUIRED", "node", "phone")
    ]


async def test_a_sub_account_reads_its_enterprise_s_public_fields(
    member: Caller, owner: Caller
) -> None:
    body = await member(
        "{ viewer { account { ... on SubAccount { enterprise {"
        " id kind status displayName avatarUrl companyName } } } } }"
    )

    assert body == {
        "data": {
            "viewer": {
                "account": {
                    "enterprise": {
                        "id": owner.id,
                        "kind": "ENTERPRISE",
                        "status": "ACTIVE",
                        "displayName": "Acme Group",
                        "avatarUrl": None,
                        "companyName": "Acme Group Co., Ltd.",
                    }
                }
            }
        }
    }


@pytest.mark.parametrize("field", BEYOND_MEMBER)
async def test_a_member_without_permissions_reads_nothing_else_of_its_enterprise(
    member: Caller, owner: Caller, field: str
) -> None:
    body = await member(
        node("EnterpriseAccount", "companyName", selection("EnterpriseAccount", field)),
        id=owner.id,
    )

    expected = (
        None
        if non_null("EnterpriseAccount", field)
        else {"companyName": "Acme Group Co., Ltd.", field: None}
    )
    assert body["data"] == {"node": expected}
    assert errors_of(body) == [top_level_error(NOT_ALLOWED, "FORBIDDEN", "node", field)]


@pytest.mark.parametrize("field", ["phone(reveal: true)", "email(reveal: true)"])
async def test_a_member_may_not_reveal_its_enterprise_s_contacts_even_after_step_up(
    member: Caller, owner: Caller, field: str
) -> None:
    await step_up(member)

    body = await member(node("EnterpriseAccount", field), id=owner.id)

    name = field.split("(")[0]
    assert body["data"] == {"node": {name: None}}
    assert errors_of(body) == [top_level_error(NOT_ALLOWED, "FORBIDDEN", "node", name)]


async def test_bank_cards_of_the_enterprise_need_manage_billing_and_stay_masked(
    api: Api, owner: Caller, admin: Caller
) -> None:
    card = bank_card(owner.row.id, CARD_NUMBER, api.clock(), bank_name="中国工商银行")
    api.db.add(card)
    billing_row = await create_member(
        api.db, owner.row, "Bill Billing", ["MANAGE_BILLING"], role=SubAccountRole.MEMBER
    )
    billing = await make_caller(api, billing_row)
    query = node("EnterpriseAccount", "bankCards { bankName cardNumber last4 }")

    allowed = await billing(query, id=owner.id)
    holder = await billing(node("EnterpriseAccount", "bankCards { holderName }"), id=owner.id)
    refused = await admin(query, id=owner.id)

    assert allowed == {
        "data": {
            "node": {
                "bankCards": [
                    {"bankName": "中国工商银行", "cardNumber": "*" * 15 + "5679", "last4": "5679"}
                ]
            }
        }
    }
    assert errors_of(holder) == [
        top_level_error(NOT_ALLOWED, "FORBIDDEN", "node", "bankCards", 0, "holderName")
    ]
    assert refused["data"] == {"node": {"bankCards": None}}
    assert errors_of(refused) == [top_level_error(NOT_ALLOWED, "FORBIDDEN", "node", "bankCards")]


async def test_a_sub_account_reads_its_own_contacts_masked_and_its_enterprise(
    member: Caller, owner: Caller
) -> None:
    assert member.row.email is not None
    body = await member(
        "{ viewer { account { id phone email ... on SubAccount { enterprise { id } } } } }"
    )

    assert body == {
        "data": {
            "viewer": {
                "account": {
                    "id": member.id,
                    "phone": masked_phone(member.row.phone or ""),
                    "email": masked_email(member.row.email),
                    "enterprise": {"id": global_id(owner.row)},
                }
            }
        }
    }
