"""Root fields refused to a caller who may not call them, as the client sees the whole
answer (`locations` left out): no data, one error at the field."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import graphql
from tests.support.assertions import refused, without_locations

SIGN_IN_FIRST = "Sign in first."
ROLE_MAY_NOT = "Your role may not do this."
ACCOUNTS_ONLY = "Only an account may do this."


async def answer(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    """The answer to one operation, each error's `locations` left out."""
    return without_locations(await graphql(client, query, variables, token=token))


def unauthenticated(field: str) -> dict[str, Any]:
    """The answer to an anonymous caller of the root field `field`."""
    return refused("UNAUTHENTICATED", SIGN_IN_FIRST, [field])


def forbidden(field: str, message: str = ROLE_MAY_NOT) -> dict[str, Any]:
    """The answer to a signed-in caller whose kind may not call the root field `field`."""
    return refused("FORBIDDEN", message, [field])
