"""The gateway as an Apollo Federation 2 subgraph (GATEWAY_FEDERATION=on), over HTTP.

`_entities` resolves the account types exactly as `node(id:)` does, for every viewer
relation; a reference the viewer may not reach is null with FORBIDDEN at its place.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from auth import service_credentials
from auth.services import AuthServices
from gateway.app import create_app
from gateway.settings import CONFIGURATION_ERRORS, configuration_error_line
from resolvers.global_id import to_global_id
from schema import schema
from schema.federation import subgraph_sdl
from tests.conftest import Clock, StatementCounter, make_settings
from tests.helpers import graphql
from tests.resolvers.enterprise.helpers import (
    STEP_UP_MESSAGE,
    Caller,
    make_caller,
    make_enterprise,
    make_staff,
    make_sub_account,
    open_request,
    top_level_error,
)
from tests.support.api import Api
from tests.support.apps import client_of
from tests.support.assertions import errors_of
from tests.support.processes import run_successfully

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE = REPO_ROOT / "tests" / "federation" / "compose.mjs"
NODE = shutil.which("node")
NOT_REACHABLE = "The account does not exist or the viewer may not read it."
NOT_A_REFERENCE = "A representation is an object with the __typename of an account type and its id."
NOT_ALLOWED = "You may not read this field."
# What both _entities and node(id:) select of an account.
ACCOUNT = (
    "__typename ... on Account { id displayName phone email }"
    " ... on EnterpriseAccount { companyName } ... on SubAccount { role }"
)
ENTITIES = f"""
query($representations: [_Any!]!) {{
  _entities(representations: $representations) {{ {ACCOUNT} }}
}}
"""
NODE_QUERY = f"""
query($id: ID!) {{
  node(id: $id) {{ {ACCOUNT} }}
}}
"""
# A second subgraph of the platform: orders reference the person who placed them.
ORDERS_SUBGRAPH = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

type Query {
  order(number: String!): Order
}

type Order {
  number: String!
  buyer: IndividualAccount!
}

type IndividualAccount @key(fields: "id") {
  id: ID!
  orders: [Order!]!
}
"""


def federated_client(app_settings: dict[str, Any], **dependencies: Any) -> httpx.AsyncClient:
    app = create_app(make_settings(**app_settings), **dependencies)
    return client_of(app)


