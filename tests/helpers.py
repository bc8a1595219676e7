"""Helpers the tests share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from auth.contacts import parse_phone
from auth.totp import current_code


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    """POST one operation and return the decoded body (status asserted to be 200)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def client_at(app: Any, address: str) -> httpx.AsyncClient:
    """A client of the app whose requests come from ``address`` (as the peer, no proxy)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def e164(phone: str) -> str:
    parsed = parse_phone(phone)
    assert parsed is not None, phone
    return parsed


# The authenticator secret every test staff member is enrolled with.
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"


def staff_code(now: datetime) -> str:
    """The code a test staff member's authenticator shows at `now`."""
    return current_code(STAFF_TOTP_SECRET, now)


STAFF_STEP_UP = """
mutation($totp: String!) { elevateSession(input: { totp: $totp }) {
  elevatedUntil userErrors { field code message } } }
"""


async def staff_step_up(client: httpx.AsyncClient, token: str, now: datetime) -> None:
    """A staff session stepped up with the authenticator's code, as GraphiQL users do."""
    body = await graphql(client, STAFF_STEP_UP, {"totp": staff_code(now)}, token=token)
    assert body["data"]["elevateSession"]["userErrors"] == [], body
