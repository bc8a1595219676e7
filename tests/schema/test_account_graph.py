"""Who reaches which account over HTTP: node, account and publicProfile
(docs/spec/masking-and-viewers.md#reaching-an-account).

An object the viewer may not reach answers null exactly as a missing one does; a field
the viewer may not read answers null with a FORBIDDEN error at its path.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Account,
    AccountStatus,
    BankCard,
    Consent,
    ConsentPurpose,
)
from resolvers.global_id import to_global_id
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.settings.helpers import add_personal_data, iso
from tests.support.api import Api
from tests.support.factories import create_data_request
from tests.support.ids import ACCOUNT_TYPES, global_id
from tests.support.viewers import SignedIn, Viewers

EVERY_FIELD = """
  __typename id
  ... on Account {
    kind status displayName avatarUrl
    phone
    email
    createdAt
    profile { industry }
    security { hasPassword }
    identities { provider }
    verifications { realName { status } }
    bankCards { last4 }
    sessions { current }
    loginHistory(first: 5) { edges { node { success } } }
    accessLog(first: 5) { edges { node { field } } }
  }
  ... on EnterpriseAccount { companyName }
  ... on SubAccount { enterprise { id companyName } }
"""
NODE = f"query($id: ID!) {{\n node(id: $id) {{ {EVERY_FIELD} }}\n}}"
ACCOUNT = f"query($id: ID!) {{\n account(id: $id) {{ {EVERY_FIELD} }}\n}}"
NODE_ID = "query($id: ID!) { node(id: $id) { __typename id } }"
ACCOUNT_ID = "query($id: ID!) { account(id: $id) { __typename id } }"
PUBLIC_PROFILE = """
query($id: ID!) { publicProfile(id: $id) { __typename id kind displayName avatarUrl } }
"""
NODE_PUBLIC_PROFILE = """
query($id: ID!) { node(id: $id) { __typename id ... on PublicProfile { kind displayName } } }
"""
NODE_CARD = """
query($id: ID!) { node(id: $id) { __typename id ... on BankCard { cardNumber last4 } } }
"""
# What a manager may not read of a sub-account, and a member of its enterprise.
NOT_FOR_MANAGERS = (
    "security",
    "identities",
    "verifications",
    "bankCards",
    "sessions",
    "loginHistory",
    "accessLog",
)
NOT_FOR_MEMBERS_NULLABLE = ("phone", "email", "profile", *NOT_FOR_MANAGERS)
NODE_WITHOUT_CREATED_AT = NODE.replace("    createdAt\n", "")
NODE_CREATED_AT = """query($id: ID!) {
 node(id: $id) { ... on EnterpriseAccount { companyName createdAt } }
}"""


async def ask(
    client: httpx.AsyncClient, query: str, node_id: str, viewer: SignedIn | None
) -> dict[str, Any]:
    return await graphql(client, query, {"id": node_id}, token=viewer.token if viewer else None)


def forbidden(query: str, root: str, *fields: str) -> list[dict[str, Any]]:
    """The FORBIDDEN errors of `fields` of the object at `root`, ordered by path."""
    errors = []
    for field in fields:
        for number, line in enumerate(query.splitlines(), start=1):
            found = re.search(rf"(?<![\w]){field}(?![\w])", line)
            if found:
                location = {"line": number, "column": found.start() + 1}
                break
        else:
            raise AssertionError(f"{field} is not in the query")
        errors.append(
            {
                "message": "You may not read this field.",
                "locations": [location],
                "path": [root, field],
                "extensions": {"code": "FORBIDDEN"},
            }
        )
    return sorted(errors, key=lambda error: error["path"])


def by_path(body: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(body.get("errors", []), key=lambda error: error["path"])


async def card_of(db: AsyncSession, account: Account) -> BankCard:
    statement = select(BankCard).where(BankCard.account_id == account.id)
    return (await db.scalars(statement)).one()


async def grant_public_profile(db: AsyncSession, account: Account, *, granted: bool = True) -> None:
    db.add(
        Consent(
            account_id=account.id,
            purpose=ConsentPurpose.PUBLIC_PROFILE,
            granted=granted,
            policy_version="1.0",
            updated_at=account.created_at,
        )
    )
    await db.commit()


# --- node(id) and account(id) of an individual ---------------------------------------


async def test_nobody_but_itself_and_staff_reaches_an_individual(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    person = await viewers.individual(phone="13812345678")
    enterprise = await viewers.enterprise()
    others = [
        None,
        await viewers.individual(phone="13812345679"),
        await viewers.business(),
        enterprise,
        await viewers.sub_account(enterprise.me),
    ]
    person_id = global_id(person.me)
    missing = to_global_id("IndividualAccount", uuid.uuid4())

    unreachable = [await ask(client, NODE, person_id, other) for other in others]
    absent = [await ask(client, NODE, missing, other) for other in others]
    own = await ask(client, NODE_ID, person_id, person)

    assert unreachable == [{"data": {"node": None}}] * len(others)
    assert absent == unreachable
    assert own == {"data": {"node": {"__typename": "IndividualAccount", "id": person_id}}}


async def test_account_by_id_answers_staff_only(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    person = await viewers.individual(phone="13812345678")
    enterprise = await viewers.enterprise()
    member = await viewers.sub_account(enterprise.me)
    staff = await viewers.staff()
    person_id = global_id(person.me)
    member_id = global_id(member.me)

    refused = [
        await ask(client, ACCOUNT_ID, person_id, None),
        await ask(client, ACCOUNT_ID, person_id, person),
        await ask(client, ACCOUNT_ID, member_id, enterprise),
        await ask(client, ACCOUNT_ID, global_id(enterprise.me), member),
    ]
    for_staff = await ask(client, ACCOUNT_ID, member_id, staff)

    assert refused == [{"data": {"account": None}}] * 4
    assert for_staff == {"data": {"account": {"__typename": "SubAccount", "id": member_id}}}


async def open_request(db: AsyncSession, account: Account, clock: Clock) -> None:
    """An open request for a copy of the account's data: what staff read it for."""
    await create_data_request(db, account, clock())
    await db.commit()


