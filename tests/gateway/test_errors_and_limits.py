"""Request limits and the error policy.

The rules: docs/spec/limits.md#operation-limits and docs/spec/limits.md#errors.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import anyio
import httpx
import pytest
import strawberry
from graphql import get_introspection_query, parse
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway import page_limit
from gateway.app import create_app
from gateway.extensions import request_extensions
from gateway.page_limit import requested_items
from gateway.settings import Environment
from resolvers.global_id import to_global_id
from resolvers.policies import queries as policy_queries
from schema import GatewaySchema, build_schema, schema
from tests.conftest import ClientWith, StatementCounter, make_settings
from tests.helpers import graphql
from tests.support.apps import client_of
from tests.support.assertions import validation_failed


def one_level_deeper(info: strawberry.Info) -> Level:
    """The `child` field: records that it ran, and nests one level deeper."""
    info.context["resolved"].append(info.path.key)
    return Level()


@strawberry.type
class Level:
    """A type that nests as deep as asked: the gateway's own schema does not, yet."""

    child: Level = strawberry.field(resolver=one_level_deeper)
    leaf: int = 1


@strawberry.type
class DeepQuery:
    child: Level = strawberry.field(resolver=one_level_deeper)


deep_schema = GatewaySchema(query=DeepQuery, extensions=request_extensions(introspection=True))


def nested(depth: int) -> str:
    """A selection `depth` fields deep."""
    return "query Deep { " + "child { " * (depth - 1) + "leaf" + " }" * depth


async def test_a_query_11_levels_deep_is_refused_before_any_resolver_runs() -> None:
    resolved: list[object] = []

    result = await deep_schema.execute(nested(11), context_value={"resolved": resolved})

    assert result.data is None
    assert [error.message for error in result.errors or []] == [
        "The operation nests fields deeper than the 10 levels allowed."
    ]
    assert result.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}  # type: ignore[index]
    assert resolved == []


async def test_a_query_10_levels_deep_runs() -> None:
    resolved: list[object] = []

    result = await deep_schema.execute(nested(10), context_value={"resolved": resolved})

    assert result.errors is None
    assert len(resolved) == 9


async def test_depth_counts_through_fragments() -> None:
    query = """
    query Deep { child { ...Four } }
    fragment Four on Level { child { child { ... on Level { child { ...Six } } } } }
    fragment Six on Level { child { child { child { child { child { child { leaf } } } } } } }
    """
    resolved: list[object] = []

    result = await deep_schema.execute(query, context_value={"resolved": resolved})

    assert [error.message for error in result.errors or []] == [
        "The operation nests fields deeper than the 10 levels allowed."
    ]
    assert resolved == []


def fragments_doubling(count: int, body: str) -> str:
    """`count` fragments, each spreading the next twice: written out, 2**count copies of
    `body`, the last fragment's selection."""
    chain = "".join(
        f"fragment F{n} on Level {{ leaf ...F{n + 1} ...F{n + 1} }}\n" for n in range(count)
    )
    return chain + f"fragment F{count} on Level {{ {body} }}"


async def test_a_fragment_spread_many_times_is_walked_once() -> None:
    query = "query Wide { child { ...F0 } }\n" + fragments_doubling(40, "leaf")

    with anyio.fail_after(5):
        result = await deep_schema.execute(query, context_value={"resolved": []})

    assert result.errors is None


async def test_aliases_in_a_fragment_spread_a_trillion_times_are_counted_at_once() -> None:
    query = "query Wide { child { ...F0 } }\n" + fragments_doubling(40, "again: leaf")

    with anyio.fail_after(5):
        result = await deep_schema.execute(query, context_value={"resolved": []})

    assert [error.message for error in result.errors or []] == [
        "The document uses more than the 30 aliases allowed."
    ]


async def test_introspection_does_not_count_towards_the_depth() -> None:
    result = await deep_schema.execute(get_introspection_query())

    assert result.errors is None


async def test_31_aliases_are_refused_and_30_are_not(client: httpx.AsyncClient) -> None:
    thirty = " ".join(f"a{n}: __typename" for n in range(30))
    thirty_one = thirty + " a30: __typename"

    allowed = await graphql(client, "{ " + thirty + " }")
    refused = await graphql(client, "{ " + thirty_one + " }")

    assert len(allowed["data"]) == 30
    assert refused == validation_failed("The document uses more than the 30 aliases allowed.")


async def test_aliases_count_as_often_as_their_fragment_is_spread(
    client: httpx.AsyncClient,
) -> None:
    # Sixteen aliases, spread twice: 32.
    fragment = "fragment F on Query { " + " ".join(f"a{n}: __typename" for n in range(16)) + " }"

    body = await graphql(client, "{ ...F ...F } " + fragment)

    assert body["errors"][0]["message"] == "The document uses more than the 30 aliases allowed."


