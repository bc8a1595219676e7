"""Global IDs, `node(id:)` and `viewer`, through the schema with a given viewer."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.errors import BadUserInput
from auth.viewer import Viewer
from models import Account, AccountKind
from models.unit_of_work import RequestScope
from resolvers.context import RequestContext
from resolvers.global_id import GlobalId, decode_global_id, to_global_id
from schema import schema
from tests.support.factories import create_account
from tests.support.ids import NODE_TYPES

NODE_QUERY = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Account { kind status displayName avatarUrl createdAt }
    ... on BusinessAccount { businessName urToken }
    ... on EnterpriseAccount { companyName }
    ... on SubAccount { enterprise { id companyName } }
  }
}
"""


async def run(db: AsyncSession, query: str, viewer: Viewer | None, **variables: Any) -> Any:
    scope = RequestScope(lambda: db)  # type: ignore[arg-type,return-value]
    result = await schema.execute(
        query, variable_values=variables, context_value=RequestContext(scope=scope, viewer=viewer)
    )
    assert result.errors is None, result.errors
    return result.data


def signed_in(account: Account) -> Viewer:
    return Viewer(session_id=uuid.uuid4(), account_id=account.id)


def test_global_ids_round_trip() -> None:
    key = uuid.uuid4()

    assert decode_global_id(to_global_id("IndividualAccount", key)) == GlobalId(
        "IndividualAccount", key
    )


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("not-base64!", id="not-base64"),
        pytest.param(to_global_id("X", uuid.UUID(int=1))[:-3], id="cut-short"),
        pytest.param(_b64(f"SubAccount:{uuid.UUID(int=1)}"), id="padded"),
        pytest.param(to_global_id("BankCard", uuid.UUID(int=1)) + "!", id="stray-character"),
        pytest.param(
            _b64(f"BankCard:{uuid.UUID(int=1).hex}").rstrip("="), id="uuid-spelt-otherwise"
        ),
        pytest.param(_b64("BankCard:1").rstrip("="), id="not-a-uuid"),
        pytest.param(_b64(f":{uuid.UUID(int=1)}").rstrip("="), id="no-type"),
        pytest.param(_b64(f"Bank Card:{uuid.UUID(int=1)}").rstrip("="), id="not-a-type-name"),
        pytest.param(base64.urlsafe_b64encode(b"\xff:x").decode(), id="not-utf-8"),
        pytest.param("A" * 129, id="too-long"),
    ],
)
def test_anything_but_an_issued_id_is_bad_user_input(raw: str) -> None:
    with pytest.raises(BadUserInput) as raised:
        decode_global_id(raw)

    assert raised.value.message == "The ID is not one this API issued."


async def test_node_resolves_the_viewers_own_account(db: AsyncSession) -> None:
    account = await create_account(
        db, kind=AccountKind.BUSINESS, display_name="Acme", business_name="Acme Ltd", ur_token="u1"
    )
    global_id = to_global_id("BusinessAccount", account.id)

    data = await run(db, NODE_QUERY, signed_in(account), id=global_id)

    assert data["node"] == {
        "__typename": "BusinessAccount",
        "id": global_id,
        "kind": "BUSINESS",
        "status": "ACTIVE",
        "displayName": "Acme",
        "avatarUrl": None,
        "createdAt": account.created_at.isoformat(),
        "businessName": "Acme Ltd",
        "urToken": "u1",
    }


async def test_node_is_null_for_anonymous_and_other_accounts(db: AsyncSession) -> None:
    account = await create_account(db)
    other = await create_account(db)
    global_id = to_global_id("IndividualAccount", account.id)

    assert await run(db, NODE_QUERY, None, id=global_id) == {"node": None}
    assert await run(db, NODE_QUERY, signed_in(other), id=global_id) == {"node": None}


async def test_an_id_of_one_type_never_resolves_as_another(db: AsyncSession) -> None:
    account = await create_account(db)
    viewer = signed_in(account)

    as_business = to_global_id("BusinessAccount", account.id)
    as_policy = to_global_id("PrivacyPolicy", account.id)

    assert await run(db, NODE_QUERY, viewer, id=as_business) == {"node": None}
    assert await run(db, NODE_QUERY, viewer, id=as_policy) == {"node": None}


async def test_a_missing_account_answers_null(db: AsyncSession) -> None:
    account = await create_account(db)
    missing = to_global_id("IndividualAccount", uuid.uuid4())

    assert await run(db, NODE_QUERY, signed_in(account), id=missing) == {"node": None}


async def test_the_enterprise_reads_its_sub_account_and_the_sub_account_its_enterprise(
    db: AsyncSession,
) -> None:
    enterprise = await create_account(
        db, kind=AccountKind.ENTERPRISE, display_name="Ent", company_name="Ent Co"
    )
    member = await create_account(
        db, kind=AccountKind.SUB_ACCOUNT, display_name="Member", enterprise=enterprise
    )
    member_id = to_global_id("SubAccount", member.id)

    data = await run(db, NODE_QUERY, signed_in(enterprise), id=member_id)

    assert data["node"]["__typename"] == "SubAccount"
    assert data["node"]["enterprise"] == {
        "id": to_global_id("EnterpriseAccount", enterprise.id),
        "companyName": "Ent Co",
    }


async def test_viewer_is_null_when_anonymous_and_the_account_when_signed_in(
    db: AsyncSession,
) -> None:
    account = await create_account(db, display_name="Me")
    query = "{ viewer { elevatedUntil account { __typename displayName } } }"

    assert await run(db, query, None) == {"viewer": None}
    assert await run(db, query, signed_in(account)) == {
        "viewer": {
            "elevatedUntil": None,
            "account": {"__typename": "IndividualAccount", "displayName": "Me"},
        }
    }


async def test_accounts_of_many_kinds_load_in_one_statement(
    db: AsyncSession, sql_statements: Any
) -> None:
    enterprise = await create_account(db, kind=AccountKind.ENTERPRISE, company_name="E")
    members = [
        await create_account(db, kind=AccountKind.SUB_ACCOUNT, enterprise=enterprise)
        for _ in range(5)
    ]
    aliases = " ".join(
        f'm{n}: node(id: "{to_global_id("SubAccount", m.id)}") '
        "{ ... on SubAccount { displayName enterprise { companyName } } }"
        for n, m in enumerate(members)
    )
    sql_statements.reset()

    data = await run(db, "{ " + aliases + " }", signed_in(enterprise))

    assert len(data) == 5
    # One batch for the five sub-accounts, one for their (shared) enterprise.
    assert sql_statements.count == 2


def test_every_node_type_resolves_its_own_ids() -> None:
    """`node(id:)` and `nodes(ids:)` reach each object type through its `resolve_nodes`:
    a Node type without one would answer INTERNAL_SERVER_ERROR instead of its object."""
    from graphql import GraphQLObjectType

    from schema.relay import Node

    node_types = [
        graphql_type
        for graphql_type in schema._schema.type_map.values()
        if isinstance(graphql_type, GraphQLObjectType)
        and any(interface.name == "Node" for interface in graphql_type.interfaces)
    ]
    missing = [
        graphql_type.name
        for graphql_type in node_types
        if schema.get_type_by_name(graphql_type.name).origin.resolve_nodes.__func__  # type: ignore[union-attr]
        is Node.resolve_nodes.__func__  # type: ignore[attr-defined]
    ]

    assert sorted(t.name for t in node_types) == NODE_TYPES
    assert missing == []
