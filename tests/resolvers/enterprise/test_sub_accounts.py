"""subAccounts: keyset pages newest first, totalCount, filters, and who may list
(docs/spec/enterprise.md#listing-sub-accounts)."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, AccountKind, AccountStatus, SubAccountRole
from tests.conftest import Clock
from tests.resolvers.enterprise.helpers import (
    BAD_CURSOR,
    BAD_FIRST,
    NOT_ALLOWED,
    Caller,
    make_sub_account,
    masked_email,
    masked_phone,
    open_request,
    sub_account_phone,
    top_level_error,
)
from tests.support.assertions import errors_of
from tests.support.ids import global_id

PAGE = """
query($first: Int, $after: String, $filter: SubAccountFilter) {
  viewer { account { ... on EnterpriseAccount {
    subAccounts(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id displayName status role } }
    }
  } } }
}
"""
LIST_FIELDS = "totalCount edges { node { id displayName phone email role permissions status } }"
SUB_ACCOUNTS_PATH = ("viewer", "account", "subAccounts")
SPECIAL_NAMES = {1: "Alice", 2: "alice lower", 3: "Al%ce", 4: "Al_ce", 5: "Albert"}
SEEDED = 45
NODE_ID = "query($id: ID!) { node(id: $id) { id } }"


async def seed(db: AsyncSession, clock: Clock, enterprise: Account) -> list[Account]:
    """45 sub-accounts, two at each moment (the id breaks the tie), newest first in order.

    Every fifth is DISABLED, every fourth an ADMIN; five have names that start with "Al".
    """
    rows = []
    for n in range(SEEDED):
        row = Account(
            kind=AccountKind.SUB_ACCOUNT,
            display_name=SPECIAL_NAMES.get(n, f"Staff {n:02d}"),
            created_at=clock.now - timedelta(minutes=n // 2),
            enterprise_id=enterprise.id,
            role=SubAccountRole.ADMIN if n % 4 == 0 else SubAccountRole.MEMBER,
            permissions=["VIEW_ORDERS"],
            status=AccountStatus.DISABLED if n % 5 == 0 else AccountStatus.ACTIVE,
        )
        row.phone = sub_account_phone(100 + n)
        row.email = f"staff{n}@acme.example"
        rows.append(row)
    db.add_all(rows)
    await db.commit()
    return sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)


def names(body: dict[str, Any]) -> list[str]:
    connection = body["data"]["viewer"]["account"]["subAccounts"]
    return [edge["node"]["displayName"] for edge in connection["edges"]]


def connection_of(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["viewer"]["account"]["subAccounts"]
    return connection


async def walk(caller: Caller, first: int, flt: dict[str, Any] | None = None) -> list[Any]:
    """Every page in turn; each page's connection."""
    pages: list[dict[str, Any]] = []
    after = None
    for _ in range(SEEDED + 1):
        page = connection_of(await caller(PAGE, first=first, after=after, filter=flt))
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the pages never ended")