async def test_5001_tokens_are_refused_before_any_resolver_runs(
    client: httpx.AsyncClient, sql_statements: StatementCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    original = policy_queries.privacy_policies

    async def spy(ctx):  # type: ignore[no-untyped-def]
        calls.append(ctx)
        return await original(ctx)

    monkeypatch.setattr(policy_queries, "privacy_policies", spy)
    # "{", "privacyPolicies", "{", "version", then __typename pairs, then "}" "}".
    query = "{ privacyPolicies { version " + "__typename " * 4995 + "} }"

    body = await graphql(client, query)

    assert body["data"] is None
    assert body["errors"][0]["message"] == (
        "Syntax Error: Document contains more than 5000 tokens. Parsing aborted."
    )
    assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert calls == []
    assert sql_statements.count == 0


async def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("detail that must stay in the log")

    monkeypatch.setattr(policy_queries, "privacy_policies", broken)
    caplog.set_level(logging.ERROR, logger="gateway.errors")

    response = await client.post("/graphql", json={"query": "{ privacyPolicies { version } }"})

    request_id = response.headers["x-request-id"]
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Internal server error.",
                "locations": [{"line": 1, "column": 3}],
                "path": ["privacyPolicies"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ],
    }
    [record] = [r for r in caplog.records if r.name == "gateway.errors"]
    assert record.exc_info is not None
    assert "detail that must stay in the log" in caplog.text


async def test_a_bad_variable_value_is_reported_without_the_value(
    client: httpx.AsyncClient,
) -> None:
    body = await graphql(
        client,
        "query($v: String) { privacyPolicy(version: $v) { version } }",
        {"v": {"phone": "13812345678"}},
    )

    assert body["data"] is None
    assert body["errors"][0]["message"] == "Variable '$v' got an invalid value."
    assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "13812345678" not in str(body)


async def test_validation_errors_name_fields_while_introspection_is_on(
    client: httpx.AsyncClient,
) -> None:
    body = await graphql(client, "{ privacyPolicy { versio } }")

    assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "versio" in body["errors"][0]["message"]


