"""Publishing and accepting policy versions over HTTP, as the policy tests do it."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tests.helpers import graphql
from tests.support.assertions import USER_ERRORS
from tests.support.viewers import SignedIn

POLICY_FIELDS = "version effectiveOn publishedAt material summaryOfChanges body affectedPurposes"
# What a material version says changed, when a test does not say otherwise.
SUMMARY = "Clearer wording throughout."
_UNSAID: Any = object()
PUBLISH = f"""
mutation($input: PublishPrivacyPolicyInput!) {{
  publishPrivacyPolicy(input: $input) {{ privacyPolicy {{ {POLICY_FIELDS} }} {USER_ERRORS} }}
}}
"""
ACCEPT = f"""
mutation($version: String!) {{
  acceptPrivacyPolicy(input: {{ version: $version }}) {{
    account {{ policyStatus {{ acceptedVersion currentVersion mustAccept }} }}
    {USER_ERRORS}
  }}
}}
"""
POLICY_STATUS = (
    "{ viewer { account { policyStatus { acceptedVersion currentVersion mustAccept } } } }"
)
NOTIFICATIONS = """
{ viewer { account { notifications { edges { node { kind title body createdAt readAt } } } } } }
"""


async def publish(
    client: httpx.AsyncClient,
    who: SignedIn | None,
    version: str,
    effective_on: date,
    *,
    material: bool,
    body: str | None = None,
    summary: str | None = _UNSAID,
    affected: list[str] | None = _UNSAID,
) -> dict[str, Any]:
    """A material version says what changed and which consents to ask again (none)
    unless the test says otherwise."""
    if summary is _UNSAID:
        summary = SUMMARY if material else None
    if affected is _UNSAID:
        affected = [] if material else None
    return await graphql(
        client,
        PUBLISH,
        {
            "input": {
                "version": version,
                "effectiveOn": effective_on.isoformat(),
                "material": material,
                "summaryOfChanges": summary,
                "affectedPurposes": affected,
                "body": f"# Privacy policy {version}" if body is None else body,
            }
        },
        token=who.token if who else None,
    )


async def published(
    client: httpx.AsyncClient,
    officer: SignedIn,
    version: str,
    effective_on: date,
    *,
    material: bool,
    summary: str | None = _UNSAID,
    affected: list[str] | None = _UNSAID,
) -> dict[str, Any]:
    """Publish and insist it worked; the published version as the payload returns it."""
    body = await publish(
        client,
        officer,
        version,
        effective_on,
        material=material,
        summary=summary,
        affected=affected,
    )
    payload: dict[str, Any] = body["data"]["publishPrivacyPolicy"]
    assert payload["userErrors"] == [], body
    return payload


async def policy_status(client: httpx.AsyncClient, who: SignedIn) -> dict[str, Any]:
    body = await graphql(client, POLICY_STATUS, token=who.token)
    assert "errors" not in body, body
    status: dict[str, Any] = body["data"]["viewer"]["account"]["policyStatus"]
    return status


async def notifications(client: httpx.AsyncClient, who: SignedIn) -> list[dict[str, Any]]:
    body = await graphql(client, NOTIFICATIONS, token=who.token)
    assert "errors" not in body, body
    edges = body["data"]["viewer"]["account"]["notifications"]["edges"]
    return [edge["node"] for edge in edges]


def status(accepted: str | None, current: str, must_accept: bool) -> dict[str, Any]:
    return {"acceptedVersion": accepted, "currentVersion": current, "mustAccept": must_accept}
