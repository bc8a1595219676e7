"""consentStatus: staff and the platform's services read what an account's consents allow
now; nobody else does (docs/spec/rights.md#asking-for-consent-status)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth import service_credentials
from models import (
    AccountStatus,
    ConsentPurpose,
    ProcessingRestriction,
    ServiceCredential,
    StaffRole,
)
from resolvers.global_id import to_global_id
from tests.conftest import Clock
from tests.helpers import graphql
from tests.support.viewers import Viewers

STATUS = """
query($id: ID!, $purposes: [ConsentPurpose!]) {
  consentStatus(accountId: $id, purposes: $purposes) {
    accountId accountStatus consents { purpose granted restricted }
  }
}
"""


async def service_token(db: AsyncSession, name: str = "push-service") -> str:
    issued = service_credentials.issue(name, datetime.now(UTC))
    db.add(issued.credential)
    await db.commit()
    return issued.token


async def ask(
    client: httpx.AsyncClient, token: str | None, account_id: str, purposes: list[str] | None
) -> dict[str, Any]:
    return await graphql(client, STATUS, {"id": account_id, "purposes": purposes}, token=token)


def account_id(people_account: Any) -> str:
    return to_global_id("IndividualAccount", people_account.me.id)


async def test_a_service_reads_the_consents_it_asks_for_as_they_stand(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession, clock: Clock
) -> None:
    me = await viewers.person()
    for purpose in ("TARGETED_PUSH", "SEARCH_HISTORY"):
        body = await graphql(
            client,
            f"mutation {{ setConsent(input: {{ purpose: {purpose}, granted: true }}) {{ userErrors {{ code }} }} }}",
            token=me.token,
        )
        assert body["data"]["setConsent"]["userErrors"] == []
    db.add(
        ProcessingRestriction(
            account_id=me.me.id, purpose=ConsentPurpose.SEARCH_HISTORY, created_at=clock()
        )
    )
    token = await service_token(db)

    body = await ask(
        client, token, account_id(me), ["TARGETED_PUSH", "SEARCH_HISTORY", "THIRD_PARTY_SHARING"]
    )
    every = await ask(client, token, account_id(me), None)

    assert body == {
        "data": {
            "consentStatus": {
                "accountId": account_id(me),
                "accountStatus": "ACTIVE",
                "consents": [
                    {"purpose": "SEARCH_HISTORY", "granted": False, "restricted": True},
                    {"purpose": "TARGETED_PUSH", "granted": True, "restricted": False},
                    {"purpose": "THIRD_PARTY_SHARING", "granted": False, "restricted": False},
                ],
            }
        }
    }
    assert [c["purpose"] for c in every["data"]["consentStatus"]["consents"]] == [
        purpose.value for purpose in ConsentPurpose
    ]


@pytest.mark.parametrize("role", list(StaffRole))
async def test_staff_read_it_and_a_cancelled_account_reads_as_cancelled(
    client: httpx.AsyncClient, viewers: Viewers, role: StaffRole
) -> None:
    gone = await viewers.person(status=AccountStatus.CANCELLED, phone=None)
    staff = await viewers.staff(role)

    body = await ask(client, staff.token, account_id(gone), ["TARGETED_PUSH"])

    assert body == {
        "data": {
            "consentStatus": {
                "accountId": account_id(gone),
                "accountStatus": "CANCELLED",
                "consents": [{"purpose": "TARGETED_PUSH", "granted": False, "restricted": False}],
            }
        }
    }


async def test_an_unknown_or_mistyped_account_is_null_and_a_forged_id_refused(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession
) -> None:
    me = await viewers.person()
    token = await service_token(db)

    unknown = await ask(client, token, to_global_id("IndividualAccount", uuid.UUID(int=1)), None)
    mistyped = await ask(client, token, to_global_id("SubAccount", me.me.id), None)
    forged = await ask(client, token, "not-an-id\u0000", None)

    assert unknown == mistyped == {"data": {"consentStatus": None}}
    # Not an ID this API issues at all: refused before anything is looked up.
    assert forged["data"] == {"consentStatus": None}
    assert [(e["message"], e["extensions"]["code"]) for e in forged["errors"]] == [
        ("`accountId` is not an ID this API issued.", "BAD_USER_INPUT")
    ]


async def test_nobody_else_reads_it(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession
) -> None:
    me = await viewers.person()
    other = await viewers.person(phone="13700000000")

    own = await ask(client, me.token, account_id(me), None)
    someone_else = await ask(client, other.token, account_id(me), None)
    anonymous = await ask(client, None, account_id(me), None)

    refused = {
        "message": "Only staff and the platform's services may ask this.",
        "path": ["consentStatus"],
        "extensions": {"code": "FORBIDDEN"},
    }
    for body in (own, someone_else):
        assert body["data"] == {"consentStatus": None}
        assert [{k: v for k, v in e.items() if k != "locations"} for e in body["errors"]] == [
            refused
        ]
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]


async def test_a_service_reads_nothing_else_and_a_revoked_or_forged_token_is_refused(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession, clock: Clock
) -> None:
    me = await viewers.person()
    token = await service_token(db)

    others = await graphql(
        client,
        "query($id: ID!) { viewer { account { id } } account(id: $id) { id } node(id: $id) { id } }",
        {"id": account_id(me)},
        token=token,
    )
    forged = await client.post(
        "/graphql",
        json={"query": "{ viewer { account { id } } }"},
        headers={"Authorization": f"Bearer {token[:-3]}abc"},
    )
    credential_id = token.removeprefix("svc_").partition(".")[0]
    credential = await db.get(ServiceCredential, uuid.UUID(hex=credential_id))
    assert credential is not None
    credential.revoked_at = clock()
    await db.commit()
    revoked = await client.post(
        "/graphql",
        json={"query": "{ viewer { account { id } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert others == {"data": {"viewer": None, "account": None, "node": None}}
    for response in (forged, revoked):
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
