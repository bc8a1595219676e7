"""Staff read a person's values only to work an open request of theirs whose type needs
them, and every read, masked or clear, is logged naming the request
(docs/spec/masking-and-viewers.md#staff-reads)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AccessLogEntry,
    Account,
    DataRequestStatus,
    DataRequestType,
    LoginEvent,
    LoginMethod,
    SearchEntry,
    StaffRole,
    StudentVerification,
    VerificationStatus,
)
from tests.helpers import graphql
from tests.resolvers.rights.helpers import (
    PHONE,
    count_rows,
    create_person,
    request_global_id,
    staff_token,
)
from tests.support.api import Api
from tests.support.assertions import refusal, without_locations
from tests.support.factories import create_data_request
from tests.support.ids import global_id
from tests.support.staff import STAFF_NAMES

PHONE_OF = """
query($id: ID!, $reveal: Boolean!) { account(id: $id) { id phone(reveal: $reveal) } }
"""
ACCESS_LOG = """
query { viewer { account { accessLog { edges { node { at actorKind actorName field reason } } } } } }
"""


async def phone_of(
    client: httpx.AsyncClient, token: str, account_id: str, *, reveal: bool = True
) -> dict[str, Any]:
    return await graphql(client, PHONE_OF, {"id": account_id, "reveal": reveal}, token=token)


@pytest.mark.parametrize("role", list(StaffRole))
async def test_with_an_open_request_staff_see_the_phone_and_the_request_is_the_reason(
    api: Api, person: Account, role: StaffRole
) -> None:
    await create_data_request(
        api.db, person, api.clock() - timedelta(days=40), status=DataRequestStatus.FULFILLED
    )
    request = await create_data_request(
        api.db, person, api.clock() - timedelta(days=2), status=DataRequestStatus.IN_PROGRESS
    )
    person_token = await api.sign_in(account=person)
    token = await staff_token(api, role, stepped_up=True)

    body = await phone_of(api.client, token, global_id(person))

    assert body == {"data": {"account": {"id": global_id(person), "phone": PHONE}}}
    log = await graphql(api.client, ACCESS_LOG, token=person_token)
    assert log["data"]["viewer"]["account"]["accessLog"]["edges"] == [
        {
            "node": {
                "at": api.clock().isoformat(),
                "actorKind": "STAFF",
                "actorName": STAFF_NAMES[role],
                "field": "PHONE",
                "reason": request_global_id(request),
            }
        }
    ]


@pytest.mark.parametrize(
    "closed",
    [None, DataRequestStatus.FULFILLED, DataRequestStatus.REFUSED, DataRequestStatus.WITHDRAWN],
)
async def test_without_an_open_request_a_staff_reveal_is_forbidden(
    api: Api, person: Account, closed: DataRequestStatus | None
) -> None:
    other = await create_person(
        api.db, api.clock(), phone="+8613900139000", email="other@example.com"
    )
    await create_data_request(api.db, other, api.clock())
    if closed is not None:
        await create_data_request(api.db, person, api.clock() - timedelta(days=1), status=closed)
    token = await staff_token(api, stepped_up=True)

    body = await phone_of(api.client, token, global_id(person))

    assert without_locations(body) == {
        "data": {"account": {"id": global_id(person), "phone": None}},
        "errors": [refusal("FORBIDDEN", "You may not read this field.", ["account", "phone"])],
    }
    assert await count_rows(api.db, AccessLogEntry) == 0


async def test_an_open_request_without_step_up_asks_for_step_up(api: Api, person: Account) -> None:
    await create_data_request(api.db, person, api.clock())
    token = await staff_token(api)

    body = await phone_of(api.client, token, global_id(person))
    masked = await phone_of(api.client, token, global_id(person), reveal=False)

    assert without_locations(body) == {
        "data": {"account": {"id": global_id(person), "phone": None}},
        "errors": [
            refusal(
                "STEP_UP_REQUIRED",
                "Confirm it is you (elevateSession), then ask again.",
                ["account", "phone"],
            )
        ],
    }
    assert masked == {"data": {"account": {"id": global_id(person), "phone": "138****5678"}}}
    # The masked read is logged; the refused reveal is not.
    assert await count_rows(api.db, AccessLogEntry, clear=False) == 1
    assert await count_rows(api.db, AccessLogEntry) == 1


SEARCHES = """
query($id: ID!) {
  account(id: $id) { searchHistory { edges { node { query at } } } }
}
"""
LOG_OF_PERSON = """
query {
  viewer { account { accessLog { edges { node { actorKind actorName field reason clear } } } } }
}
"""


async def read_by_support(
    api: Api, person: Account, query: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Support's answer to `query` about the person, then the person's own access log."""
    person_token = await api.sign_in(account=person)
    token = await staff_token(api, StaffRole.SUPPORT)
    body = await graphql(api.client, query, {"id": global_id(person)}, token=token)
    log = await graphql(api.client, LOG_OF_PERSON, token=person_token)
    return body, log


async def add_searches(db: AsyncSession, person: Account, now: datetime) -> None:
    for offset, query in enumerate(("chairs for kids", "lamps")):
        entry = SearchEntry(account_id=person.id, created_at=now + timedelta(seconds=offset))
        entry.query = query
        db.add(entry)
    await db.commit()


