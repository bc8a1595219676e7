"""Reading many accounts costs the same SQL statements as reading one
(docs/spec/limits.md#batching).

Each request reads N accounts through aliased node(id:) calls (at most 30 aliases are
served, so N is compared at 1 and 25), with every field the viewer may read nested
in. The counts include the statements that authenticate the request.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.sessions import open_session
from models import (
    Account,
    AccountStatus,
    BankCard,
    DataRequest,
    EnterprisePermission,
    LoginEvent,
    LoginMethod,
)
from resolvers.global_id import to_global_id
from tests.conftest import Clock, StatementCounter
from tests.helpers import graphql
from tests.resolvers.settings.helpers import add_personal_data, iso
from tests.support.api import Api
from tests.support.factories import create_data_request
from tests.support.viewers import SignedIn, Viewers

MANY = 25
SUB_ACCOUNT = """
fragment SubAccountFields on SubAccount {
  id kind status displayName avatarUrl phone email createdAt role permissions lastLoginAt
  profile { bio industry position companySize needs }
  enterprise { id kind status displayName avatarUrl companyName }
}
"""
INDIVIDUAL = """
fragment IndividualFields on IndividualAccount {
  id kind status displayName avatarUrl phone email createdAt birthDate
  profile { bio industry position companySize needs }
  security { hasPassword phoneBound emailBound emailVerified passwordChangedAt }
  identities { provider openId nickname avatarUrl linkedAt }
  verifications {
    realName { status realName idNumber submittedAt verifiedAt rejectionReason }
    student {
      status realName idNumber school major enrolledOn graduatesOn submittedAt verifiedAt
      rejectionReason
    }
  }
  bankCards { id bankName branch location cardNumber last4 holderName cardType boundAt }
  guardianConsent { guardianName guardianPhone grantedAt }
  sessions { id createdAt lastUsedAt userAgent current }
  loginHistory(first: 5) {
    edges { cursor node { at method success ipAddress userAgent } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
  accessLog(first: 2) {
    edges { cursor node { at actorKind actorName field reason } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
# What reading N accounts costs, whatever N. An account's request is authenticated in one
# statement (its session with the viewer's account), a staff member's in two (the
# session, then the staff row); then one for the accounts, and one for each kind of row
# nested in them.
# The enterprise: + the sub-accounts (the enterprise itself is the viewer's row).
ENTERPRISE_STATEMENTS = 2
# Staff: + accounts, identities, bank cards, guardian consents, sessions, login
# events, access log, both verifications (one statement); the open requests that let
# staff read, the staff member's name for the log, and the log entries of the reads.
STAFF_STATEMENTS = 13


def aliased(type_name: str, fragment: str, accounts: list[Account]) -> str:
    nodes = "\n".join(
        f'  a{n}: node(id: "{to_global_id(type_name, account.id)}") {{ ...{fragment} }}'
        for n, account in enumerate(accounts)
    )
    return f"{{\n{nodes}\n}}"


Read = tuple[dict[str, Any], int]


async def read_first_then_all(
    client: httpx.AsyncClient,
    sql_statements: StatementCounter,
    viewer: SignedIn,
    fragment: str,
    accounts: list[Account],
) -> tuple[Read, Read]:
    """The accounts read through node(id:) with `fragment`, the first alone, then all of
    them: each answer, which carries no error, and the statements it cost."""
    _, name, _, type_name, *_ = fragment.split()
    one = await read(
        client, sql_statements, viewer, aliased(type_name, name, accounts[:1]) + fragment
    )
    many = await read(client, sql_statements, viewer, aliased(type_name, name, accounts) + fragment)
    assert "errors" not in one[0], one
    assert "errors" not in many[0], many
    return one, many


async def read(
    client: httpx.AsyncClient,
    sql_statements: StatementCounter,
    viewer: SignedIn,
    query: str,
) -> tuple[dict[str, Any], int]:
    sql_statements.reset()
    body = await graphql(client, query, token=viewer.token)
    return body, sql_statements.count


async def test_an_enterprise_reads_25_sub_accounts_for_the_statements_of_one(
    client: httpx.AsyncClient,
    viewers: Viewers,
    sql_statements: StatementCounter,
) -> None:
    enterprise = await viewers.enterprise()
    members = [
        (
            await viewers.sub_account(
                enterprise.me, phone=f"1370013{n:04d}", industry="Retail", needs=["templates"]
            )
        ).me
        for n in range(MANY)
    ]

    (_, one_count), (many, many_count) = await read_first_then_all(
        client, sql_statements, enterprise, SUB_ACCOUNT, members
    )

    assert len(many["data"]) == MANY
    assert all(node["phone"].startswith("137****") for node in many["data"].values())
    assert (one_count, many_count) == (ENTERPRISE_STATEMENTS, ENTERPRISE_STATEMENTS)


async def test_staff_working_25_requests_read_the_individuals_for_the_statements_of_one(
    api: Api,
    viewers: Viewers,
    sql_statements: StatementCounter,
) -> None:
    people = []
    for n in range(MANY):
        person = (await viewers.individual(phone=f"1381234{n:04d}", email=f"p{n}@example.com")).me
        await add_personal_data(api.db, person, api.clock)
        # A second live device beside the one Viewers opened.
        await open_session(
            api.db, api.services.tokens, now=api.clock(), account_id=person.id, user_agent="Tablet"
        )
        # Staff read a person's fields to work a request that needs them.
        await create_data_request(api.db, person, api.clock())
        people.append(person)
    await api.db.commit()
    staff = await viewers.staff()

    (one, one_count), (many, many_count) = await read_first_then_all(
        api.client, sql_statements, staff, INDIVIDUAL, people
    )

    assert len(many["data"]) == MANY
    for node in many["data"].values():
        assert len(node["identities"]) == 1
        assert node["verifications"]["realName"]["status"] == "VERIFIED"
        assert node["verifications"]["student"]["status"] == "VERIFIED"
        assert [card["last4"] for card in node["bankCards"]] == ["5679"]
        assert len(node["sessions"]) == 2
        assert len(node["loginHistory"]["edges"]) == 2
    # The access log grew between the two reads: staff reads are logged.
    first, again = (dict(node["a0"]) for node in (one["data"], many["data"]))
    assert (first.pop("accessLog"), again.pop("accessLog")["edges"] != []) == (
        {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}},
        True,
    )
    assert again == first
    assert (one_count, many_count) == (STAFF_STATEMENTS, STAFF_STATEMENTS)


def sign_ins(
    account: Account, now: datetime, count: int, *, every_other_failed: bool = False
) -> list[LoginEvent]:
    """`count` password sign-ins of the account, one a minute back from a minute before
    `now`; from the second on, every other one failed when told."""
    return [
        LoginEvent(
            account_id=account.id,
            created_at=now - timedelta(minutes=minutes + 1),
            method=LoginMethod.PASSWORD,
            success=not every_other_failed or minutes % 2 == 0,
        )
        for minutes in range(count)
    ]


async def test_pages_read_together_are_each_accounts_own(
    api: Api,
    viewers: Viewers,
) -> None:
    busy, quiet, new = [(await viewers.individual(phone=f"1381234000{n}")).me for n in range(3)]
    for account, count in ((busy, 7), (quiet, 2)):
        api.db.add_all(sign_ins(account, api.clock(), count, every_other_failed=True))
    ended = await open_session(api.db, api.services.tokens, now=api.clock(), account_id=busy.id)
    await api.db.commit()
    await graphql(api.client, "mutation { logout { ok } }", token=ended.access_token)
    staff = await viewers.staff()
    page = "loginHistory(first: 3, after: $after) { edges { node { at } } pageInfo { hasNextPage endCursor } }"
    together = (
        "query($after: String) { "
        + " ".join(
            f'{name}: node(id: "{to_global_id("IndividualAccount", account.id)}") '
            f"{{ ... on Account {{ sessions {{ current }} {page} }} }}"
            for name, account in (("busy", busy), ("quiet", quiet), ("new", new))
        )
        + " }"
    )
    next_page = (
        "query($after: String) { "
        f'node(id: "{to_global_id("IndividualAccount", busy.id)}") {{ ... on Account {{ {page} }} }}'
        " }"
    )

    first = await graphql(api.client, together, token=staff.token)
    cursor = first["data"]["busy"]["loginHistory"]["pageInfo"]["endCursor"]
    second = await graphql(api.client, next_page, {"after": cursor}, token=staff.token)

    def ats(minutes: range) -> list[dict[str, Any]]:
        return [{"node": {"at": iso(api.clock() - timedelta(minutes=m + 1))}} for m in minutes]

    assert "errors" not in first, first
    assert {name: node["loginHistory"]["edges"] for name, node in first["data"].items()} == {
        "busy": ats(range(3)),
        "quiet": ats(range(2)),
        "new": [],
    }
    assert [node["loginHistory"]["pageInfo"]["hasNextPage"] for node in first["data"].values()] == [
        True,
        False,
        False,
    ]
    # The ended session is left out; each account keeps the one Viewers opened.
    assert [node["sessions"] for node in first["data"].values()] == [[{"current": False}]] * 3
    assert second["data"]["node"]["loginHistory"]["edges"] == ats(range(3, 6))
    assert second["data"]["node"]["loginHistory"]["pageInfo"]["hasNextPage"] is True


async def test_pages_walked_backwards_and_counted_are_each_accounts_own(
    api: Api, viewers: Viewers, sql_statements: StatementCounter
) -> None:
    busy, quiet, new = [(await viewers.individual(phone=f"1381234100{n}")).me for n in range(3)]
    for account, count in ((busy, 7), (quiet, 2)):
        api.db.add_all(sign_ins(account, api.clock(), count))
    await api.db.commit()
    staff = await viewers.staff()
    page = (
        "loginHistory(last: 3, before: $before) { totalCount edges { node { at } } "
        "pageInfo { hasNextPage hasPreviousPage startCursor } }"
    )

    def query(*accounts: tuple[str, Account]) -> str:
        return (
            "query($before: String) { "
            + " ".join(
                f'{name}: node(id: "{to_global_id("IndividualAccount", account.id)}") '
                f"{{ ... on Account {{ {page} }} }}"
                for name, account in accounts
            )
            + " }"
        )

    def ats(minutes: range) -> list[dict[str, Any]]:
        return [{"node": {"at": iso(api.clock() - timedelta(minutes=m + 1))}} for m in minutes]

    alone, alone_count = await read(api.client, sql_statements, staff, query(("busy", busy)))
    together, together_count = await read(
        api.client, sql_statements, staff, query(("busy", busy), ("quiet", quiet), ("new", new))
    )
    cursor = together["data"]["busy"]["loginHistory"]["pageInfo"]["startCursor"]
    earlier = await graphql(
        api.client, query(("busy", busy)), {"before": cursor}, token=staff.token
    )

    assert "errors" not in together, together
    # The last page holds the oldest sign-ins, still newest first.
    assert {name: node["loginHistory"]["edges"] for name, node in together["data"].items()} == {
        "busy": ats(range(4, 7)),
        "quiet": ats(range(2)),
        "new": [],
    }
    assert [node["loginHistory"]["totalCount"] for node in together["data"].values()] == [7, 2, 0]
    assert [
        node["loginHistory"]["pageInfo"]["hasPreviousPage"] for node in together["data"].values()
    ] == [True, False, False]
    assert [
        node["loginHistory"]["pageInfo"]["hasNextPage"] for node in together["data"].values()
    ] == [False, False, False]
    assert earlier["data"]["busy"]["loginHistory"]["edges"] == ats(range(1, 4))
    assert earlier["data"]["busy"]["loginHistory"]["pageInfo"]["hasNextPage"] is True
    assert alone["data"]["busy"] == together["data"]["busy"]
    # Three accounts' pages and counts cost what one account's do.
    assert together_count == alone_count


NODES = """
query($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename id
    ... on Account { displayName }
    ... on BankCard { last4 }
    ... on DataRequest { type status }
  }
}
"""


async def test_nodes_answer_what_each_viewer_may_read_one_statement_per_type(
    api: Api, viewers: Viewers, sql_statements: StatementCounter
) -> None:
    people = []
    signed_in = []
    for n in range(3):
        signed_in.append(await viewers.individual(phone=f"1381234200{n}"))
        person = signed_in[-1].me
        await add_personal_data(api.db, person, api.clock)
        await create_data_request(api.db, person, api.clock())
        people.append(person)
    await api.db.commit()
    cards = {
        person.id: (
            await api.db.scalars(select(BankCard).where(BankCard.account_id == person.id))
        ).one()
        for person in people
    }
    requests = {
        person.id: (
            await api.db.scalars(select(DataRequest).where(DataRequest.account_id == person.id))
        ).one()
        for person in people
    }

    def ids(*of: Account) -> list[str]:
        return [
            id_
            for person in of
            for id_ in (
                to_global_id("IndividualAccount", person.id),
                to_global_id("BankCard", cards[person.id].id),
                to_global_id("DataRequest", requests[person.id].id),
            )
        ]

    def nodes(person: Account) -> list[dict[str, Any]]:
        account_id, card_id, request_id = ids(person)
        return [
            {
                "__typename": "IndividualAccount",
                "id": account_id,
                "displayName": person.display_name,
            },
            {"__typename": "BankCard", "id": card_id, "last4": "5679"},
            {
                "__typename": "DataRequest",
                "id": request_id,
                "type": "ACCESS_COPY",
                "status": "SUBMITTED",
            },
        ]

    owner = signed_in[0]
    staff = await viewers.staff()
    # A business account's ID for an individual, and a type that has no nodes.
    strays = [
        to_global_id("BusinessAccount", people[0].id),
        to_global_id("PublicProfile", people[0].id),
        to_global_id("Nothing", people[0].id),
    ]

    mine = await graphql(api.client, NODES, {"ids": [*ids(*people), *strays]}, token=owner.token)
    sql_statements.reset()
    one = await graphql(api.client, NODES, {"ids": ids(people[0])}, token=staff.token)
    one_count = sql_statements.count
    sql_statements.reset()
    everyone = await graphql(api.client, NODES, {"ids": ids(*people)}, token=staff.token)
    everyone_count = sql_statements.count

    assert "errors" not in mine, mine
    assert mine["data"]["nodes"] == [*nodes(people[0]), *[None] * 6, None, None, None]
    assert one["data"]["nodes"] == nodes(people[0])
    assert everyone["data"]["nodes"] == [node for p in people for node in nodes(p)]
    # Three people's accounts, cards and requests cost what one person's do.
    assert everyone_count == one_count


async def test_nodes_take_at_most_100_ids(client: httpx.AsyncClient, viewers: Viewers) -> None:
    owner = await viewers.individual()
    many = [to_global_id("BankCard", uuid.uuid4()) for _ in range(101)]

    body = await graphql(client, NODES, {"ids": many}, token=owner.token)

    assert body["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("At most 100 IDs at once.", "BAD_USER_INPUT")
    ]


async def test_nodes_give_an_enterprise_and_its_members_only_what_their_queries_do(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    enterprise = await viewers.enterprise()
    billing = await viewers.sub_account(
        enterprise.me, permissions=[EnterprisePermission.MANAGE_BILLING]
    )
    deleted = await viewers.sub_account(enterprise.me)
    await add_personal_data(db, enterprise.me, clock)
    await add_personal_data(db, billing.me, clock, card_number="6222020200112345680")
    request = await create_data_request(db, billing.me, clock())
    deleted.me.status = AccountStatus.CANCELLED
    await db.commit()

    def card_of(account: Account) -> str:
        return to_global_id("BankCard", next(c.id for c in cards if c.account_id == account.id))

    cards = list(await db.scalars(select(BankCard)))
    deleted_id = to_global_id("SubAccount", deleted.me.id)
    asked = [
        card_of(
            enterprise.me
        ),  # the enterprise's card: its billing member reads it in bankCards only
        card_of(billing.me),  # a sub-account's card: not its enterprise's to read
        to_global_id("DataRequest", request.id),  # a sub-account's request: the same
        deleted_id,  # a deleted sub-account: staff only
    ]
    by_member = await graphql(client, NODES, {"ids": asked * 2}, token=billing.token)
    by_enterprise = await graphql(client, NODES, {"ids": asked * 2}, token=enterprise.token)
    by_staff = await graphql(
        client, NODES, {"ids": [deleted_id]}, token=(await viewers.staff()).token
    )

    assert by_member == {
        "data": {
            "nodes": [
                None,
                {"__typename": "BankCard", "id": asked[1], "last4": "5680"},
                {
                    "__typename": "DataRequest",
                    "id": asked[2],
                    "type": "ACCESS_COPY",
                    "status": "SUBMITTED",
                },
                None,
            ]
            * 2
        }
    }
    assert by_enterprise == {
        "data": {
            "nodes": [
                {"__typename": "BankCard", "id": asked[0], "last4": "5679"},
                None,
                None,
                None,
            ]
            * 2
        }
    }
    assert by_staff == {
        "data": {
            "nodes": [
                {
                    "__typename": "SubAccount",
                    "id": deleted_id,
                    "displayName": deleted.me.display_name,
                }
            ]
        }
    }
