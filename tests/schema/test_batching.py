"""Reading many accounts costs the same SQL statements as reading one (STYLE.md "Tests").

Each request reads N accounts through aliased node(id:) calls (at most 30 aliases are
served, so N is compared at 1 and 25), with every field the viewer may read nested
in. The counts include the statements that authenticate the request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from auth.sessions import open_session
from models import (
    ANSWER_WITHIN,
    Account,
    DataRequest,
    DataRequestStatus,
    DataRequestType,
    LoginEvent,
    LoginMethod,
)
from resolvers.global_id import to_global_id
from tests.conftest import Clock, StatementCounter
from tests.helpers import graphql
from tests.resolvers.settings.viewers import SignedIn, Viewers, add_personal_data, iso

MANY = 25
SUB_ACCOUNT = """
fragment SubAccountFields on SubAccount {
  id kind status displayName avatarUrl phone email createdAt role permissions lastLoginAt
  profile { bio industry position companySize needs }
  enterprise { id kind status displayName avatarUrl companyName }
}
"""
INDIVIDUAL = """
fragment IndividualFields on IndividualAccount {
  id kind status displayName avatarUrl phone email createdAt birthDate
  profile { bio industry position companySize needs }
  security { hasPassword phoneBound emailBound emailVerified passwordChangedAt }
  identities { provider openId nickname avatarUrl linkedAt }
  verifications {
    realName { status realName idNumber submittedAt verifiedAt rejectionReason }
    student {
      status realName idNumber school major enrolledOn graduatesOn submittedAt verifiedAt
      rejectionReason
    }
  }
  bankCards { id bankName branch location cardNumber last4 holderName cardType boundAt }
  guardianConsent { guardianName guardianPhone grantedAt }
  sessions { id createdAt lastUsedAt userAgent current }
  loginHistory(first: 5) {
    edges { cursor node { at method success ipAddress userAgent } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
  accessLog(first: 2) {
    edges { cursor node { at actorKind actorName field reason } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
# What reading N accounts costs, whatever N. An account's request is authenticated in one
# statement (its session with the viewer's account), a staff member's in two (the
# session, then the staff row); then one for the accounts, and one for each kind of row
# nested in them.
# The enterprise: + the sub-accounts (the enterprise itself is the viewer's row).
ENTERPRISE_STATEMENTS = 2
# Staff: + accounts, identities, bank cards, guardian consents, sessions, login
# events, access log, real-name and student verifications; the open requests that let
# staff read, the staff member's name for the log, and the log entries of the reads.
STAFF_STATEMENTS = 14


@pytest.fixture
def viewers(db: AsyncSession, services: AuthServices, clock: Clock) -> Viewers:
    return Viewers(db, services, clock)


def aliased(type_name: str, fragment: str, accounts: list[Account]) -> str:
    nodes = "\n".join(
        f'  a{n}: node(id: "{to_global_id(type_name, account.id)}") {{ ...{fragment} }}'
        for n, account in enumerate(accounts)
    )
    return f"{{\n{nodes}\n}}"


async def read(
    client: httpx.AsyncClient,
    sql_statements: StatementCounter,
    viewer: SignedIn,
    query: str,
) -> tuple[dict[str, Any], int]:
    sql_statements.reset()
    body = await graphql(client, query, token=viewer.token)
    return body, sql_statements.count


async def test_an_enterprise_reads_25_sub_accounts_for_the_statements_of_one(
    client: httpx.AsyncClient,
    viewers: Viewers,
    sql_statements: StatementCounter,
) -> None:
    enterprise = await viewers.enterprise()
    members = [
        (
            await viewers.sub_account(
                enterprise.me, phone=f"1370013{n:04d}", industry="Retail", needs=["templates"]
            )
        ).me
        for n in range(MANY)
    ]

    one, one_count = await read(
        client,
        sql_statements,
        enterprise,
        aliased("SubAccount", "SubAccountFields", members[:1]) + SUB_ACCOUNT,
    )
    many, many_count = await read(
        client,
        sql_statements,
        enterprise,
        aliased("SubAccount", "SubAccountFields", members) + SUB_ACCOUNT,
    )

    assert "errors" not in one, one
    assert "errors" not in many, many
    assert len(many["data"]) == MANY
    assert all(node["phone"].startswith("137****") for node in many["data"].values())
    assert (one_count, many_count) == (ENTERPRISE_STATEMENTS, ENTERPRISE_STATEMENTS)


async def test_staff_working_25_requests_read_the_individuals_for_the_statements_of_one(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    services: AuthServices,
    clock: Clock,
    sql_statements: StatementCounter,
) -> None:
    people = []
    for n in range(MANY):
        person = (await viewers.individual(phone=f"1381234{n:04d}", email=f"p{n}@example.com")).me
        await add_personal_data(db, person, clock)
        # A second live device beside the one Viewers opened.
        await open_session(
            db, services.tokens, now=clock(), account_id=person.id, user_agent="Tablet"
        )
        # Staff read a person's fields to work a request that needs them.
        db.add(
            DataRequest(
                account_id=person.id,
                type=DataRequestType.ACCESS_COPY,
                status=DataRequestStatus.SUBMITTED,
                submitted_at=clock(),
                due_at=clock() + ANSWER_WITHIN,
            )
        )
        people.append(person)
    await db.commit()
    staff = await viewers.staff()

    one, one_count = await read(
        client,
        sql_statements,
        staff,
        aliased("IndividualAccount", "IndividualFields", people[:1]) + INDIVIDUAL,
    )
    many, many_count = await read(
        client,
        sql_statements,
        staff,
        aliased("IndividualAccount", "IndividualFields", people) + INDIVIDUAL,
    )

    assert "errors" not in one, one
    assert "errors" not in many, many
    assert len(many["data"]) == MANY
    for node in many["data"].values():
        assert len(node["identities"]) == 1
        assert node["verifications"]["realName"]["status"] == "VERIFIED"
        assert node["verifications"]["student"]["status"] == "VERIFIED"
        assert [card["last4"] for card in node["bankCards"]] == ["5679"]
        assert len(node["sessions"]) == 2
        assert len(node["loginHistory"]["edges"]) == 2
    # The access log grew between the two reads: staff reads are logged.
    first, again = (dict(node["a0"]) for node in (one["data"], many["data"]))
    assert (first.pop("accessLog"), again.pop("accessLog")["edges"] != []) == (
        {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}},
        True,
    )
    assert again == first
    assert (one_count, many_count) == (STAFF_STATEMENTS, STAFF_STATEMENTS)


async def test_pages_read_together_are_each_accounts_own(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    services: AuthServices,
    clock: Clock,
) -> None:
    busy, quiet, new = [(await viewers.individual(phone=f"1381234000{n}")).me for n in range(3)]
    for account, sign_ins in ((busy, 7), (quiet, 2)):
        for minutes in range(sign_ins):
            db.add(
                LoginEvent(
                    account_id=account.id,
                    created_at=clock() - timedelta(minutes=minutes + 1),
                    method=LoginMethod.PASSWORD,
                    success=minutes % 2 == 0,
                )
            )
    ended = await open_session(db, services.tokens, now=clock(), account_id=busy.id)
    await db.commit()
    await graphql(client, "mutation { logout { ok } }", token=ended.access_token)
    staff = await viewers.staff()
    page = "loginHistory(first: 3, after: $after) { edges { node { at } } pageInfo { hasNextPage endCursor } }"
    together = (
        "query($after: String) { "
        + " ".join(
            f'{name}: node(id: "{to_global_id("IndividualAccount", account.id)}") '
            f"{{ ... on Account {{ sessions {{ current }} {page} }} }}"
            for name, account in (("busy", busy), ("quiet", quiet), ("new", new))
        )
        + " }"
    )
    next_page = (
        "query($after: String) { "
        f'node(id: "{to_global_id("IndividualAccount", busy.id)}") {{ ... on Account {{ {page} }} }}'
        " }"
    )

    first = await graphql(client, together, token=staff.token)
    cursor = first["data"]["busy"]["loginHistory"]["pageInfo"]["endCursor"]
    second = await graphql(client, next_page, {"after": cursor}, token=staff.token)

    def ats(minutes: range) -> list[dict[str, Any]]:
        return [{"node": {"at": iso(clock() - timedelta(minutes=m + 1))}} for m in minutes]

    assert "errors" not in first, first
    assert {name: node["loginHistory"]["edges"] for name, node in first["data"].items()} == {
        "busy": ats(range(3)),
        "quiet": ats(range(2)),
        "new": [],
    }
    assert [node["loginHistory"]["pageInfo"]["hasNextPage"] for node in first["data"].values()] == [
        True,
        False,
        False,
    ]
    # The ended session is left out; each account keeps the one Viewers opened.
    assert [node["sessions"] for node in first["data"].values()] == [[{"current": False}]] * 3
    assert second["data"]["node"]["loginHistory"]["edges"] == ats(range(3, 6))
    assert second["data"]["node"]["loginHistory"]["pageInfo"]["hasNextPage"] is True