def first_fields(account: Account) -> dict[str, Any]:
    """What every active account without an avatar answers first."""
    return {
        "__typename": ACCOUNT_TYPES[account.kind],
        "id": global_id(account),
        "kind": account.kind.name,
        "status": "ACTIVE",
        "displayName": account.display_name,
        "avatarUrl": None,
    }


async def test_staff_working_a_request_read_every_field_of_an_account_masked(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    person = await viewers.individual(phone="13812345678", email="zhang@example.com")
    await add_personal_data(db, person.me, clock)
    await open_request(db, person.me, clock)
    staff = await viewers.staff()
    person_id = global_id(person.me)

    by_node = await ask(client, NODE, person_id, staff)
    by_account = await ask(client, ACCOUNT, person_id, staff)

    expected = {
        **first_fields(person.me),
        "phone": "138****5678",
        "email": "z***@example.com",
        "createdAt": iso(person.me.created_at),
        "profile": {"industry": None},
        "security": {"hasPassword": False},
        "identities": [{"provider": "WECHAT"}],
        "verifications": {"realName": {"status": "VERIFIED"}},
        "bankCards": [{"last4": "5679"}],
        "sessions": [{"current": False}],
        "loginHistory": {"edges": [{"node": {"success": True}}, {"node": {"success": False}}]},
        "accessLog": {"edges": []},
    }
    assert by_node == {"data": {"node": expected}}
    # The first answer's masked reads were logged before it was sent.
    logged = by_account["data"]["account"].pop("accessLog")["edges"]
    assert by_account["data"]["account"] == {
        key: value for key, value in expected.items() if key != "accessLog"
    }
    assert sorted(edge["node"]["field"] for edge in logged) == ["EMAIL", "PHONE"]


async def test_staff_reach_a_cancelled_shell_by_account_only(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers
) -> None:
    person = await viewers.individual(phone=None, status=AccountStatus.CANCELLED)
    staff = await viewers.staff()
    person_id = global_id(person.me)

    body = await ask(client, ACCOUNT_ID, person_id, staff)

    assert body == {"data": {"account": {"__typename": "IndividualAccount", "id": person_id}}}


# --- an enterprise and its sub-accounts ------------------------------------------------


async def test_the_enterprise_reads_what_a_manager_may_of_its_sub_account(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    enterprise = await viewers.enterprise()
    member = await viewers.sub_account(
        enterprise.me, email="member@example.com", phone="13700137000", industry="Retail"
    )
    await add_personal_data(db, member.me, clock)
    member_id = global_id(member.me)

    body = await ask(client, NODE, member_id, enterprise)

    assert body["data"] == {
        "node": {
            **first_fields(member.me),
            "phone": "137****7000",
            "email": "m***@example.com",
            "createdAt": iso(member.me.created_at),
            "profile": {"industry": "Retail"},
            **dict.fromkeys(NOT_FOR_MANAGERS),
            "enterprise": {"id": global_id(enterprise.me), "companyName": "Acme Group"},
        }
    }
    assert by_path(body) == forbidden(NODE, "node", *NOT_FOR_MANAGERS)


async def test_a_sub_account_reads_its_enterprises_name_and_nothing_more(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    enterprise = await viewers.enterprise(industry="Retail")
    await add_personal_data(db, enterprise.me, clock)
    member = await viewers.sub_account(enterprise.me)
    enterprise_id = global_id(enterprise.me)

    body = await ask(client, NODE_WITHOUT_CREATED_AT, enterprise_id, member)
    created_at = await ask(client, NODE_CREATED_AT, enterprise_id, member)

    assert body["data"] == {
        "node": {
            **first_fields(enterprise.me),
            **dict.fromkeys(NOT_FOR_MEMBERS_NULLABLE),
            "companyName": "Acme Group",
        }
    }
    assert by_path(body) == forbidden(NODE_WITHOUT_CREATED_AT, "node", *NOT_FOR_MEMBERS_NULLABLE)
    # createdAt is readable by whoever reaches the account (it is non-null in the
    # contract: refusing it would take the whole object with it).
    assert created_at == {
        "data": {
            "node": {"companyName": "Acme Group", "createdAt": enterprise.me.created_at.isoformat()}
        }
    }


async def test_accounts_of_other_enterprises_are_out_of_reach(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    first = await viewers.enterprise(email="first@example.com", phone="13900139001")
    second = await viewers.enterprise(email="second@example.com", phone="13900139002")
    first_member = await viewers.sub_account(first.me)
    second_member = await viewers.sub_account(second.me)
    fellow_member = await viewers.sub_account(first.me)

    answers = [
        await ask(client, NODE_ID, global_id(first_member.me), second),
        await ask(client, NODE_ID, global_id(first.me), second_member),
        await ask(client, NODE_ID, global_id(second_member.me), first_member),
        # A member without a permission over other sub-accounts reaches none of them.
        await ask(client, NODE_ID, global_id(fellow_member.me), first_member),
        await ask(client, NODE_ID, global_id(first.me), second),
    ]

    assert answers == [{"data": {"node": None}}] * 5


async def test_an_id_minted_for_another_account_type_resolves_as_nothing(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    enterprise = await viewers.enterprise()
    member = await viewers.sub_account(enterprise.me)
    staff = await viewers.staff()
    wrong_type = to_global_id("EnterpriseAccount", member.me.id)

    answers = [
        await ask(client, NODE_ID, wrong_type, enterprise),
        await ask(client, NODE_ID, wrong_type, member),
        await ask(client, NODE_ID, wrong_type, staff),
        await ask(client, ACCOUNT_ID, wrong_type, staff),
    ]

    assert answers == [{"data": {"node": None}}] * 3 + [{"data": {"account": None}}]


# --- bank cards ------------------------------------------------------------------------


async def test_a_bank_card_id_and_an_account_id_never_stand_for_each_other(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    person = await viewers.individual()
    await add_personal_data(db, person.me, clock)
    await open_request(db, person.me, clock)
    staff = await viewers.staff()
    card = await card_of(db, person.me)
    card_id = to_global_id("BankCard", card.id)
    card_as_account = to_global_id("IndividualAccount", card.id)
    account_as_card = to_global_id("BankCard", person.me.id)
    expected_card = {
        "__typename": "BankCard",
        "id": card_id,
        "cardNumber": "***************5679",
        "last4": "5679",
    }

    own = await ask(client, NODE_CARD, card_id, person)
    for_staff = await ask(client, NODE_CARD, card_id, staff)
    crossed = [
        await ask(client, NODE_CARD, card_as_account, person),
        await ask(client, NODE_CARD, account_as_card, person),
        await ask(client, NODE_CARD, card_as_account, staff),
        await ask(client, NODE_CARD, account_as_card, staff),
    ]
    by_account = await ask(client, ACCOUNT_ID, card_as_account, staff)

    assert own == {"data": {"node": expected_card}}
    assert for_staff == {"data": {"node": expected_card}}
    assert crossed == [{"data": {"node": None}}] * 4
    assert by_account == {"data": {"account": None}}


async def test_nobody_else_reaches_a_bank_card(api: Api, viewers: Viewers) -> None:
    enterprise = await viewers.enterprise()
    await add_personal_data(api.db, enterprise.me, api.clock)
    card = await card_of(api.db, enterprise.me)
    card_id = to_global_id("BankCard", card.id)
    others = [None, await viewers.individual(), await viewers.sub_account(enterprise.me)]

    answers = [await ask(api.client, NODE_CARD, card_id, other) for other in others]
    missing = [
        await ask(api.client, NODE_CARD, to_global_id("BankCard", uuid.uuid4()), other)
        for other in others
    ]

    assert answers == [{"data": {"node": None}}] * 3
    assert missing == answers


# --- public profiles -------------------------------------------------------------------


async def test_a_public_profile_needs_the_owners_consent(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers
) -> None:
    person = await viewers.individual(
        phone="13812345678", display_name="Zhang", avatar_url="https://cdn.example.com/z.png"
    )
    reader = await viewers.individual(phone="13812345679")
    profile_id = to_global_id("PublicProfile", person.me.id)
    account_id = global_id(person.me)

    before = [
        await ask(client, PUBLIC_PROFILE, profile_id, None),
        await ask(client, PUBLIC_PROFILE, account_id, reader),
        await ask(client, PUBLIC_PROFILE, account_id, person),
    ]
    await grant_public_profile(db, person.me)
    after = [
        await ask(client, PUBLIC_PROFILE, profile_id, None),
        await ask(client, PUBLIC_PROFILE, account_id, reader),
        await ask(client, PUBLIC_PROFILE, account_id, person),
    ]
    as_node = await ask(client, NODE_PUBLIC_PROFILE, profile_id, None)

    assert before == [{"data": {"publicProfile": None}}] * 3
    public = {
        "__typename": "PublicProfile",
        "id": profile_id,
        "kind": "INDIVIDUAL",
        "displayName": "Zhang",
        "avatarUrl": "https://cdn.example.com/z.png",
    }
    assert after == [{"data": {"publicProfile": public}}] * 3
    assert as_node == {
        "data": {
            "node": {
                "__typename": "PublicProfile",
                "id": profile_id,
                "kind": "INDIVIDUAL",
                "displayName": "Zhang",
            }
        }
    }


async def test_a_withdrawn_consent_hides_the_public_profile(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers
) -> None:
    person = await viewers.individual()
    await grant_public_profile(db, person.me, granted=False)
    profile_id = to_global_id("PublicProfile", person.me.id)

    body = await ask(client, PUBLIC_PROFILE, profile_id, None)
    as_node = await ask(client, NODE_PUBLIC_PROFILE, profile_id, None)

    assert body == {"data": {"publicProfile": None}}
    assert as_node == {"data": {"node": None}}


@pytest.mark.parametrize("status", [AccountStatus.DISABLED, AccountStatus.CANCELLED])
async def test_an_account_out_of_use_shows_no_public_profile(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, status: AccountStatus
) -> None:
    person = await viewers.individual(phone=None, status=status)
    await grant_public_profile(db, person.me)

    body = await ask(client, PUBLIC_PROFILE, to_global_id("PublicProfile", person.me.id), None)

    assert body == {"data": {"publicProfile": None}}


async def test_a_public_profile_is_found_by_no_other_id(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    person = await viewers.individual()
    await add_personal_data(db, person.me, clock)
    await grant_public_profile(db, person.me)
    card = await card_of(db, person.me)

    answers = [
        await ask(client, PUBLIC_PROFILE, other_id, None)
        for other_id in (
            to_global_id("BusinessAccount", person.me.id),
            to_global_id("BankCard", person.me.id),
            to_global_id("PublicProfile", card.id),
            to_global_id("PublicProfile", uuid.uuid4()),
        )
    ]

    assert answers == [{"data": {"publicProfile": None}}] * 4
