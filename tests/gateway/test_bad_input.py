"""Whatever a client sends, the answer is a well-formed GraphQL response with a precise code.

Each case is a request an attacker or a careless client would send, over HTTP, with the
status, media type and code it must get, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from models import StaffRole
from tests.conftest import Clock
from tests.resolvers.settings.viewers import Viewers

JSON = "application/json"


@pytest.fixture
def viewers(db: AsyncSession, services: AuthServices, clock: Clock) -> Viewers:
    return Viewers(db, services, clock)


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
CONNECTIONS = [
    *(
        pytest.param(
            "enterprise",
            f"query($after: String) {{ viewer {{ account {{ {name}(after: $after) {{ edges {{ cursor }} }} }} }} }}",
            ["viewer", "account", name],
            id=name,
        )
        for name in ACCOUNT_CONNECTIONS
    ),
    pytest.param(
        "enterprise",
        "query($after: String) { viewer { account { ... on EnterpriseAccount {"
        " subAccounts(after: $after) { totalCount } } } } }",
        ["viewer", "account", "subAccounts"],
        id="subAccounts",
    ),
    pytest.param(
        "staff",
        "query($after: String) { dataRequests(after: $after) { edges { cursor } } }",
        ["dataRequests"],
        id="staff-dataRequests",
    ),
]


def bad_user_input_at(path: list[str], message: str) -> list[dict[str, Any]]:
    return [{"message": message, "path": path, "extensions": {"code": "BAD_USER_INPUT"}}]


def without_locations(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in error.items() if key != "locations"} for error in errors]


@pytest.mark.parametrize("cursor", [OVERFLOWING_CURSOR, "not a cursor", "x" * 10_000])
@pytest.mark.parametrize(("viewer", "query", "path"), CONNECTIONS)
async def test_a_forged_cursor_is_bad_user_input_on_every_connection(
    client: httpx.AsyncClient,
    viewers: Viewers,
    viewer: str,
    query: str,
    path: list[str],
    cursor: str,
) -> None:
    signed_in = await (
        viewers.enterprise() if viewer == "enterprise" else viewers.staff(StaffRole.SUPPORT)
    )

    response = await client.post(
        "/graphql",
        json={"query": query, "variables": {"after": cursor}},
        headers={"Authorization": f"Bearer {signed_in.token}"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert without_locations(response.json()["errors"]) == bad_user_input_at(
        path, "`after` is not a cursor this API issued."
    )
