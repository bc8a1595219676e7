"""resolveDataRequest, publishPrivacyPolicy and recordSecurityIncident record which staff
member acted; staff read it, nobody else does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from models import Account, DataRequest, PrivacyPolicy, SecurityIncident, StaffRole
from resolvers.global_id import to_global_id
from tests.helpers import graphql, staff_step_up
from tests.resolvers.rights.helpers import request_global_id, resolving
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS, data_of, refusal, without_locations
from tests.support.factories import create_data_request
from tests.support.ids import global_id
from tests.support.staff import STAFF_NAMES, create_staff
from tests.support.viewers import sign_in

RESOLVE = resolving("status handledBy { id name role }")
QUEUE = "{ dataRequests { edges { node { type handledBy { name role } } } } }"
MY_REQUESTS = (
    "{ viewer { account { dataRequests { edges { node { type handledBy { name } } } } } } }"
)
PUBLISH = f"""
mutation($input: PublishPrivacyPolicyInput!) {{
  publishPrivacyPolicy(input: $input) {{ privacyPolicy {{ version publishedBy {{ name role }} }} {USER_ERRORS} }}
}}
"""
POLICIES = "{ privacyPolicies { version publishedBy { name } } }"
RECORD = f"""
mutation($input: RecordSecurityIncidentInput!) {{
  recordSecurityIncident(input: $input) {{
    notified
    securityIncident {{ id title recordedAt recordedBy {{ name role }} }}
    {USER_ERRORS}
  }}
}}
"""


async def moved_on(
    client: httpx.AsyncClient, token: str, request: DataRequest, status: str
) -> dict[str, Any]:
    """The request as resolveDataRequest answers it, moved on to `status`."""
    variables = {"input": {"id": request_global_id(request), "status": status}}
    payload = data_of(await graphql(client, RESOLVE, variables, token=token), "resolveDataRequest")
    moved: dict[str, Any] = payload["dataRequest"]
    return moved


def staff_member(staff_id: Any, role: StaffRole) -> dict[str, str]:
    return {
        "id": to_global_id("StaffMember", staff_id),
        "name": STAFF_NAMES[role],
        "role": role.value,
    }


@pytest.mark.parametrize("role", list(StaffRole))
async def test_the_staff_member_who_moved_a_request_on_is_recorded(
    api: Api, person: Account, role: StaffRole
) -> None:
    request = await create_data_request(api.db, person, api.clock() - timedelta(days=1))
    person_token = await api.sign_in(account=person)
    officer = await create_staff(
        api.db, api.clock(), StaffRole.PRIVACY_OFFICER, email="li@corp.example"
    )
    other = await create_staff(api.db, api.clock(), role)
    officer_token = await api.sign_in(staff=officer)
    token = await api.sign_in(staff=other)
    await staff_step_up(api.client, token, api.clock())

    started = await moved_on(api.client, officer_token, request, "IN_PROGRESS")
    done = await moved_on(api.client, token, request, "FULFILLED")
    queue = await graphql(api.client, QUEUE, token=officer_token)
    own = await graphql(api.client, MY_REQUESTS, token=person_token)

    assert started == {
        "status": "IN_PROGRESS",
        "handledBy": staff_member(officer.id, StaffRole.PRIVACY_OFFICER),
    }
    assert done == {
        "status": "FULFILLED",
        "handledBy": staff_member(other.id, role),
    }
    assert queue == {
        "data": {
            "dataRequests": {
                "edges": [
                    {
                        "node": {
                            "type": "ACCESS_COPY",
                            "handledBy": {"name": STAFF_NAMES[role], "role": role.value},
                        }
                    }
                ]
            }
        }
    }
    # The person sees the request, not which staff member handled it.
    assert without_locations(own) == {
        "data": {
            "viewer": {
                "account": {
                    "dataRequests": {
                        "edges": [{"node": {"type": "ACCESS_COPY", "handledBy": None}}]
                    }
                }
            }
        },
        "errors": [
            refusal(
                "FORBIDDEN",
                "You may not read this field.",
                ["viewer", "account", "dataRequests", "edges", 0, "node", "handledBy"],
            )
        ],
    }
    await api.db.refresh(request)
    assert request.handled_by_id == other.id


async def test_the_officer_who_published_a_version_is_recorded(api: Api) -> None:
    officer = await create_staff(api.db, api.clock())
    token = await api.sign_in(staff=officer, elevated=True)
    support = await sign_in(
        api.db,
        api.services,
        api.clock(),
        staff=await create_staff(api.db, api.clock(), StaffRole.SUPPORT),
    )

    body = await graphql(
        api.client,
        PUBLISH,
        {
            "input": {
                "version": "1.1",
                "effectiveOn": api.clock().date().isoformat(),
                "material": False,
                "body": "# Policy 1.1",
            }
        },
        token=token,
    )
    by_support = await graphql(api.client, POLICIES, token=support)
    anonymous = await graphql(api.client, POLICIES)

    assert body == {
        "data": {
            "publishPrivacyPolicy": {
                "privacyPolicy": {
                    "version": "1.1",
                    "publishedBy": {
                        "name": STAFF_NAMES[StaffRole.PRIVACY_OFFICER],
                        "role": "PRIVACY_OFFICER",
                    },
                },
                "userErrors": [],
            }
        }
    }
    # Version 1.0 ships with the gateway: nobody published it.
    assert by_support == {
        "data": {
            "privacyPolicies": [
                {"version": "1.1", "publishedBy": {"name": STAFF_NAMES[StaffRole.PRIVACY_OFFICER]}},
                {"version": "1.0", "publishedBy": None},
            ]
        }
    }
    assert anonymous["data"] == {
        "privacyPolicies": [
            {"version": "1.1", "publishedBy": None},
            {"version": "1.0", "publishedBy": None},
        ]
    }
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"] * 2
    stored = await api.db.scalar(select(PrivacyPolicy).where(PrivacyPolicy.version == "1.1"))
    assert stored is not None
    assert stored.published_by_id == officer.id


async def test_the_officer_who_recorded_an_incident_is_recorded(api: Api, person: Account) -> None:
    officer = await create_staff(api.db, api.clock())
    token = await api.sign_in(staff=officer)
    await staff_step_up(api.client, token, api.clock())

    body = await graphql(
        api.client,
        RECORD,
        {
            "input": {
                "title": "Leaked support login",
                "description": "A support login was used from outside.",
                "measures": "We disabled it.",
                "advice": "Change your password.",
                "categories": ["password"],
                "cause": "Phishing.",
                "harm": "Someone may sign in as you.",
                "affectedAccountIds": [global_id(person)],
            }
        },
        token=token,
    )

    payload = body["data"]["recordSecurityIncident"]
    incident = (await api.db.scalars(select(SecurityIncident))).all()
    assert len(incident) == 1
    assert payload == {
        "notified": 1,
        "securityIncident": {
            "id": to_global_id("SecurityIncident", incident[0].id),
            "title": "Leaked support login",
            "recordedAt": api.clock().isoformat(),
            "recordedBy": {
                "name": STAFF_NAMES[StaffRole.PRIVACY_OFFICER],
                "role": "PRIVACY_OFFICER",
            },
        },
        "userErrors": [],
    }
    assert incident[0].recorded_by_id == officer.id
