"""The SPA's privacy page in one query, at a bounded number of SQL statements."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from models import ConsentEvent, ConsentPurpose, DevicePermissionKind
from tests.conftest import StatementCounter
from tests.helpers import graphql
from tests.support.api import Api
from tests.support.viewers import SignedIn, Viewers

PRIVACY_PAGE = """
{
  viewer { account {
    consents { purpose granted separate policyVersion updatedAt
               history { granted policyVersion at } }
    devicePermissions { permission enabled updatedAt }
    policyStatus { acceptedVersion currentVersion mustAccept }
  } }
  privacyPolicy { version body }
  dataCategories { key }
  dataRecipients { name }
}
"""
# The session behind the token with its account, the policy versions (for policyStatus),
# the current policy (for privacyPolicy), the consents with their events and the
# restrictions in force (one statement), and the device permissions: whatever the number
# of rows behind them.
PRIVACY_PAGE_STATEMENTS = 5


async def with_consent_events(api: Api, who: SignedIn, per_purpose: int) -> None:
    """`per_purpose` grant/withdraw events for every purpose, written straight to the table."""
    at = api.clock() - timedelta(days=1)
    for purpose in ConsentPurpose:
        for n in range(per_purpose):
            at += timedelta(seconds=1)
            api.db.add(
                ConsentEvent(
                    account_id=who.me.id,
                    purpose=purpose,
                    granted=n % 2 == 0,
                    policy_version="1.0",
                    created_at=at,
                )
            )
    await api.db.commit()


async def load_page(
    client: httpx.AsyncClient, who: SignedIn, sql_statements: StatementCounter
) -> tuple[dict[str, Any], int]:
    sql_statements.reset()
    body = await graphql(client, PRIVACY_PAGE, token=who.token)
    return body, sql_statements.count


async def test_the_page_reads_everything_in_one_query(
    client: httpx.AsyncClient, viewers: Viewers, sql_statements: StatementCounter
) -> None:
    me = await viewers.person()

    body, _ = await load_page(client, me, sql_statements)

    assert "errors" not in body, body
    account = body["data"]["viewer"]["account"]
    assert [c["purpose"] for c in account["consents"]] == [p.value for p in ConsentPurpose]
    assert [p["permission"] for p in account["devicePermissions"]] == [
        k.value for k in DevicePermissionKind
    ]
    assert account["policyStatus"] == {
        "acceptedVersion": "1.0",
        "currentVersion": "1.0",
        "mustAccept": False,
    }
    assert body["data"]["privacyPolicy"]["version"] == "1.0"
    assert body["data"]["privacyPolicy"]["body"].startswith("# Privacy policy, version 1.0")
    assert body["data"]["dataCategories"]
    assert body["data"]["dataRecipients"]


@pytest.mark.parametrize("events_per_purpose", [0, 1, 25])
async def test_the_page_costs_a_fixed_number_of_statements(
    api: Api, viewers: Viewers, sql_statements: StatementCounter, events_per_purpose: int
) -> None:
    me = await viewers.person()
    await with_consent_events(api, me, events_per_purpose)

    body, statements = await load_page(api.client, me, sql_statements)

    histories = [c["history"] for c in body["data"]["viewer"]["account"]["consents"]]
    assert [len(history) for history in histories] == [events_per_purpose] * len(ConsentPurpose)
    assert statements == PRIVACY_PAGE_STATEMENTS, sql_statements.statements


async def test_the_count_does_not_grow_with_the_consent_history(
    api: Api, viewers: Viewers, sql_statements: StatementCounter
) -> None:
    few = await viewers.person()
    many = await viewers.person(phone="13700000000")
    await with_consent_events(api, few, 1)
    await with_consent_events(api, many, 40)

    _, with_few = await load_page(api.client, few, sql_statements)
    _, with_many = await load_page(api.client, many, sql_statements)

    assert with_few == with_many == PRIVACY_PAGE_STATEMENTS