async def test_pages_of_twenty_walk_all_45_newest_first_without_gaps_or_repeats(
    owner: Caller, db: AsyncSession, clock: Clock
) -> None:
    expected = await seed(db, clock, owner.row)

    pages = await walk(owner, 20)

    assert [len(page["edges"]) for page in pages] == [20, 20, 5]
    assert [page["totalCount"] for page in pages] == [SEEDED] * 3
    assert [
        (page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"]) for page in pages
    ] == [(True, False), (True, True), (False, True)]
    seen = [edge["node"]["id"] for page in pages for edge in page["edges"]]
    assert seen == [global_id(row) for row in expected]
    for page in pages:
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        for edge in page["edges"]:
            assert edge["node"]["id"] not in edge["cursor"]


async def test_a_cursor_starts_right_after_its_edge(
    owner: Caller, db: AsyncSession, clock: Clock
) -> None:
    expected = await seed(db, clock, owner.row)
    first_page = connection_of(await owner(PAGE, first=10))

    after_seventh = connection_of(
        await owner(PAGE, first=3, after=first_page["edges"][6]["cursor"])
    )

    assert [edge["node"]["id"] for edge in after_seventh["edges"]] == [
        global_id(row) for row in expected[7:10]
    ]


async def test_the_default_page_holds_twenty(owner: Caller, db: AsyncSession, clock: Clock) -> None:
    await seed(db, clock, owner.row)

    page = connection_of(await owner(PAGE))

    assert len(page["edges"]) == 20
    assert page["pageInfo"]["hasNextPage"] is True


async def test_an_enterprise_without_sub_accounts_has_an_empty_page(owner: Caller) -> None:
    assert connection_of(await owner(PAGE, first=100)) == {
        "totalCount": 0,
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
        "edges": [],
    }


async def test_deleted_sub_accounts_and_other_enterprises_are_not_listed(
    owner: Caller, outsider: Caller, db: AsyncSession, clock: Clock
) -> None:
    await make_sub_account(db, clock, owner.row, "Kept", number=1)
    await make_sub_account(db, clock, owner.row, "Gone", number=2, status=AccountStatus.CANCELLED)
    await make_sub_account(db, clock, outsider.row, "Theirs", number=3)
    await db.commit()

    body = await owner(PAGE, first=100)

    assert names(body) == ["Kept"]
    assert connection_of(body)["totalCount"] == 1


def seeded_where(rows: list[Account], **match: Any) -> list[str]:
    return [
        row.display_name
        for row in rows
        if all(getattr(row, key) == value for key, value in match.items())
    ]


@pytest.mark.parametrize(
    ("flt", "match"),
    [
        ({"status": "DISABLED"}, {"status": AccountStatus.DISABLED}),
        ({"status": "ACTIVE"}, {"status": AccountStatus.ACTIVE}),
        ({"role": "ADMIN"}, {"role": SubAccountRole.ADMIN}),
        ({"role": "MEMBER"}, {"role": SubAccountRole.MEMBER}),
        (
            {"status": "DISABLED", "role": "ADMIN"},
            {"status": AccountStatus.DISABLED, "role": SubAccountRole.ADMIN},
        ),
    ],
)
async def test_status_and_role_filter_alone_and_together(
    owner: Caller, db: AsyncSession, clock: Clock, flt: dict[str, str], match: dict[str, Any]
) -> None:
    rows = await seed(db, clock, owner.row)
    expected = seeded_where(rows, **match)

    body = await owner(PAGE, first=100, filter=flt)

    assert names(body) == expected
    assert connection_of(body)["totalCount"] == len(expected)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("Al", ["Alice", "alice lower", "Al%ce", "Al_ce", "Albert"]),
        ("al", ["Alice", "alice lower", "Al%ce", "Al_ce", "Albert"]),
        ("Ali", ["Alice", "alice lower"]),
        ("Al%", ["Al%ce"]),
        ("Al_", ["Al_ce"]),
        ("%", []),
        ("_", []),
        ("Al/", []),  # the escape character itself is taken literally too
        ("Staff 4", ["Staff 44", "Staff 43", "Staff 42", "Staff 41", "Staff 40"]),
        ("taff", []),
        ("", None),
    ],
)
async def test_search_matches_a_display_name_prefix_with_wildcards_taken_literally(
    owner: Caller, db: AsyncSession, clock: Clock, search: str, expected: list[str] | None
) -> None:
    rows = await seed(db, clock, owner.row)
    if expected is None:  # an empty search filters nothing
        expected = [row.display_name for row in rows]
    else:
        order = [row.display_name for row in rows]
        expected = sorted(expected, key=order.index)

    body = await owner(PAGE, first=100, filter={"search": search})

    assert names(body) == expected
    assert connection_of(body)["totalCount"] == len(expected)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"phone": "136 0000 0107"}, ["Staff 07"]),
        ({"phone": "+8613600000107"}, ["Staff 07"]),
        ({"email": "STAFF7@Acme.Example"}, ["Staff 07"]),
        ({"email": "staff7@acme.example", "phone": sub_account_phone(107)}, ["Staff 07"]),
        ({"email": "staff7@acme.example", "phone": sub_account_phone(108)}, []),
        ({"email": "staff7@acme.example", "status": "DISABLED"}, []),
        ({"email": "staff10@acme.example", "status": "DISABLED", "role": "MEMBER"}, ["Staff 10"]),
        ({"phone": sub_account_phone(100), "search": "Staff"}, ["Staff 00"]),
        ({"email": "nobody@acme.example"}, []),
        ({"phone": sub_account_phone(999)}, []),
    ],
)
async def test_phone_and_email_match_exactly_alone_and_with_other_filters(
    owner: Caller, db: AsyncSession, clock: Clock, flt: dict[str, str], expected: list[str]
) -> None:
    await seed(db, clock, owner.row)

    body = await owner(PAGE, first=100, filter=flt)

    assert names(body) == expected
    assert connection_of(body)["totalCount"] == len(expected)