@pytest.fixture
async def client(
    db_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    services: AuthServices,
    clock: Clock,
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with GATEWAY_FEDERATION=on; every caller below uses it."""
    async with federated_client(
        {"db_url": db_url, "federation": True},
        engine=engine,
        session_factory=session_factory,
        services=services,
        clock=clock,
    ) as client:
        yield client


@pytest.fixture
async def owner(api: Api) -> Caller:
    enterprise = await make_enterprise(api.db, api.clock, "Acme Group", "owner@acme.example", 0)
    return await make_caller(api, enterprise, stepped_up=False)


@pytest.fixture
async def member(api: Api, owner: Caller) -> Caller:
    account = await make_sub_account(
        api.db, api.clock, owner.row, "Mia Member", number=2, permissions=["MANAGE_PROJECTS"]
    )
    return await make_caller(api, account, stepped_up=False)


@pytest.fixture
async def outsider(api: Api) -> Caller:
    enterprise = await make_enterprise(api.db, api.clock, "Other Corp", "owner@other.example", 9)
    return await make_caller(api, enterprise, stepped_up=False)


@pytest.fixture
async def staff(api: Api) -> Caller:
    return await make_staff(api)


def reference(type_name: str, caller: Caller) -> dict[str, str]:
    return {"__typename": type_name, "id": caller.id}


async def entities(caller: Caller, *representations: object) -> dict[str, Any]:
    return await caller(ENTITIES, representations=list(representations))


async def test_the_service_sdl_is_the_schema_with_the_account_types_keyed_by_id(
    client: httpx.AsyncClient,
) -> None:
    body = await graphql(client, "{ _service { sdl } }")

    sdl = body["data"]["_service"]["sdl"]
    assert sdl == subgraph_sdl(schema.as_str())
    lines = sdl.splitlines()
    assert lines[0] == (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])'
    )
    assert [line for line in lines if "@key" in line][1:] == [
        'type BusinessAccount implements Account & Node @key(fields: "id") {',
        'type EnterpriseAccount implements Account & Node @key(fields: "id") {',
        'type IndividualAccount implements Account & Node @key(fields: "id") {',
        'type SubAccount implements Account & Node @key(fields: "id") {',
    ]
    # The subgraph's own fields are the router's business, not part of its API.
    assert "_entities" not in sdl
    assert "_service" not in sdl


def composed(tmp_path: Path, subgraphs: dict[str, str]) -> dict[str, Any]:
    """The outcome of Apollo's composition (@apollo/composition) of `subgraphs`."""
    if not (REPO_ROOT / "node_modules" / "@apollo" / "composition").is_dir():
        pytest.fail("@apollo/composition is not installed: run `make assets`")
    arguments = []
    for name, sdl in subgraphs.items():
        path = tmp_path / f"{name}.graphql"
        path.write_text(sdl, encoding="utf-8")
        arguments.append(f"{name}={path}")
    # Node running the composition script of this repository.
    run = run_successfully([str(NODE), str(COMPOSE), *arguments], cwd=REPO_ROOT, timeout=120)
    outcome: dict[str, Any] = json.loads(run.stdout)
    return outcome


@pytest.mark.skipif(NODE is None, reason="node is not installed: Apollo's composition runs on it")
async def test_the_subgraph_composes_with_another_subgraph_without_error_or_hint(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    sdl = (await graphql(client, "{ _service { sdl } }"))["data"]["_service"]["sdl"]

    outcome = composed(tmp_path, {"accounts": sdl, "orders": ORDERS_SUBGRAPH})

    assert outcome["errors"] == []
    assert outcome["hints"] == []
    supergraph = outcome["supergraphSdl"]
    assert (
        "type IndividualAccount implements Account & Node\n"
        '  @join__implements(graph: ACCOUNTS, interface: "Account")\n'
        '  @join__implements(graph: ACCOUNTS, interface: "Node")\n'
        '  @join__type(graph: ACCOUNTS, key: "id")\n'
        '  @join__type(graph: ORDERS, key: "id")\n'
    ) in supergraph
    assert "  orders: [Order!]! @join__field(graph: ORDERS)\n" in supergraph


@pytest.mark.skipif(NODE is None, reason="node is not installed: Apollo's composition runs on it")
def test_without_the_keys_the_same_subgraphs_do_not_compose(tmp_path: Path) -> None:
    # What the keys are for: the router could not reach an account's fields from an order.
    outcome = composed(tmp_path, {"accounts": schema.as_str(), "orders": ORDERS_SUBGRAPH})

    assert outcome["supergraphSdl"] is None
    assert {error["code"] for error in outcome["errors"]} == {"SATISFIABILITY_ERROR"}


async def test_without_the_setting_the_schema_has_no_federation_fields(
    db_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with federated_client(
        {"db_url": db_url}, engine=engine, session_factory=session_factory
    ) as plain:
        service = await graphql(plain, "{ _service { sdl } }")
        entities = await graphql(plain, "{ _entities(representations: []) { __typename } }")

    assert service == {
        "data": None,
        "errors": [
            {
                "message": "Cannot query field '_service' on type 'Query'.",
                "locations": [{"line": 1, "column": 3}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ],
    }
    assert entities["errors"][0]["message"] == "Cannot query field '_entities' on type 'Query'."
    assert make_settings(db_url).federation is False


@pytest.mark.parametrize(("value", "expected"), [("on", True), ("off", False), ("true", True)])
def test_the_setting_reads_on_and_off(
    monkeypatch: pytest.MonkeyPatch, db_url: str, value: str, expected: bool
) -> None:
    monkeypatch.setenv("GATEWAY_FEDERATION", value)

    assert make_settings(db_url).federation is expected


def test_a_wrong_setting_names_what_it_accepts(
    monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    monkeypatch.setenv("GATEWAY_FEDERATION", "maybe")

    with pytest.raises(CONFIGURATION_ERRORS) as raised:
        make_settings(db_url)

    assert configuration_error_line(raised.value) == (
        "error: GATEWAY_FEDERATION: 'maybe' is not accepted; use on or off"
    )


def member_as_managed(member: Caller) -> dict[str, Any]:
    """The sub-account as its enterprise, or staff for an open request, read it: its
    contacts masked."""
    return {
        "__typename": "SubAccount",
        "id": member.id,
        "displayName": "Mia Member",
        "phone": "136****0002",
        "email": "u***@acme.example",
        "role": "MEMBER",
    }


async def test_self_resolves_as_node_does_contacts_masked(owner: Caller) -> None:
    body = await entities(owner, reference("EnterpriseAccount", owner))

    assert body == {
        "data": {
            "_entities": [
                {
                    "__typename": "EnterpriseAccount",
                    "id": owner.id,
                    "displayName": "Acme Group",
                    "phone": "139****0000",
                    "email": "o***@acme.example",
                    "companyName": "Acme Group Co., Ltd.",
                }
            ]
        }
    }
    assert body["data"]["_entities"][0] == (await owner(NODE_QUERY, id=owner.id))["data"]["node"]


async def test_the_enterprise_reads_its_sub_account_as_a_manager(
    owner: Caller, member: Caller
) -> None:
    body = await entities(owner, reference("SubAccount", member))

    assert body == {"data": {"_entities": [member_as_managed(member)]}}


async def test_a_member_reads_its_enterprise_but_not_its_contacts(
    owner: Caller, member: Caller
) -> None:
    body = await entities(member, reference("EnterpriseAccount", owner))
    node = await member(NODE_QUERY, id=owner.id)

    assert body["data"] == {
        "_entities": [
            {
                "__typename": "EnterpriseAccount",
                "id": owner.id,
                "displayName": "Acme Group",
                "phone": None,
                "email": None,
                "companyName": "Acme Group Co., Ltd.",
            }
        ]
    }
    assert sorted(errors_of(body), key=str) == [
        top_level_error(NOT_ALLOWED, "FORBIDDEN", "_entities", 0, field)
        for field in ("email", "phone")
    ]
    # Exactly as node(id:) refuses them.
    assert sorted(errors_of(node), key=str) == [
        top_level_error(NOT_ALLOWED, "FORBIDDEN", "node", field) for field in ("email", "phone")
    ]


@pytest.mark.parametrize("viewer", ["outsider", "anonymous"])
async def test_someone_elses_account_resolves_to_null_with_forbidden(
    client: httpx.AsyncClient, member: Caller, outsider: Caller, viewer: str
) -> None:
    caller = outsider if viewer == "outsider" else Caller(client, None)

    body = await entities(caller, reference("SubAccount", member))

    assert body["data"] == {"_entities": [None]}
    assert errors_of(body) == [top_level_error(NOT_REACHABLE, "FORBIDDEN", "_entities", 0)]
    # node(id:) answers the same reference with null.
    assert await caller(NODE_QUERY, id=member.id) == {"data": {"node": None}}


async def test_staff_reach_an_account_but_its_contacts_only_for_an_open_request(
    staff: Caller, member: Caller, db: AsyncSession, clock: Clock
) -> None:
    before = await entities(staff, reference("SubAccount", member))
    await open_request(db, member.row, clock)
    during = await entities(staff, reference("SubAccount", member))

    assert before["data"]["_entities"][0]["phone"] is None
    assert sorted(errors_of(before), key=str) == [
        top_level_error(NOT_ALLOWED, "FORBIDDEN", "_entities", 0, field)
        for field in ("email", "phone")
    ]
    assert during == {"data": {"_entities": [member_as_managed(member)]}}


async def test_a_reveal_without_step_up_is_refused_as_anywhere_else(
    owner: Caller, member: Caller
) -> None:
    query = """
    query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on SubAccount { displayName phone(reveal: true) }
      }
    }
    """

    body = await owner(query, representations=[reference("SubAccount", member)])

    assert body["data"] == {"_entities": [{"displayName": "Mia Member", "phone": None}]}
    assert errors_of(body) == [
        top_level_error(STEP_UP_MESSAGE, "STEP_UP_REQUIRED", "_entities", 0, "phone")
    ]


async def test_each_reference_is_decided_alone_in_order(
    owner: Caller, member: Caller, outsider: Caller
) -> None:
    missing = {"__typename": "SubAccount", "id": to_global_id("SubAccount", uuid.uuid4())}
    as_another_type = {"__typename": "IndividualAccount", "id": member.id}

    body = await entities(
        owner,
        reference("SubAccount", member),
        reference("EnterpriseAccount", outsider),
        missing,
        as_another_type,
        reference("EnterpriseAccount", owner),
    )

    assert [item and item["id"] for item in body["data"]["_entities"]] == [
        member.id,
        None,
        None,
        None,
        owner.id,
    ]
    # Someone else's account and one that does not exist are not told apart.
    assert errors_of(body) == [
        top_level_error(NOT_REACHABLE, "FORBIDDEN", "_entities", index) for index in (1, 2, 3)
    ]


@pytest.mark.parametrize(
    "representation",
    [
        {"__typename": "BankCard", "id": to_global_id("BankCard", uuid.uuid4())},
        {"__typename": "SubAccount"},
        {"__typename": "SubAccount", "id": 7},
        {"__typename": "SubAccount", "id": "x", "phone": "+8613800138000"},
        "SubAccount",
    ],
)
async def test_a_representation_that_is_no_account_reference_is_bad_user_input(
    owner: Caller, representation: object
) -> None:
    body = await entities(owner, representation)

    assert body["data"] == {"_entities": [None]}
    assert errors_of(body) == [top_level_error(NOT_A_REFERENCE, "BAD_USER_INPUT", "_entities", 0)]


async def test_an_id_this_api_did_not_issue_is_bad_user_input(owner: Caller) -> None:
    body = await entities(owner, {"__typename": "SubAccount", "id": "not-an-id"})

    assert body["data"] == {"_entities": [None]}
    assert errors_of(body) == [
        top_level_error("The ID is not one this API issued.", "BAD_USER_INPUT", "_entities", 0)
    ]


async def test_more_than_a_hundred_references_are_refused_at_once(
    owner: Caller, member: Caller
) -> None:
    body = await entities(owner, *[reference("SubAccount", member)] * 101)

    assert body["data"] is None
    assert errors_of(body) == [
        top_level_error(
            "At most 100 representations are resolved at once.",
            "BAD_USER_INPUT",
            "_entities",
        )
    ]


async def test_references_to_many_accounts_cost_the_statements_of_one(
    api: Api,
    owner: Caller,
    sql_statements: StatementCounter,
) -> None:
    subs = [
        await make_sub_account(api.db, api.clock, owner.row, f"Sub {n}", number=100 + n)
        for n in range(20)
    ]
    await api.db.commit()
    query = """
    query($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Account { displayName } }
    }
    """

    sql_statements.reset()
    one = await owner(
        query,
        representations=[
            {"__typename": "SubAccount", "id": to_global_id("SubAccount", subs[0].id)}
        ],
    )
    for_one = sql_statements.count
    sql_statements.reset()
    many = await owner(
        query,
        representations=[
            {"__typename": "SubAccount", "id": to_global_id("SubAccount", sub.id)} for sub in subs
        ],
    )

    assert one == {"data": {"_entities": [{"displayName": "Sub 0"}]}}
    assert [item["displayName"] for item in many["data"]["_entities"]] == [
        f"Sub {n}" for n in range(20)
    ]
    assert sql_statements.count == for_one


async def test_with_introspection_off_only_platform_services_read_the_sdl(
    db_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    db: AsyncSession,
) -> None:
    issued = service_credentials.issue("router", datetime.now(UTC))
    db.add(issued.credential)
    await db.commit()

    async with federated_client(
        {"db_url": db_url, "federation": True, "introspection": False},
        engine=engine,
        session_factory=session_factory,
    ) as hidden:
        anonymous = await graphql(hidden, "{ _service { sdl } }")
        service = await graphql(hidden, "{ _service { sdl } }", token=issued.token)

    assert anonymous["data"] is None
    assert errors_of(anonymous) == [
        top_level_error(
            "The subgraph's SDL is given to platform services only.", "FORBIDDEN", "_service"
        )
    ]
    assert service == {"data": {"_service": {"sdl": subgraph_sdl(schema.as_str())}}}
