"""Trusted documents: with GATEWAY_TRUSTED_DOCUMENTS only the manifest's operations run,
and `trusted-documents check` tells which operations of a manifest cannot."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.cli import app
from gateway.persisted_documents import sha256_hex
from tests.conftest import ClientWith
from tests.gateway.operator import assert_refused, runner, set_variables
from tests.support.assertions import request_error

TYPENAME = "query Typename { __typename }"
CONTACT = "query Contact { privacyContact { email } }"
OTHER = "query Other { privacyPolicies { version } }"
NOT_IN_LIST = {
    "errors": [
        request_error(
            "PERSISTED_QUERY_NOT_IN_LIST", "Only the operations of the trusted documents run here."
        )
    ]
}


def manifest(*operations: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": sha256_hex(body), "name": name, "type": kind, "body": body}
            for name, kind, body in operations
        ],
    }


def write(path: Path, content: object) -> Path:
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def persisted(sha256: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


@pytest.fixture
async def trusted_client(
    tmp_path: Path, client_with: ClientWith
) -> AsyncIterator[httpx.AsyncClient]:
    path = write(
        tmp_path / "manifest.json",
        manifest(("Typename", "query", TYPENAME), ("Contact", "query", CONTACT)),
    )
    async with client_with(trusted_documents=path) as client:
        yield client


@pytest.mark.parametrize(
    "body",
    [
        {"extensions": persisted(sha256_hex(TYPENAME))},
        {"documentId": sha256_hex(TYPENAME)},
        {"documentId": "sha256:" + sha256_hex(TYPENAME)},
        {"query": TYPENAME},
        {"query": TYPENAME, "extensions": persisted(sha256_hex(TYPENAME))},
    ],
    ids=["apq hash", "documentId", "prefixed documentId", "listed body", "body and hash"],
)
async def test_a_listed_operation_runs_by_id_or_by_body(
    trusted_client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await trusted_client.post("/graphql", json=body)

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_listed_operation_runs_over_get(trusted_client: httpx.AsyncClient) -> None:
    response = await trusted_client.get(
        "/graphql", params={"extensions": json.dumps(persisted(sha256_hex(TYPENAME)))}
    )

    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "body",
    [
        {"query": OTHER},
        {"query": "{ __typename }"},  # the same operation, not the listed text
        {"extensions": persisted(sha256_hex(OTHER))},
        {"documentId": sha256_hex(OTHER)},
        {"query": OTHER, "extensions": persisted(sha256_hex(OTHER))},
        {},
    ],
    ids=["unlisted body", "other text", "unlisted hash", "unlisted id", "registration", "nothing"],
)
async def test_anything_else_is_not_in_the_list(
    trusted_client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    for accept in ("application/json", "application/graphql-response+json"):
        response = await trusted_client.post("/graphql", json=body, headers={"Accept": accept})

        assert response.status_code == 400
        assert response.headers["content-type"] == accept
        assert response.json() == NOT_IN_LIST


async def test_apq_registration_is_off(trusted_client: httpx.AsyncClient) -> None:
    await trusted_client.post(
        "/graphql", json={"query": OTHER, "extensions": persisted(sha256_hex(OTHER))}
    )
    again = await trusted_client.post("/graphql", json={"extensions": persisted(sha256_hex(OTHER))})

    assert again.json() == NOT_IN_LIST


async def test_a_body_that_is_not_the_one_its_id_names_is_refused(
    trusted_client: httpx.AsyncClient,
) -> None:
    response = await trusted_client.post(
        "/graphql", json={"query": OTHER, "documentId": sha256_hex(TYPENAME)}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "The query sent is not the trusted document its id names."
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


ACCEPTED = "give the path of an Apollo persisted-query manifest (npx generate-persisted-query-manifest writes one)"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read (No such file or directory)"),
        ("not json", "is not JSON"),
        (
            {"format": "apollo", "version": 1, "operations": []},
            'is not a manifest of "format": "apollo-persisted-query-manifest", "version": 1',
        ),
        (
            {"format": "apollo-persisted-query-manifest", "version": 1},
            'has no "operations" list',
        ),
        (
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "a", "name": "A", "type": "query"}],
            },
            "operation 1 has no string 'body'",
        ),
        (
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "a", "name": "A", "type": "read", "body": "{ a }"}],
            },
            "operation 1 has type 'read'; use query, mutation or subscription",
        ),
        (
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": "a", "name": "A", "type": "query", "body": "{ a }"},
                    {"id": "a", "name": "B", "type": "query", "body": "{ b }"},
                ],
            },
            "operation 2 repeats the id of an earlier one",
        ),
    ],
    ids=["missing", "not json", "format", "no operations", "no body", "type", "repeated id"],
)
def test_a_manifest_that_cannot_be_used_stops_the_gateway_in_one_line(
    operator_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: object,
    problem: str,
) -> None:
    path = operator_environment / "manifest.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        write(path, content)
    set_variables(monkeypatch, {"GATEWAY_TRUSTED_DOCUMENTS": str(path)})
    assert_refused(["serve"], f"error: GATEWAY_TRUSTED_DOCUMENTS: {path} {problem}; {ACCEPTED}")


def test_check_passes_a_manifest_whose_operations_all_run(tmp_path: Path) -> None:
    path = write(
        tmp_path / "manifest.json",
        manifest(
            ("Typename", "query", TYPENAME),
            ("Logout", "mutation", "mutation Logout { logout { ok } }"),
        ),
    )
    result = runner.invoke(app, ["trusted-documents", "check", str(path)])

    assert result.exit_code == 0, result.output
    assert result.stdout == "all 2 operations pass\n"


def test_check_prints_every_operation_that_fails(tmp_path: Path) -> None:
    too_many_aliases = "query Aliases { " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    operations = [
        ("Typename", "query", TYPENAME),
        ("Broken", "query", "query Broken {"),
        ("Unknown", "query", "query Unknown { noSuchField }"),
        ("Aliases", "query", too_many_aliases),
        ("Typename", "mutation", "query Typename2 { __typename }"),
        ("Two", "query", "query Two { __typename } query Three { __typename }"),
        (
            "Pages",
            "query",
            "query Pages { dataRequests(first: 201) { totalCount } }",
        ),
    ]
    path = write(tmp_path / "manifest.json", manifest(*operations))
    result = runner.invoke(app, ["trusted-documents", "check", str(path)])

    def label(number: int) -> str:
        name, _, body = operations[number - 1]
        return f"operation {number} ({name}, id {sha256_hex(body)})"

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{label(2)}: Syntax Error: Expected Name, found <EOF>.",
        f"{label(3)}: Cannot query field 'noSuchField' on type 'Query'.",
        f"{label(4)}: The document uses more than the 30 aliases allowed.",
        f"{label(5)}: the body is a query, the manifest says mutation",
        f"{label(5)}: the body's operation is named 'Typename2', the manifest says 'Typename'",
        f"{label(6)}: the body holds 2 operations; a manifest entry holds one",
        f"{label(7)}: with its default variable values it asks for more list items than the "
        "200 served per request",
    ]
    assert result.stderr == "6 of 7 operations fail\n"


def test_check_refuses_a_manifest_it_cannot_read(tmp_path: Path) -> None:
    result = runner.invoke(app, ["trusted-documents", "check", str(tmp_path / "none.json")])

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {tmp_path / 'none.json'} cannot be read (No such file or directory)\n"
    )