@pytest.fixture
async def production_client(
    db_url: str, engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> httpx.AsyncClient:
    settings = make_settings(db_url, env=Environment.PRODUCTION)
    app = create_app(settings, engine=engine, session_factory=session_factory)
    return client_of(app)


async def test_introspection_is_off_in_production(production_client: httpx.AsyncClient) -> None:
    async with production_client as client:
        body = await graphql(client, "{ __schema { types { name } } }")

    assert body == validation_failed("The request is not a valid operation for this API.")


async def test_hidden_schema_errors_suggest_nothing_and_are_reported_once(
    production_client: httpx.AsyncClient,
) -> None:
    async with production_client as client:
        body = await graphql(
            client,
            "{ privacyPolicy { versio bod } privacyPolicie { version }"
            ' __type(name: "Query") { name } }',
        )

    assert body == validation_failed("The request is not a valid operation for this API.")


async def test_introspection_can_be_turned_on_in_production(client_with: ClientWith) -> None:
    async with client_with(env=Environment.PRODUCTION, introspection=True) as client:
        body = await graphql(client, "{ __schema { queryType { name } } }")

    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


def counted(query: str, variables: dict[str, object]) -> int:
    """The list items the gateway counts for the one operation of `query`."""
    [operation] = parse(query).definitions
    return requested_items(schema._schema, operation, {}, variables)  # type: ignore[arg-type]


PAGE_QUERY = """
query($outer: Int, $inner: Int) {
  viewer { account { ... on EnterpriseAccount {
    subAccounts(first: $outer) { edges { node { loginHistory(first: $inner) { edges { cursor } } } } }
  } } }
}
"""


BACKWARD_PAGE_QUERY = """
query($outer: Int, $inner: Int) {
  viewer { account { ... on EnterpriseAccount {
    subAccounts(last: $outer) { edges { node { loginHistory(last: $inner) { edges { cursor } } } } }
    accessLog(before: "x") { edges { cursor } }
  } } }
}
"""


@pytest.mark.parametrize(
    ("outer", "inner", "items"),
    [
        (100, 1, 220),
        (3, 5, 38),
        (3, None, 83),
        (None, 2, 80),
    ],
)
def test_backward_pages_count_their_last(outer: int | None, inner: int | None, items: int) -> None:
    assert counted(BACKWARD_PAGE_QUERY, {"outer": outer, "inner": inner}) == items


@pytest.mark.parametrize(
    ("outer", "inner", "items"),
    [
        (100, 1, 200),
        (50, 3, 200),
        (100, None, 2100),
        (201, 0, 201),
        (40, 4, 200),
        (100.0, 3.0, 400),  # JSON numbers written as floats coerce to the same Int
        (-5, 100, 0),
    ],
)
def test_requested_items_multiply_through_nested_lists(
    outer: int, inner: int | None, items: int
) -> None:
    variables = {"outer": outer, "inner": inner} if inner is not None else {"outer": outer}

    assert counted(PAGE_QUERY, variables) == items


async def test_more_than_200_list_items_are_refused_before_any_resolver_runs(
    client: httpx.AsyncClient, sql_statements: StatementCounter
) -> None:
    allowed = await graphql(client, PAGE_QUERY, {"outer": 100, "inner": 1})
    sql_statements.reset()
    refused = await graphql(client, PAGE_QUERY, {"outer": 67, "inner": 2})

    assert allowed == {"data": {"viewer": None}}
    assert refused == validation_failed(
        "The operation asks for more list items than the 200 served per request."
    )
    assert sql_statements.count == 0


async def test_an_operation_without_pages_is_walked_once_and_one_with_pages_every_time(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    walks: list[str] = []
    count = page_limit._Counter.count

    def counted(self: Any, parent: Any, selections: Any, factor: int) -> int:
        if getattr(parent, "name", None) == "Query":
            walks.append(parent.name)
        return count(self, parent, selections, factor)

    monkeypatch.setattr(page_limit._Counter, "count", counted)
    unpaged = "query Unpaged { viewer { elevatedUntil } }"
    for _ in range(3):
        assert await graphql(client, unpaged) == {"data": {"viewer": None}}
    assert len(walks) == 1
    for _ in range(2):
        assert await graphql(client, PAGE_QUERY, {"outer": 100, "inner": 1}) == {
            "data": {"viewer": None}
        }
    assert len(walks) == 3
    refused = await graphql(client, PAGE_QUERY, {"outer": 67, "inner": 2})
    assert refused["data"] is None
    assert len(walks) == 4


async def test_list_items_in_a_fragment_spread_a_trillion_times_are_counted_at_once(
    client: httpx.AsyncClient, sql_statements: StatementCounter
) -> None:
    chain = "".join(f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }} " for n in range(40))
    query = (
        "{ ...F0 } "
        + chain
        + "fragment F40 on Query { dataRequests(first: 1) { edges { cursor } } }"
    )

    with anyio.fail_after(5):
        body = await graphql(client, query)

    assert body["errors"][0]["message"] == (
        "The operation asks for more list items than the 200 served per request."
    )
    assert sql_statements.count == 0


NODES_PAGE_QUERY = """
query($ids: [ID!]!, $inner: Int) {
  nodes(ids: $ids) { ... on Account { accessLog(first: $inner) { edges { cursor } } } }
}
"""


@pytest.mark.parametrize(
    ("ids", "inner", "items"),
    [
        (100, 100, 10000),
        (2, 100, 200),
        (3, None, 60),
        (1, 1, 1),
    ],
)
def test_pages_under_nodes_count_once_per_id(ids: int, inner: int | None, items: int) -> None:
    # The same ID over and over is as many objects, each with its page.
    variables = {"ids": [to_global_id("IndividualAccount", uuid.UUID(int=1))] * ids}
    if inner is not None:
        variables["inner"] = inner

    assert counted(NODES_PAGE_QUERY, variables) == items


async def test_a_hundred_ids_under_nodes_do_not_multiply_the_limit(
    client: httpx.AsyncClient, sql_statements: StatementCounter
) -> None:
    ids = [to_global_id("IndividualAccount", uuid.UUID(int=1))] * 100
    sql_statements.reset()

    body = await graphql(client, NODES_PAGE_QUERY, {"ids": ids, "inner": 3})

    assert body == validation_failed(
        "The operation asks for more list items than the 200 served per request."
    )
    assert sql_statements.count == 0


def test_pages_under_federation_entities_count_once_per_reference() -> None:
    federated = build_schema(federation=True)
    document = parse(
        """
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Account { accessLog(first: 100) { edges { cursor } } }
          }
        }
        """
    )
    [operation] = document.definitions
    reference = {
        "__typename": "IndividualAccount",
        "id": to_global_id("IndividualAccount", uuid.UUID(int=1)),
    }

    counted = requested_items(  # type: ignore[arg-type]
        federated._schema, operation, {}, {"representations": [reference] * 100}
    )

    assert counted == 10000
