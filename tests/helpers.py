"""Helpers the tests share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from auth.contacts import parse_phone
from models import Account, StaffMember


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


@dataclass(frozen=True)
class SignedIn:
    """A viewer: its account (None for staff), its staff row (None for accounts), a token."""

    token: str
    account: Account | None = None
    staff: StaffMember | None = None

    @property
    def me(self) -> Account:
        assert self.account is not None
        return self.account


def e164(phone: str) -> str:
    parsed = parse_phone(phone)
    assert parsed is not None, phone
    return parsed
