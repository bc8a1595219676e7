"""The staff queue `dataRequests(status, overdue)` (docs/spec/rights.md#working-the-queue)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, DataRequest, DataRequestStatus, DataRequestType, StaffRole
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.rights.helpers import create_person, request_global_id, staff_token
from tests.support.api import Api
from tests.support.assertions import data_of
from tests.support.factories import create_data_request
from tests.support.ids import global_id
from tests.support.refusals import answer, forbidden, unauthenticated
from tests.support.staff import create_staff

QUEUE = """
query($status: DataRequestStatus, $overdue: Boolean, $first: Int, $after: String) {
  dataRequests(status: $status, overdue: $overdue, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id type status overdue account { id } } }
  }
}
"""


async def queue(client: httpx.AsyncClient, token: str, **variables: Any) -> dict[str, Any]:
    body = await graphql(client, QUEUE, variables, token=token)
    return data_of(body, "dataRequests")


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


async def seed_queue(db: AsyncSession, clock: Clock) -> dict[str, DataRequest]:
    """Five requests of two people; submitted 20, 19, 18, 10 and 2 days ago."""
    zhang = await create_person(db, clock())
    li = await create_person(
        db, clock(), display_name="Li Si", phone="+8613900139000", email="li@example.com"
    )
    start = clock() - timedelta(days=20)
    # Whose request, submitted how many days after the start, of which type, in which status.
    seeded = {
        # Due 5 days ago and still open: overdue.
        "oldest": (zhang, 0, DataRequestType.ACCESS_COPY, DataRequestStatus.SUBMITTED),
        # Due 4 days ago but answered: not overdue.
        "answered": (li, 1, DataRequestType.COMPLAINT, DataRequestStatus.FULFILLED),
        # Due 3 days ago, being worked on: overdue.
        "working": (li, 2, DataRequestType.DELETION, DataRequestStatus.IN_PROGRESS),
        # Due in 5 and in 13 days.
        "recent": (zhang, 10, DataRequestType.CORRECTION, DataRequestStatus.SUBMITTED),
        "newest": (zhang, 18, DataRequestType.PORTABILITY, DataRequestStatus.SUBMITTED),
    }
    return {
        name: await create_data_request(
            db, who, start + timedelta(days=days), type=type_, status=status
        )
        for name, (who, days, type_, status) in seeded.items()
    }


@pytest.mark.parametrize("role", list(StaffRole))
async def test_staff_page_through_the_queue_oldest_due_first(
    api: Api,
    role: StaffRole,
) -> None:
    requests = await seed_queue(api.db, api.clock)
    token = await staff_token(api, role)

    first = await queue(api.client, token, first=2)
    second = await queue(api.client, token, first=2, after=first["pageInfo"]["endCursor"])
    third = await queue(api.client, token, first=2, after=second["pageInfo"]["endCursor"])

    order = [request_global_id(requests[name]) for name in requests]
    assert (ids(first), ids(second), ids(third)) == (order[:2], order[2:4], order[4:])
    assert [page["pageInfo"]["hasNextPage"] for page in (first, second, third)] == [
        True,
        True,
        False,
    ]
    assert [page["totalCount"] for page in (first, second, third)] == [5, 5, 5]
    owner = await api.db.get_one(Account, requests["oldest"].account_id)
    assert first["edges"][0]["node"] == {
        "id": request_global_id(requests["oldest"]),
        "type": "ACCESS_COPY",
        "status": "SUBMITTED",
        "overdue": True,
        "account": {"id": global_id(owner)},
    }


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, ["oldest", "answered", "working", "recent", "newest"]),
        ({"status": "SUBMITTED"}, ["oldest", "recent", "newest"]),
        ({"status": "IN_PROGRESS"}, ["working"]),
        ({"status": "FULFILLED"}, ["answered"]),
        ({"status": "REFUSED"}, []),
        ({"overdue": True}, ["oldest", "working"]),
        ({"overdue": False}, ["answered", "recent", "newest"]),
        ({"status": "SUBMITTED", "overdue": True}, ["oldest"]),
        ({"status": "SUBMITTED", "overdue": False}, ["recent", "newest"]),
    ],
)
async def test_the_queue_filters_by_status_and_overdue(
    api: Api,
    variables: dict[str, Any],
    expected: list[str],
) -> None:
    requests = await seed_queue(api.db, api.clock)
    token = await staff_token(api, StaffRole.SUPPORT)

    connection = await queue(api.client, token, **variables)

    assert ids(connection) == [request_global_id(requests[name]) for name in expected]
    assert connection["totalCount"] == len(expected)
    assert all(
        edge["node"]["overdue"] is (name in ("oldest", "working"))
        for edge, name in zip(connection["edges"], expected, strict=True)
    )


async def test_a_request_joins_the_overdue_queue_one_second_after_its_due_moment(
    api: Api, person: Account
) -> None:
    request = await create_data_request(api.db, person, api.clock())
    staff = await create_staff(api.db, api.clock())

    api.clock.advance(days=15)
    token = await api.sign_in(staff=staff)
    at_due_moment = await queue(api.client, token, overdue=True)
    api.clock.advance(seconds=1)
    after_due_moment = await queue(api.client, token, overdue=True)
    not_overdue = await queue(api.client, token, overdue=False)

    assert ids(at_due_moment) == []
    assert ids(after_due_moment) == [request_global_id(request)]
    assert ids(not_overdue) == []


async def test_accounts_and_anonymous_callers_have_no_queue(api: Api) -> None:
    await seed_queue(api.db, api.clock)
    person = await create_person(api.db, api.clock(), phone=None, email=None)
    token = await api.sign_in(account=person)

    assert await answer(api.client, QUEUE, token=token) == forbidden("dataRequests")
    assert await answer(api.client, QUEUE) == unauthenticated("dataRequests")
