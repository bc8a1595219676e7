"""Whatever a client sends, the answer is a well-formed GraphQL response with a precise code.

Each case is a request an attacker or a careless client would send, over HTTP, with the
status, media type and code it must get, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLObjectType,
    get_named_type,
)

from models import StaffRole
from schema import schema
from tests.conftest import StatementCounter
from tests.support.literals import arguments
from tests.support.viewers import SignedIn, Viewers

JSON = "application/json"


def forged_cursor(moment: str) -> str:
    payload = orjson.dumps([moment, uuid.uuid4().hex])
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


# A moment that exists in its own time zone but not in UTC, nor in the database.
OVERFLOWING_CURSOR = forged_cursor("0001-01-01T00:00:00+14:00")

ACCOUNT_CONNECTIONS = (
    "searchHistory",
    "notifications",
    "dataRequests",
    "loginHistory",
    "accessLog",
)


@dataclass(frozen=True)
class Connection:
    """A connection read after a cursor, by the enterprise or by a support staff member,
    and its path in the answer."""

    reader: str
    query: str
    path: list[str]

    async def signed_in_reader(self, viewers: Viewers) -> SignedIn:
        if self.reader == "enterprise":
            return await viewers.enterprise()
        return await viewers.staff(StaffRole.SUPPORT)


CONNECTIONS = [
    *(
        pytest.param(
            Connection(
                "enterprise",
                f"query($after: String) {{ viewer {{ account {{ {name}(after: $after) {{ edges {{ cursor }} }} }} }} }}",
                ["viewer", "account", name],
            ),
            id=name,
        )
        for name in ACCOUNT_CONNECTIONS
    ),
    pytest.param(
        Connection(
            "enterprise",
            "query($after: String) { viewer { account { ... on EnterpriseAccount {"
            " subAccounts(after: $after) { totalCount } } } } }",
            ["viewer", "account", "subAccounts"],
        ),
        id="subAccounts",
    ),
    pytest.param(
        Connection(
            "staff",
            "query($after: String) { dataRequests(after: $after) { edges { cursor } } }",
            ["dataRequests"],
        ),
        id="staff-dataRequests",
    ),
]


def bad_user_input_at(path: list[str], message: str) -> list[dict[str, Any]]:
    return [{"message": message, "path": path, "extensions": {"code": "BAD_USER_INPUT"}}]


def without_locations(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in error.items() if key != "locations"} for error in errors]


@pytest.mark.parametrize("argument", ["after", "before"])
@pytest.mark.parametrize("cursor", [OVERFLOWING_CURSOR, "not a cursor", "x" * 10_000])
@pytest.mark.parametrize("listing", CONNECTIONS)
async def test_a_forged_cursor_is_bad_user_input_on_every_connection(
    client: httpx.AsyncClient, viewers: Viewers, listing: Connection, cursor: str, argument: str
) -> None:
    signed_in = await listing.signed_in_reader(viewers)
    query = listing.query.replace("after", argument)

    response = await client.post(
        "/graphql",
        json={"query": query, "variables": {argument: cursor}},
        headers={"Authorization": f"Bearer {signed_in.token}"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert without_locations(response.json()["errors"]) == bad_user_input_at(
        listing.path, f"`{argument}` is not a cursor this API issued."
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            "first: 2, last: 2",
            "Page forwards with `first` and `after` or backwards with `last` and `before`, "
            "not both.",
        ),
        ("last: 0", "`last` must be between 1 and 100."),
        ("last: 101", "`last` must be between 1 and 100."),
        ("first: 101", "`first` must be between 1 and 100."),
    ],
)
@pytest.mark.parametrize("listing", CONNECTIONS)
async def test_a_page_that_cannot_be_is_bad_user_input_on_every_connection(
    client: httpx.AsyncClient,
    viewers: Viewers,
    listing: Connection,
    arguments: str,
    message: str,
) -> None:
    signed_in = await listing.signed_in_reader(viewers)
    paged = listing.query.replace("query($after: String) ", "")
    paged = paged.replace("after: $after", arguments)

    response = await client.post(
        "/graphql",
        json={"query": paged},
        headers={"Authorization": f"Bearer {signed_in.token}"},
    )

    assert response.status_code == 200
    assert without_locations(response.json()["errors"]) == bad_user_input_at(listing.path, message)


# --- IDs ---------------------------------------------------------------------------------


def id_paths(type_: GraphQLInputType, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    named = get_named_type(type_)
    if named.name == "ID":
        return [path]
    if isinstance(named, GraphQLInputObjectType):
        return [
            found
            for name, field in named.fields.items()
            for found in id_paths(field.type, (*path, name))
        ]
    return []


def root_id_arguments() -> list[Any]:
    """Every ID a root field takes, at any depth of its arguments: (operation, path)."""
    cases = []
    for operation, root in (
        ("query", schema._schema.query_type),
        ("mutation", schema._schema.mutation_type),
    ):
        assert isinstance(root, GraphQLObjectType)
        for field_name, field in root.fields.items():
            for argument_name, argument in field.args.items():
                for path in id_paths(argument.type, (argument_name,)):
                    cases.append(
                        pytest.param(operation, field_name, path, id=".".join((field_name, *path)))
                    )
    return cases


def call_with_bad_id(operation: str, field_name: str, path: tuple[str, ...]) -> str:
    root = schema._schema.query_type if operation == "query" else schema._schema.mutation_type
    assert root is not None
    field: GraphQLField = root.fields[field_name]
    return f"{operation} {{ {field_name}({arguments(field, path)}) {{ __typename }} }}"


@pytest.mark.parametrize(("operation", "field_name", "path"), root_id_arguments())
async def test_a_malformed_id_is_bad_user_input_everywhere_an_id_is_taken(
    client: httpx.AsyncClient,
    viewers: Viewers,
    operation: str,
    field_name: str,
    path: tuple[str, ...],
) -> None:
    signed_in = await viewers.individual()

    response = await client.post(
        "/graphql",
        json={"query": call_with_bad_id(operation, field_name, path)},
        headers={"Authorization": f"Bearer {signed_in.token}"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert without_locations(body["errors"]) == bad_user_input_at(
        [field_name], f"`{'.'.join(path)}` is not an ID this API issued."
    )
    assert body["data"] in (None, {field_name: None})


def test_the_id_cases_cover_the_ids_the_schema_takes() -> None:
    ids = {param.id for param in root_id_arguments()}

    assert {"node.id", "account.id", "revokeSession.input.id"} <= ids
    assert "recordSecurityIncident.input.affectedAccountIds" in ids


# --- strings -----------------------------------------------------------------------------

USER_ERRORS = "userErrors { field code message }"
ONE_LINE = "No line breaks or control characters."
FREE_TEXT = "No control characters other than line breaks and tabs."


def user_errors(field: str, *errors: tuple[str, str]) -> dict[str, Any]:
    return {
        "data": {
            field: {
                "userErrors": [
                    {"field": [name], "code": "INVALID_INPUT", "message": message}
                    for name, message in errors
                ]
            }
        }
    }


def refused_argument(field: str, message: str, data: Any = None) -> dict[str, Any]:
    return {"data": data, "errors": bad_user_input_at([field], message)}


def refused_input(
    viewer: str, mutation: str, fields: dict[str, Any], *errors: tuple[str, str], id: str
) -> Any:
    """A case of mutation `mutation` sent `fields` as its input and refused at each of
    `errors` (field, message)."""
    input_type = mutation[0].upper() + mutation[1:] + "Input"
    return pytest.param(
        viewer,
        f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ {USER_ERRORS} }} }}",
        {"input": fields},
        user_errors(mutation, *errors),
        id=id,
    )


STRING_CASES = [
    refused_input(
        "individual",
        "updateProfile",
        {"bio": "hello\x00world", "displayName": "Zhang\x00"},
        ("displayName", ONE_LINE),
        ("bio", FREE_TEXT),
        id="updateProfile-nul",
    ),
    refused_input(
        "anonymous",
        "updateProfile",
        {"bio": "hello\x00world"},
        ("bio", FREE_TEXT),
        id="updateProfile-nul-before-sign-in",
    ),
    refused_input(
        "individual",
        "updateProfile",
        {"avatarUrl": "http://[::1"},
        ("avatarUrl", "Give an http(s) URL."),
        id="updateProfile-unclosed-ipv6-avatar",
    ),
    refused_input(
        "individual",
        "updateProfile",
        {"bio": "b" * 10_000, "needs": ["n"] * 1000},
        ("bio", "At most 500 characters."),
        ("needs", "At most 20 items."),
        id="updateProfile-10000-characters",
    ),
    refused_input(
        "individual",
        "acceptPrivacyPolicy",
        {"version": "1.0\x00"},
        ("version", ONE_LINE),
        id="acceptPrivacyPolicy-nul",
    ),
    refused_input(
        "anonymous",
        "loginWithPassword",
        {"login": "biz@example.com\x00", "password": "p" * 1025},
        ("login", ONE_LINE),
        ("password", "At most 1024 characters."),
        id="loginWithPassword-nul-and-long-password",
    ),
    refused_input(
        "individual",
        "recordSearch",
        {"query": "\u202egpj.exe"},
        ("query", ONE_LINE),
        id="recordSearch-bidirectional-override",
    ),
    pytest.param(
        "anonymous",
        "query($version: String) { privacyPolicy(version: $version) { version } }",
        {"version": "1.0\x00"},
        refused_argument(
            "privacyPolicy",
            "`version`: no line breaks or control characters.",
            {"privacyPolicy": None},
        ),
        id="privacyPolicy-nul",
    ),
    pytest.param(
        "anonymous",
        "query($uri: String!) { wechatAuthorizeUrl(redirectUri: $uri) { url } }",
        {"uri": "http://localhost/" + "x" * 600},
        refused_argument("wechatAuthorizeUrl", "`redirectUri`: at most 500 characters."),
        id="wechatAuthorizeUrl-over-500-characters",
    ),
    pytest.param(
        "anonymous",
        "query($uri: String!) { wechatAuthorizeUrl(redirectUri: $uri) { url } }",
        {"uri": "http://localhost/cb\x00"},
        refused_argument(
            "wechatAuthorizeUrl", "`redirectUri`: no line breaks or control characters."
        ),
        id="wechatAuthorizeUrl-nul",
    ),
]


@pytest.mark.parametrize(("viewer", "query", "variables", "expected"), STRING_CASES)
async def test_a_string_outside_its_fields_rules_is_refused_before_it_reaches_the_database(
    client: httpx.AsyncClient,
    viewers: Viewers,
    viewer: str,
    query: str,
    variables: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    headers = {}
    if viewer == "individual":
        headers["Authorization"] = f"Bearer {(await viewers.individual()).token}"

    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    body = response.json()
    if "errors" in body:
        body["errors"] = without_locations(body["errors"])
    assert body == expected


async def test_a_nul_in_the_sub_account_search_is_bad_user_input(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    enterprise = await viewers.enterprise()

    response = await client.post(
        "/graphql",
        json={
            "query": "query($search: String) { viewer { account { ... on EnterpriseAccount {"
            " subAccounts(filter: {search: $search}) { totalCount } } } } }",
            "variables": {"search": "a\x00"},
        },
        headers={"Authorization": f"Bearer {enterprise.token}"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == {
        "data": {"viewer": {"account": {"subAccounts": None}}},
        "errors": [
            {
                "message": "`filter.search`: no line breaks or control characters.",
                "locations": [{"line": 1, "column": 72}],
                "path": ["viewer", "account", "subAccounts"],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }


# --- request bodies ----------------------------------------------------------------------

DEEP = b"[" * 5000 + b"]" * 5000

BODIES = [
    pytest.param(b'"hello"', JSON, 400, "The request's JSON is not an object.", id="a-string"),
    pytest.param(b"12", JSON, 400, "The request's JSON is not an object.", id="a-number"),
    pytest.param(b"[1]", JSON, 400, "The request's JSON is not an object.", id="an-array"),
    pytest.param(b"null", JSON, 400, "The request's JSON is not an object.", id="null"),
    pytest.param(b"", JSON, 400, "The request is not valid JSON.", id="empty"),
    pytest.param(
        b'{"query": "{ __typename }"', JSON, 400, "The request is not valid JSON.", id="cut-short"
    ),
    pytest.param(b'{"query": NaN}', JSON, 400, "The request is not valid JSON.", id="nan"),
    pytest.param(
        b'{"query": "\\ud800"}', JSON, 400, "The request is not valid JSON.", id="lone-surrogate"
    ),
    pytest.param(b"\xff\xfe{\x00}\x00", JSON, 400, "The request body is not UTF-8.", id="utf-16"),
    pytest.param(
        '{"query": "{ __typename }", "operationName": "é"}'.encode("latin-1"),
        JSON,
        400,
        "The request body is not UTF-8.",
        id="latin-1",
    ),
    pytest.param(
        DEEP, JSON, 400, "The request's JSON nests deeper than 32 levels.", id="array-5000-deep"
    ),
    pytest.param(
        b'{"query": "{ __typename }", "variables": {"v": ' + DEEP + b"}}",
        JSON,
        400,
        "The request's JSON nests deeper than 32 levels.",
        id="variables-5000-deep",
    ),
    pytest.param(
        b'{"query": "{ __typename }", "extensions": '
        + b'{"a": ' * 5000
        + b"1"
        + b"}" * 5000
        + b"}",
        JSON,
        400,
        "The request's JSON nests deeper than 32 levels.",
        id="objects-5000-deep",
    ),
    pytest.param(
        b"[" * 5000, JSON, 400, "The request's JSON nests deeper than 32 levels.", id="5000-open"
    ),
    pytest.param(
        b'{"query": "query A { __typename }", "operationName": {"secret": "13812345678"}}',
        JSON,
        400,
        "The document holds no operation by the name given.",
        id="operation-name-not-a-name",
    ),
    pytest.param(
        b'{"query": "query A { __typename } query B { __typename }", "operationName": "C"}',
        JSON,
        400,
        "The document holds no operation by the name given.",
        id="operation-name-not-in-the-document",
    ),
    pytest.param(
        b'{"query": "query A { __typename } query B { __typename }"}',
        JSON,
        400,
        "The document holds several operations: name one in operationName.",
        id="several-operations-none-named",
    ),
    pytest.param(
        b'{"query": "query A { __typename } mutation B { logout { ok } }", "operationName": null}',
        JSON,
        400,
        "The document holds several operations: name one in operationName.",
        id="several-operations-name-null",
    ),
    pytest.param(
        b'{"query": "{ __typename }"}',
        "text/plain",
        415,
        "Send the operation as application/json.",
        id="text-plain",
    ),
    pytest.param(
        b'{"query": "{ __typename }"}',
        "application/x-www-form-urlencoded",
        415,
        "Send the operation as application/json.",
        id="form",
    ),
    pytest.param(
        b'{"query": "{ __typename }"}',
        "multipart/form-data; boundary=x",
        415,
        "Send the operation as application/json.",
        id="multipart",
    ),
    pytest.param(
        b'{"query": "{ __typename }"}',
        "application/json; charset=latin-1",
        415,
        "Send the operation as application/json.",
        id="json-in-latin-1",
    ),
    pytest.param(
        b'{"query": "{ __typename }"}',
        "application/jsonp",
        415,
        "Send the operation as application/json.",
        id="jsonp",
    ),
    pytest.param(
        b'{"query": "{ __typename }"}',
        None,
        415,
        "Send the operation as application/json.",
        id="no-content-type",
    ),
]


@pytest.mark.parametrize(("body", "content_type", "status", "message"), BODIES)
async def test_a_body_the_gateway_cannot_read_answers_a_graphql_shaped_error(
    client: httpx.AsyncClient, body: bytes, content_type: str | None, status: int, message: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}

    response = await client.post("/graphql", content=body, headers=headers)

    assert response.status_code == status
    assert response.headers["content-type"] == JSON
    assert response.json() == {
        "errors": [
            {
                "message": message,
                "extensions": {
                    "code": "BAD_USER_INPUT",
                    "requestId": response.headers["x-request-id"],
                },
            }
        ]
    }


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"],
)
async def test_json_with_or_without_a_utf_8_charset_is_read(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"Content-Type": content_type}
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("name", "answer"),
    [("A", {"a": "Query"}), ("B", {"b": "Query"})],
)
async def test_a_document_of_several_operations_runs_the_one_named(
    client: httpx.AsyncClient, name: str, answer: dict[str, str]
) -> None:
    document = "query A { a: __typename } query B { b: __typename }"

    posted = await client.post("/graphql", json={"query": document, "operationName": name})
    got = await client.get("/graphql", params={"query": document, "operationName": name})

    assert (posted.status_code, posted.json()) == (200, {"data": answer})
    assert (got.status_code, got.json()) == (200, {"data": answer})


async def test_32_levels_of_json_are_read(client: httpx.AsyncClient) -> None:
    # 32 levels in all; the brackets, braces and quotes inside the string do not count.
    variables = b'{"v": ' + b"[" * 30 + b'"[{\\"[\\\\"' + b"]" * 30 + b"}"
    body = b'{"query": "query($v: String) { __typename }", "variables": ' + variables + b"}"

    response = await client.post("/graphql", content=body, headers={"Content-Type": JSON})

    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"variables": "[1]"}, "The request's JSON is not an object."),
        ({"variables": "[" * 100 + "]" * 100}, "The request's JSON nests deeper than 32 levels."),
        ({"extensions": "{"}, "The request is not valid JSON."),
    ],
)
async def test_get_parameters_that_are_not_json_objects_are_bad_user_input(
    client: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }", **params})

    assert response.status_code == 400
    assert response.headers["content-type"] == JSON
    assert response.json()["errors"] == [
        {
            "message": message,
            "extensions": {
                "code": "BAD_USER_INPUT",
                "requestId": response.headers["x-request-id"],
            },
        }
    ]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_another_method_answers_405_with_a_graphql_shaped_error(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(
        method, "/graphql", content=b'{"query": "{ __typename }"}', headers={"Content-Type": JSON}
    )

    assert response.status_code == 405
    assert response.headers["content-type"] == JSON
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- limits that count -------------------------------------------------------------------

NESTED_PAGES = """
query($outer: Int{outer_default}, $inner: Int{inner_default}) {{
  viewer {{ account {{ ... on EnterpriseAccount {{
    subAccounts(first: $outer) {{ edges {{ node {{ loginHistory(first: $inner) {{ edges {{ cursor }} }} }} }} }}
  }} }} }}
}}
"""
TOO_MANY_ITEMS = "The operation asks for more list items than the 200 served per request."


def nested_pages(outer_default: str = "", inner_default: str = "") -> str:
    return NESTED_PAGES.format(outer_default=outer_default, inner_default=inner_default)


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param(nested_pages(), {"outer": 100, "inner": 3}, id="variables"),
        pytest.param(nested_pages(" = 100", " = 3"), {}, id="variable-defaults"),
        pytest.param(nested_pages(" = 100"), {"inner": 3}, id="one-default"),
        pytest.param(nested_pages(), {"outer": 100.0, "inner": 3.0}, id="json-floats"),
        pytest.param(nested_pages(), {"outer": 100, "inner": None}, id="null-is-the-default-20"),
        pytest.param(
            "{ viewer { account { ... on EnterpriseAccount { subAccounts(first: 100) {"
            " edges { node { loginHistory(first: 3) { edges { cursor } } } } } } } } }",
            {},
            id="literals",
        ),
    ],
)
async def test_the_list_item_limit_counts_the_values_execution_would_use(
    client: httpx.AsyncClient,
    sql_statements: StatementCounter,
    query: str,
    variables: dict[str, Any],
) -> None:
    response = await client.post("/graphql", json={"query": query, "variables": variables})

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == {
        "data": None,
        "errors": [
            {"message": TOO_MANY_ITEMS, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
        ],
    }
    assert sql_statements.count == 0


async def test_a_page_within_the_limit_written_with_defaults_runs(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": nested_pages(" = 100", " = 1"), "variables": {}}
    )

    assert response.json() == {"data": {"viewer": None}}


async def test_the_depth_limit_says_the_documented_maximum(client: httpx.AsyncClient) -> None:
    # viewer, account, subAccounts, edges, node, enterprise, subAccounts, edges, node,
    # enterprise: ten levels; `id` is the eleventh.
    query = (
        "{ viewer { account { ... on EnterpriseAccount { subAccounts(first: 1) { edges {"
        " node { enterprise { subAccounts(first: 1) { edges { node { enterprise { id }"
        " } } } } } } } } } } }"
    )

    response = await client.post("/graphql", json={"query": query})

    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "The operation nests fields deeper than the 10 levels allowed.",
                "locations": [{"line": 1, "column": 153}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ],
    }
