"""The answer's media type follows Accept (GraphQL over HTTP), with the status codes and
body shape of each type."""

from __future__ import annotations

import httpx
import pytest

from gateway.media_types import response_media_type

GRAPHQL_RESPONSE = "application/graphql-response+json"
APOLLO_CLIENT_4 = "application/graphql-response+json,application/json;q=0.9"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        (APOLLO_CLIENT_4, GRAPHQL_RESPONSE),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        ("Application/GraphQL-Response+JSON", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json", "application/json"),
        ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE),
        ("application/json;q=0.5, application/graphql-response+json;q=0.8", GRAPHQL_RESPONSE),
        ("application/graphql-response+json;q=0, */*", "application/json"),
        ("application/graphql-response+json, */*;q=0.1", GRAPHQL_RESPONSE),
        ("text/html", "application/json"),
        ("application/graphql-response+json;q=abc, application/json", "application/json"),
    ],
)
def test_the_media_type_is_negotiated_from_accept(accept: str | None, expected: str) -> None:
    assert response_media_type(accept) == expected


async def post(
    client: httpx.AsyncClient, body: dict[str, object], accept: str | None, **headers: str
) -> httpx.Response:
    if accept is not None:
        headers["Accept"] = accept
    return await client.post("/graphql", json=body, headers=headers)


async def test_apollo_client_4_gets_graphql_response_json(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ __typename }"}, APOLLO_CLIENT_4)

    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
async def test_other_clients_get_application_json(
    client: httpx.AsyncClient, accept: str | None
) -> None:
    response = await post(client, {"query": "{ __typename }"}, accept)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": "{"}, "Syntax Error: Expected Name, found <EOF>."),
        (
            {"query": "{ noSuchField }"},
            "Cannot query field 'noSuchField' on type 'Query'.",
        ),
        (
            {"query": "query Q($id: ID!) { node(id: $id) { id } }", "variables": {"id": None}},
            "Variable '$id' got an invalid value.",
        ),
    ],
    ids=["parse", "validation", "variable coercion"],
)
async def test_a_request_that_cannot_run_answers_400_without_data(
    client: httpx.AsyncClient, body: dict[str, object], message: str
) -> None:
    under_new_type = await post(client, body, APOLLO_CLIENT_4)
    under_json = await post(client, body, "application/json")

    assert under_new_type.status_code == 400
    assert under_new_type.headers["content-type"] == GRAPHQL_RESPONSE
    payload = under_new_type.json()
    assert "data" not in payload
    assert [error["message"] for error in payload["errors"]] == [message]
    assert payload["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # application/json keeps answering 200 with "data": null, as before.
    assert under_json.status_code == 200
    assert under_json.headers["content-type"] == "application/json"
    assert under_json.json()["data"] is None
    assert under_json.json()["errors"] == payload["errors"]


async def test_a_field_error_still_answers_200_with_its_data_entry(
    client: httpx.AsyncClient,
) -> None:
    # A non-null field that needs staff errors at its path, and its null reaches the
    # root: execution ran, so the answer keeps "data": null and a 200.
    response = await post(
        client, {"query": "{ __typename dataRequests { totalCount } }"}, APOLLO_CLIENT_4
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    payload = response.json()
    assert payload["data"] is None
    assert payload["errors"][0]["path"] == ["dataRequests"]
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_bad_token_answers_401_in_the_negotiated_type(client: httpx.AsyncClient) -> None:
    body = {"query": "{ __typename }"}
    expected = {
        "errors": [
            {
                "message": "The bearer token is malformed, expired or revoked.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }

    for accept, media_type in ((APOLLO_CLIENT_4, GRAPHQL_RESPONSE), (None, "application/json")):
        response = await post(client, body, accept, Authorization="Bearer not-a-token")

        assert response.status_code == 401
        assert response.headers["content-type"] == media_type
        assert response.json() == expected


async def test_refusals_before_graphql_use_the_negotiated_type(client: httpx.AsyncClient) -> None:
    not_json = await client.post(
        "/graphql",
        content=b'{ "not a JSON',
        headers={"Content-Type": "application/json", "Accept": APOLLO_CLIENT_4},
    )
    mutation_over_get = await client.get(
        "/graphql",
        params={"query": "mutation { logout { ok } }"},
        headers={"Accept": APOLLO_CLIENT_4},
    )

    assert not_json.status_code == 400
    assert not_json.headers["content-type"] == GRAPHQL_RESPONSE
    assert not_json.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert mutation_over_get.status_code == 405
    assert mutation_over_get.headers["content-type"] == GRAPHQL_RESPONSE


async def test_graphiql_stays_html(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