@pytest.mark.parametrize(
    "request_type",
    [
        None,
        DataRequestType.RESTRICTION,
        DataRequestType.CONSENT_CHANGE,
        DataRequestType.CANCELLATION,
    ],
)
async def test_support_is_refused_search_queries_without_a_request_that_needs_them(
    api: Api, person: Account, request_type: DataRequestType | None
) -> None:
    await add_searches(api.db, person, api.clock())
    if request_type is not None:
        await create_data_request(api.db, person, api.clock(), type=request_type)
    token = await staff_token(api, StaffRole.SUPPORT)

    body = await graphql(api.client, SEARCHES, {"id": global_id(person)}, token=token)

    assert without_locations(body) == {
        "data": {"account": {"searchHistory": None}},
        "errors": [
            refusal("FORBIDDEN", "You may not read this field.", ["account", "searchHistory"])
        ],
    }
    assert await count_rows(api.db, AccessLogEntry) == 0


@pytest.mark.parametrize(
    "request_type",
    [
        DataRequestType.ACCESS_COPY,
        DataRequestType.PORTABILITY,
        DataRequestType.CORRECTION,
        DataRequestType.DELETION,
        DataRequestType.COMPLAINT,
        DataRequestType.EXPLANATION,
    ],
)
async def test_support_working_a_matching_request_reads_searches_masked_and_is_logged(
    api: Api, person: Account, request_type: DataRequestType
) -> None:
    await add_searches(api.db, person, api.clock())
    request = await create_data_request(api.db, person, api.clock(), type=request_type)

    body, log = await read_by_support(api, person, SEARCHES)

    assert body == {
        "data": {
            "account": {
                "searchHistory": {
                    "edges": [
                        {
                            "node": {
                                "query": "l****",
                                "at": (api.clock() + timedelta(seconds=1)).isoformat(),
                            }
                        },
                        {"node": {"query": "c***** *** ****", "at": api.clock().isoformat()}},
                    ]
                }
            }
        }
    }
    # Two queries read in one response: one entry, naming the request worked on.
    assert log["data"]["viewer"]["account"]["accessLog"]["edges"] == [
        {
            "node": {
                "actorKind": "STAFF",
                "actorName": STAFF_NAMES[StaffRole.SUPPORT],
                "field": "SEARCH_QUERY",
                "reason": request_global_id(request),
                "clear": False,
            }
        }
    ]


PERSONAL_FIELDS = """
query($id: ID!) {
  account(id: $id) {
    ... on IndividualAccount { birthDate }
    verifications { student { school major } }
    sessions { userAgent }
    loginHistory { edges { node { userAgent } } }
    dataRequests { edges { node { details } } }
  }
}
"""


async def test_every_staff_read_of_a_personal_field_is_logged_once_per_kind(api: Api) -> None:
    person = await create_person(api.db, api.clock(), birth_date=date(1990, 5, 17))
    api.db.add(
        StudentVerification(
            account_id=person.id,
            status=VerificationStatus.VERIFIED,
            real_name_sealed=b"",
            id_number_sealed=b"",
            verification_code_sealed=b"",
            school="Peking University",
            major="Design",
            enrolled_on=date(2023, 9, 1),
            graduates_on=date(2027, 7, 1),
            submitted_at=api.clock(),
        )
    )
    login = LoginEvent(
        account_id=person.id,
        created_at=api.clock(),
        method=LoginMethod.PASSWORD,
        success=True,
        user_agent="Firefox on Linux",
    )
    api.db.add(login)
    request = await create_data_request(api.db, person, api.clock(), type=DataRequestType.COMPLAINT)
    request.details = "You keep my school after I graduated"

    body, log = await read_by_support(api, person, PERSONAL_FIELDS)

    assert body == {
        "data": {
            "account": {
                "birthDate": None,
                "verifications": {"student": {"school": "P***** **********", "major": "D*****"}},
                "sessions": [{"userAgent": None}],
                "loginHistory": {"edges": [{"node": {"userAgent": "F****** ** *****"}}]},
                "dataRequests": {
                    "edges": [{"node": {"details": "Y** **** ** ****** ***** * *********"}}]
                },
            }
        }
    }
    entries = [edge["node"] for edge in log["data"]["viewer"]["account"]["accessLog"]["edges"]]
    assert sorted(entry["field"] for entry in entries) == [
        "BIRTH_DATE",
        "MAJOR",
        "REQUEST_DETAILS",
        "SCHOOL",
        "USER_AGENT",
    ]
    assert {(e["actorKind"], e["reason"], e["clear"]) for e in entries} == {
        ("STAFF", request_global_id(request), False)
    }


async def test_the_person_reads_their_own_fields_as_given_without_a_log_entry(api: Api) -> None:
    person = await create_person(api.db, api.clock(), birth_date=date(1990, 5, 17))
    await add_searches(api.db, person, api.clock())
    token = await api.sign_in(account=person)

    body = await graphql(
        api.client,
        "{ viewer { account { ... on IndividualAccount { birthDate }"
        " searchHistory { edges { node { query } } } } } }",
        token=token,
    )

    assert body == {
        "data": {
            "viewer": {
                "account": {
                    "birthDate": "1990-05-17",
                    "searchHistory": {
                        "edges": [
                            {"node": {"query": "lamps"}},
                            {"node": {"query": "chairs for kids"}},
                        ]
                    },
                }
            }
        }
    }
    assert await count_rows(api.db, AccessLogEntry) == 0
