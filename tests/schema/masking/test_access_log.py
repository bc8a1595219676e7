"""A clear value leaves the gateway only with its access-log entry stored, and never
through an error message."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from models import AccessLogEntry, Account, AccountKind
from resolvers.accounts import history
from resolvers.masking import reveal
from resolvers.settings import profile
from tests.conftest import Clock
from tests.helpers import graphql
from tests.schema.masking.helpers import (
    SAMPLES,
    access_log_count,
    add_personal_rows,
    clear,
    create_subject,
    masked,
)
from tests.support.api import Api
from tests.support.viewers import sign_in

PHONE = clear("IndividualAccount", "phone")
NATIONAL_PHONE = PHONE.removeprefix("+86")
CLEAR_VALUES = [PHONE, NATIONAL_PHONE, clear("IndividualAccount", "email")]


def assert_internal_error(response: httpx.Response) -> None:
    """The generic answer of docs/spec/limits.md#errors: no data, no detail, a request id."""
    body = response.json()
    assert response.status_code == 500
    assert body == {
        "errors": [
            {
                "message": "Internal server error.",
                "extensions": {
                    "code": "INTERNAL_SERVER_ERROR",
                    "requestId": body["errors"][0]["extensions"]["requestId"],
                },
            }
        ]
    }
    assert body["errors"][0]["extensions"]["requestId"]


def assert_no_clear_value(*texts: str) -> None:
    for text in texts:
        for value in CLEAR_VALUES:
            assert value not in text


async def post(
    client: httpx.AsyncClient, query: str, token: str, **variables: Any
) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )


async def stepped_up_individual(
    db: AsyncSession, services: AuthServices, clock: Clock
) -> tuple[Account, str]:
    account = await create_subject(db, AccountKind.INDIVIDUAL, clock())
    await add_personal_rows(db, account, clock())
    return account, await sign_in(db, services, clock(), account=account, elevated=True)


def unstorable_entry(**columns: Any) -> AccessLogEntry:
    """An access-log entry the database refuses: its field is missing (NOT NULL)."""
    return AccessLogEntry(**{**columns, "field": None})


