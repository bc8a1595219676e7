"""`privacyPolicy` and `privacyPolicies` over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from models import PrivacyPolicy
from tests.helpers import graphql

POLICY_FIELDS = "version effectiveOn publishedAt material summaryOfChanges body"


async def add_policy(db: AsyncSession, version: str, effective_on: date) -> PrivacyPolicy:
    policy = PrivacyPolicy(
        version=version,
        effective_on=effective_on,
        published_at=datetime.now(UTC),
        material=True,
        summary_of_changes=f"changes of {version}",
        body=f"# Policy {version}",
    )
    db.add(policy)
    await db.commit()
    return policy


async def test_the_shipped_version_is_current(client: httpx.AsyncClient) -> None:
    body = await graphql(client, "{ privacyPolicy { version effectiveOn material } }")

    assert body == {
        "data": {"privacyPolicy": {"version": "1.0", "effectiveOn": "2022-08-30", "material": True}}
    }


async def test_the_current_version_is_the_newest_in_force(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    today = datetime.now(UTC).date()
    await add_policy(db, "2.0", today - timedelta(days=1))
    await add_policy(db, "3.0", today + timedelta(days=30))

    current = await graphql(client, "{ privacyPolicy { version } }")
    listed = await graphql(client, "{ privacyPolicies { version } }")

    assert current == {"data": {"privacyPolicy": {"version": "2.0"}}}
    assert listed == {
        "data": {"privacyPolicies": [{"version": "3.0"}, {"version": "2.0"}, {"version": "1.0"}]}
    }


async def test_every_archived_version_stays_readable(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await add_policy(db, "2.0", datetime.now(UTC).date())

    body = await graphql(client, f'{{ privacyPolicy(version: "1.0") {{ {POLICY_FIELDS} }} }}')

    policy = body["data"]["privacyPolicy"]
    assert policy["version"] == "1.0"
    assert policy["summaryOfChanges"] is None
    assert policy["body"].startswith("# Privacy policy, version 1.0 (placeholder)")


async def test_an_unknown_version_is_null(client: httpx.AsyncClient) -> None:
    body = await graphql(client, '{ privacyPolicy(version: "9.9") { version } }')

    assert body == {"data": {"privacyPolicy": None}}