async def test_a_phone_or_email_of_another_enterprise_matches_nothing(
    owner: Caller, outsider: Caller, db: AsyncSession, clock: Clock
) -> None:
    theirs = await make_sub_account(db, clock, outsider.row, "Theirs", number=5)
    await db.commit()
    assert theirs.phone is not None
    assert theirs.email is not None

    by_phone = await owner(PAGE, first=100, filter={"phone": theirs.phone})
    by_email = await owner(PAGE, first=100, filter={"email": theirs.email})

    assert names(by_phone) == names(by_email) == []


async def test_a_filtered_walk_pages_through_every_match(
    owner: Caller, db: AsyncSession, clock: Clock
) -> None:
    rows = await seed(db, clock, owner.row)
    active = [global_id(row) for row in rows if row.status is AccountStatus.ACTIVE]

    pages = await walk(owner, 20, {"status": "ACTIVE"})

    assert [len(page["edges"]) for page in pages] == [20, 16]
    assert [page["totalCount"] for page in pages] == [36, 36]
    assert [edge["node"]["id"] for page in pages for edge in page["edges"]] == active


@pytest.mark.parametrize("first", [101, 0, -1])
async def test_first_outside_1_to_100_is_bad_user_input(
    owner: Caller, db: AsyncSession, clock: Clock, first: int
) -> None:
    await seed(db, clock, owner.row)

    body = await owner(PAGE, first=first)

    assert body["data"] == {"viewer": {"account": {"subAccounts": None}}}
    assert errors_of(body) == [top_level_error(BAD_FIRST, "BAD_USER_INPUT", *SUB_ACCOUNTS_PATH)]


async def test_a_page_of_100_is_allowed(owner: Caller, db: AsyncSession, clock: Clock) -> None:
    await seed(db, clock, owner.row)

    page = connection_of(await owner(PAGE, first=100))

    assert len(page["edges"]) == SEEDED
    assert page["pageInfo"]["hasNextPage"] is False


def b64(payload: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not-a-cursor",
        b64(["yesterday", uuid.uuid4().hex]),
        b64(["2026-01-01T00:00:00", uuid.uuid4().hex]),
        b64(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
        b64({"offset": 20}),
        base64.urlsafe_b64encode(f"SubAccount:{uuid.uuid4()}".encode()).decode(),
    ],
)
async def test_a_foreign_cursor_is_bad_user_input(
    owner: Caller, db: AsyncSession, clock: Clock, cursor: str
) -> None:
    await seed(db, clock, owner.row)

    body = await owner(PAGE, first=20, after=cursor)

    assert body["data"] == {"viewer": {"account": {"subAccounts": None}}}
    assert errors_of(body) == [top_level_error(BAD_CURSOR, "BAD_USER_INPUT", *SUB_ACCOUNTS_PATH)]