@pytest.mark.parametrize(
    "selection",
    [
        "phone(reveal: true)",
        # The entry is written when a later field reads the database (autoflush).
        "phone(reveal: true) identities { openId }",
        "phone(reveal: true) email(reveal: true)",
    ],
    ids=["alone", "before-a-read", "with-another-reveal"],
)
async def test_a_clear_value_whose_log_entry_cannot_be_stored_is_not_sent(
    api: Api,
    selection: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    account, token = await stepped_up_individual(api.db, api.services, api.clock)
    monkeypatch.setattr(reveal, "AccessLogEntry", unstorable_entry)

    response = await post(api.client, f"{{ viewer {{ account {{ {selection} }} }} }}", token)

    assert_internal_error(response)
    # The database error is logged, without any clear value.
    assert any(record.exc_info for record in caplog.records)
    assert_no_clear_value(response.text, caplog.text)
    assert await access_log_count(api.db, account) == 0


async def test_a_clear_value_is_not_sent_when_the_commit_fails(
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    account, token = await stepped_up_individual(api.db, api.services, api.clock)
    commit = AsyncSession.commit

    async def failing_commit(session: AsyncSession) -> None:
        if session is not api.db:
            raise ConnectionError("the database went away")
        await commit(session)

    monkeypatch.setattr(AsyncSession, "commit", failing_commit)

    response = await post(api.client, "{ viewer { account { phone(reveal: true) } } }", token)

    assert_internal_error(response)
    assert_no_clear_value(response.text, caplog.text)
    assert await access_log_count(api.db, account) == 0


def failing_login_history(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the login history is unavailable")


async def test_a_clear_value_is_sent_with_its_entry_when_another_field_fails_unexpectedly(
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A query writes nothing but what its answer needs: the reveal's entry is committed
    whatever another field does, so the clear value may go out with it."""
    account, token = await stepped_up_individual(api.db, api.services, api.clock)
    monkeypatch.setattr(history, "login_history", failing_login_history)
    query = "{ viewer { account { phone(reveal: %s) loginHistory { edges { cursor } } } } }"

    revealing = await post(api.client, query % "true", token)
    logged = await access_log_count(api.db, account)
    masking = await post(api.client, query % "false", token)

    for response, phone in ((revealing, PHONE), (masking, masked("IndividualAccount", "phone"))):
        body = response.json()
        assert response.status_code == 200
        assert body["data"] == {"viewer": {"account": {"phone": phone, "loginHistory": None}}}
        assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
            (["viewer", "account", "loginHistory"], "INTERNAL_SERVER_ERROR")
        ]
    assert logged == 1
    assert await access_log_count(api.db, account) == 1


async def failing_update_profile(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the profile store is unavailable")


async def test_an_export_committed_before_a_failing_mutation_is_logged_but_not_sent(
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each root mutation field is its own unit of work. The export committed with its
    entries; the failing field rolled back alone and, its payload being non-null, took
    `data` with it: the export's clear values never left, and the log says more than
    was seen, never less."""
    account, token = await stepped_up_individual(api.db, api.services, api.clock)
    monkeypatch.setattr(profile, "update_profile", failing_update_profile)
    export = "exportMyData { export userErrors { code } }"
    failing = 'updateProfile(input: { bio: "x" }) { userErrors { code } }'

    alone = await post(api.client, f"mutation {{ {export} }}", token)
    logged = await access_log_count(api.db, account)
    with_failure = await post(api.client, f"mutation {{ {export} {failing} }}", token)

    assert alone.status_code == 200
    assert PHONE in alone.text
    assert logged == 7
    body = with_failure.json()
    assert with_failure.status_code == 200
    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["updateProfile"], "INTERNAL_SERVER_ERROR")
    ]
    assert_no_clear_value(with_failure.text)
    assert await access_log_count(api.db, account) == 2 * logged


@pytest.mark.parametrize(
    ("query", "variables", "name"),
    [
        (
            "query($r: Boolean!) { viewer { account { phone(reveal: $r) } } }",
            {"r": PHONE},
            "r",
        ),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": {"phone": PHONE}}, "id"),
        (
            "mutation($i: LoginWithPasswordInput!) { loginWithPassword(input: $i) { accessToken } }",
            {"i": {"login": [NATIONAL_PHONE], "password": "x"}},
            "i",
        ),
        (
            "mutation($i: LoginWithPasswordInput!) { loginWithPassword(input: $i) { accessToken } }",
            {"i": {"login": "x", "password": "y", "phone": PHONE}},
            "i",
        ),
    ],
    ids=["boolean", "id", "input-field-type", "unknown-input-field"],
)
async def test_a_variable_of_the_wrong_type_is_refused_without_its_value(
    api: Api,
    query: str,
    variables: dict[str, Any],
    name: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, token = await stepped_up_individual(api.db, api.services, api.clock)

    response = await post(api.client, query, token, **variables)

    body = response.json()
    assert response.status_code == 200
    assert [{k: v for k, v in e.items() if k != "locations"} for e in body["errors"]] == [
        {
            "message": f"Variable '${name}' got an invalid value.",
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]
    assert body["data"] is None
    assert_no_clear_value(response.text, caplog.text)


async def test_refusals_name_the_field_but_never_its_value(api: Api) -> None:
    account = await create_subject(api.db, AccountKind.INDIVIDUAL, api.clock())
    await add_personal_rows(api.db, account, api.clock())
    token = await api.sign_in(account=account)
    query = """
    { viewer { account {
      phone(reveal: true) email(reveal: true)
      identities { openId(reveal: true) }
      verifications { realName { realName(reveal: true) idNumber(reveal: true) } }
      bankCards { holderName(reveal: true) }
      loginHistory { edges { node { ipAddress(reveal: true) } } }
    } } }
    """

    body = await graphql(api.client, query, token=token)

    response_text = json.dumps(body, ensure_ascii=False)
    assert {e["message"] for e in body["errors"]} == {
        "Confirm it is you (elevateSession), then ask again."
    }
    assert len(body["errors"]) == 7
    assert all(value not in response_text for value, _ in SAMPLES.values())
