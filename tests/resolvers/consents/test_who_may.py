"""Only an account sets its consents, its device permissions and its search history:
anonymous callers are asked to sign in, staff are refused, and nothing is recorded."""

from __future__ import annotations

from typing import Any, NamedTuple

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ConsentEvent, DevicePermissionEvent, SearchEntry, StaffRole
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.consents.test_search_history import CLEAR_SEARCH_HISTORY, RECORD_SEARCH
from tests.resolvers.consents.test_set_consent import SET_CONSENT
from tests.resolvers.consents.test_set_device_permission import SET_DEVICE_PERMISSION
from tests.support.assertions import refusal
from tests.support.viewers import Viewers


class Mutation(NamedTuple):
    """A mutation with its variables, its root field and the line and column that field
    stands at in the document, and the rows it would record."""

    operation: str
    variables: dict[str, Any]
    field: str
    at: tuple[int, int]
    rows: Any

    def refused(self, code: str, message: str) -> dict[str, Any]:
        """The whole response refused at the root field."""
        line, column = self.at
        located = {
            **refusal(code, message, [self.field]),
            "locations": [{"line": line, "column": column}],
        }
        return {"data": None, "errors": [located]}


MUTATIONS = [
    Mutation(
        SET_CONSENT,
        {"input": {"purpose": "SEARCH_HISTORY", "granted": True}},
        "setConsent",
        (3, 3),
        ConsentEvent,
    ),
    Mutation(
        SET_DEVICE_PERMISSION,
        {"input": {"permission": "CAMERA", "enabled": True}},
        "setDevicePermission",
        (3, 3),
        DevicePermissionEvent,
    ),
    Mutation(RECORD_SEARCH, {"query": "poster search"}, "recordSearch", (3, 3), SearchEntry),
    Mutation(CLEAR_SEARCH_HISTORY, {}, "clearSearchHistory", (1, 12), SearchEntry),
]
NAMES = [mutation.field for mutation in MUTATIONS]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=NAMES)
async def test_anonymous_callers_are_unauthenticated(
    client: httpx.AsyncClient, mutation: Mutation
) -> None:
    body = await graphql(client, mutation.operation, mutation.variables)

    assert body == mutation.refused("UNAUTHENTICATED", "Sign in first.")


@pytest.mark.parametrize("role", list(StaffRole))
@pytest.mark.parametrize("mutation", MUTATIONS, ids=NAMES)
async def test_staff_are_forbidden(
    client: httpx.AsyncClient,
    viewers: Viewers,
    clock: Clock,
    db: AsyncSession,
    role: StaffRole,
    mutation: Mutation,
) -> None:
    staff = await viewers.staff(role)

    body = await graphql(client, mutation.operation, mutation.variables, token=staff.token)

    assert body == mutation.refused("FORBIDDEN", "Only an account may do this.")
    stored_now = select(func.count()).where(mutation.rows.created_at == clock())
    assert await db.scalar(stored_now) == 0