@pytest.mark.parametrize(
    ("flt", "message"),
    [
        ({"phone": "12345"}, "filter.phone is not a valid phone number."),
        ({"email": "nope"}, "filter.email is not an e-mail address."),
    ],
)
async def test_an_invalid_phone_or_email_filter_is_bad_user_input(
    owner: Caller, flt: dict[str, str], message: str
) -> None:
    body = await owner(PAGE, first=20, filter=flt)

    assert errors_of(body) == [top_level_error(message, "BAD_USER_INPUT", *SUB_ACCOUNTS_PATH)]


def listed(admin: Caller, member: Caller) -> list[dict[str, Any]]:
    """The fixture enterprise's two sub-accounts as a manager lists them, member first."""
    return [
        {
            "node": {
                "id": row.id,
                "displayName": row.row.display_name,
                "phone": masked_phone(row.row.phone or ""),
                "email": masked_email(row.row.email or ""),
                "role": role,
                "permissions": row.row.permissions,
                "status": "ACTIVE",
            }
        }
        for row, role in ((member, "MEMBER"), (admin, "ADMIN"))
    ]


async def test_the_enterprise_lists_its_sub_accounts_masked(
    owner: Caller, admin: Caller, member: Caller
) -> None:
    body = await owner(
        "{ viewer { account { ... on EnterpriseAccount { subAccounts { "
        + LIST_FIELDS
        + " } } } } }"
    )

    assert body == {
        "data": {
            "viewer": {
                "account": {"subAccounts": {"totalCount": 2, "edges": listed(admin, member)}}
            }
        }
    }


async def test_an_admin_sub_account_lists_its_enterprise_s_sub_accounts_itself_included(
    owner: Caller, admin: Caller, member: Caller
) -> None:
    through_viewer = await admin(
        "{ viewer { account { ... on SubAccount { enterprise { subAccounts { "
        + LIST_FIELDS
        + " } } } } } }"
    )
    through_node = await admin(
        "query($id: ID!) { node(id: $id) { ... on EnterpriseAccount { subAccounts { "
        + LIST_FIELDS
        + " } } } }",
        id=owner.id,
    )

    expected = {"totalCount": 2, "edges": listed(admin, member)}
    assert through_viewer == {
        "data": {"viewer": {"account": {"enterprise": {"subAccounts": expected}}}}
    }
    assert through_node == {"data": {"node": {"subAccounts": expected}}}


async def test_staff_working_requests_list_an_enterprise_s_sub_accounts_masked(
    staff: Caller, owner: Caller, admin: Caller, member: Caller, db: AsyncSession, clock: Clock
) -> None:
    for sub_account in (admin, member):
        await open_request(db, sub_account.row, clock)
    body = await staff(
        "query($id: ID!) { account(id: $id) { ... on EnterpriseAccount { subAccounts { "
        + LIST_FIELDS
        + " } } } }",
        id=owner.id,
    )

    assert body == {
        "data": {"account": {"subAccounts": {"totalCount": 2, "edges": listed(admin, member)}}}
    }


async def test_a_member_without_a_sub_account_permission_may_not_list(
    member: Caller, owner: Caller
) -> None:
    body = await member(
        "query($id: ID!) { node(id: $id) { ... on EnterpriseAccount {"
        " companyName subAccounts { totalCount } } } }",
        id=owner.id,
    )

    assert body["data"] == {"node": {"companyName": "Acme Group Co., Ltd.", "subAccounts": None}}
    assert errors_of(body) == [top_level_error(NOT_ALLOWED, "FORBIDDEN", "node", "subAccounts")]


@pytest.mark.parametrize("viewer", ["outsider", "anonymous"], indirect=True)
async def test_outsiders_reach_neither_the_enterprise_nor_its_sub_accounts(
    viewer: Caller, owner: Caller, admin: Caller
) -> None:
    for target in (owner.id, admin.id):
        assert await viewer(NODE_ID, id=target) == {"data": {"node": None}}


async def test_a_member_does_not_reach_its_siblings(member: Caller, admin: Caller) -> None:
    assert await member(NODE_ID, id=admin.id) == {"data": {"node": None}}
