"""Which version is current, and every published version staying readable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.policies.helpers import POLICY_FIELDS, policy_status, published, status
from tests.support.viewers import SignedIn, Viewers

CURRENT = "{ privacyPolicy { version } }"
ALL_VERSIONS = "{ privacyPolicies { version effectiveOn } }"
ONE_VERSION = (
    f"query($version: String!) {{ privacyPolicy(version: $version) {{ {POLICY_FIELDS} }} }}"
)


async def current_version(client: httpx.AsyncClient) -> str:
    body = await graphql(client, CURRENT)
    version: str = body["data"]["privacyPolicy"]["version"]
    return version


async def test_every_archived_version_stays_readable(
    client: httpx.AsyncClient, officer: SignedIn, clock: Clock
) -> None:
    today = clock().date()
    payloads: dict[str, dict[str, Any]] = {}
    for version, days, material in (("2.0", -10, True), ("2.1", 0, False), ("3.0", 20, True)):
        clock.advance(minutes=1)
        payload = await published(
            client, officer, version, today + timedelta(days=days), material=material
        )
        payloads[version] = payload["privacyPolicy"]

    for version, expected in payloads.items():
        body = await graphql(client, ONE_VERSION, {"version": version})
        assert body == {"data": {"privacyPolicy": expected}}
    shipped = await graphql(client, ONE_VERSION, {"version": "1.0"})
    assert shipped["data"]["privacyPolicy"]["effectiveOn"] == "2022-08-30"
    assert shipped["data"]["privacyPolicy"]["body"].startswith("# Privacy policy, version 1.0")


async def test_every_version_is_listed_newest_first(
    client: httpx.AsyncClient, officer: SignedIn, clock: Clock
) -> None:
    today = clock().date()
    # Published out of order: the list follows the effective dates.
    for version, days in (("3.0", 20), ("2.0", -10), ("2.1", 0)):
        clock.advance(minutes=1)
        await published(client, officer, version, today + timedelta(days=days), material=True)

    body = await graphql(client, ALL_VERSIONS)

    assert body == {
        "data": {
            "privacyPolicies": [
                {"version": "3.0", "effectiveOn": (today + timedelta(days=20)).isoformat()},
                {"version": "2.1", "effectiveOn": today.isoformat()},
                {"version": "2.0", "effectiveOn": (today - timedelta(days=10)).isoformat()},
                {"version": "1.0", "effectiveOn": "2022-08-30"},
            ]
        }
    }


async def test_an_unknown_version_is_null(client: httpx.AsyncClient) -> None:
    body = await graphql(client, ONE_VERSION, {"version": "9.9"})

    assert body == {"data": {"privacyPolicy": None}}


async def test_a_version_effective_today_is_current(
    client: httpx.AsyncClient, officer: SignedIn, clock: Clock
) -> None:
    await published(client, officer, "2.0", clock().date(), material=False)

    assert await current_version(client) == "2.0"


async def test_a_future_version_is_not_current_until_its_day(
    client: httpx.AsyncClient, viewers: Viewers, officer: SignedIn, clock: Clock
) -> None:
    me = await viewers.person()
    await published(client, officer, "2.0", clock().date() + timedelta(days=1), material=False)

    before = (await current_version(client), await policy_status(client, me))
    clock.advance(days=1)
    me = await viewers.sign_in(me.me)
    after = (await current_version(client), await policy_status(client, me))

    assert before == ("1.0", status("1.0", "1.0", False))
    assert after == ("2.0", status("1.0", "2.0", False))


async def test_the_newest_effective_date_wins_not_the_latest_publication(
    client: httpx.AsyncClient, viewers: Viewers, officer: SignedIn, clock: Clock
) -> None:
    me = await viewers.person()
    today = clock().date()
    await published(client, officer, "2.0", today, material=False)
    clock.advance(minutes=1)
    await published(client, officer, "1.5", today - timedelta(days=30), material=False)

    assert await current_version(client) == "2.0"
    assert (await policy_status(client, me))["currentVersion"] == "2.0"
