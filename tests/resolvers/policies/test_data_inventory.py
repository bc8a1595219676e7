"""`dataCategories` and `dataRecipients` over HTTP: what the privacy policy tells people."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from resolvers.privacy.inventory import CATEGORIES_FILE, DEFAULT_DIR, RECIPIENTS_FILE
from tests.conftest import ClientWith
from tests.helpers import graphql
from tests.support.viewers import Viewers

CATEGORY_FIELDS = (
    "key name description purpose legalBasis sensitive consentPurpose retentionDays retention"
)
RECIPIENT_FIELDS = "name kind purpose dataCategories requiresSeparateConsent"
INVENTORY = f"""
{{
  dataCategories {{ {CATEGORY_FIELDS} }}
  dataRecipients {{ {RECIPIENT_FIELDS} }}
}}
"""
# What the privacy policy says the platform collects, by key
# (docs/spec/privacy-centre.md#the-personal-data-inventory).
POLICY_CATEGORIES = {
    "phone_and_sms_code": "phone and SMS code",
    "third_party_account": "third-party account data",
    "registration_data": "business and sub-account registration data",
    "password": "password",
    "bound_email": "bound email",
    "industry_profile": "industry data",
    "real_name": "real-name data",
    "student": "student data",
    "bank_card": "bank card",
    "search_history": "search history",
    "design_projects": "design-tool projects",
    "marketing_tools": "marketing materials and behaviour",
    "orders_and_payment": "orders and payment",
    "activity_logs": "browsing/comment/bookmark/follow/share logs",
    "infringement_notices": "infringement-notice data",
    "device_and_access_logs": "device ID/IP/access logs",
    "customer_service": "customer-service records",
    "cookies": "cookies",
}


def shipped(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((DEFAULT_DIR / name).read_text(encoding="utf-8"))
    return data


async def inventory(client: httpx.AsyncClient, token: str | None = None) -> dict[str, Any]:
    body = await graphql(client, INVENTORY, token=token)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_the_categories_are_the_shipped_file(client: httpx.AsyncClient) -> None:
    data = await inventory(client)

    assert data["dataCategories"] == shipped(CATEGORIES_FILE)


async def test_every_category_the_policy_names_is_listed(client: httpx.AsyncClient) -> None:
    keys = [category["key"] for category in (await inventory(client))["dataCategories"]]

    missing = sorted(set(POLICY_CATEGORIES) - set(keys))
    assert missing == []
    assert len(keys) == len(set(keys))


async def test_each_category_says_why_on_what_basis_and_for_how_long(
    client: httpx.AsyncClient,
) -> None:
    categories = {c["key"]: c for c in (await inventory(client))["dataCategories"]}

    for key in POLICY_CATEGORIES:
        category = categories[key]
        assert category["purpose"].strip(), key
        assert category["legalBasis"] in {
            "CONSENT",
            "SEPARATE_CONSENT",
            "CONTRACT",
            "LEGAL_OBLIGATION",
        }, key
        assert isinstance(category["sensitive"], bool), key
        assert category["retentionDays"] is None or category["retentionDays"] >= 1, key
    sensitive = {
        key: (c["legalBasis"], c["consentPurpose"])
        for key, c in categories.items()
        if key in {"real_name", "student", "bank_card"}
    }
    assert sensitive == {
        "real_name": ("SEPARATE_CONSENT", "SENSITIVE_REAL_NAME"),
        "student": ("SEPARATE_CONSENT", "SENSITIVE_STUDENT"),
        "bank_card": ("SEPARATE_CONSENT", "SENSITIVE_BANK_CARD"),
    }
    assert all(categories[key]["sensitive"] for key in sensitive)
    search = categories["search_history"]
    assert (search["legalBasis"], search["consentPurpose"], search["retentionDays"]) == (
        "CONSENT",
        "SEARCH_HISTORY",
        180,
    )


async def test_every_category_says_how_long_it_is_kept(client: httpx.AsyncClient) -> None:
    categories = (await inventory(client))["dataCategories"]

    assert [c["key"] for c in categories if not c["retention"].strip()] == []


async def test_the_wechat_identifiers_kept_are_declared_in_inventory_and_policy(
    client: httpx.AsyncClient,
) -> None:
    categories = {c["key"]: c for c in (await inventory(client))["dataCategories"]}
    policy = await graphql(client, "{ privacyPolicy { body } }")

    description = categories["third_party_account"]["description"]
    body = policy["data"]["privacyPolicy"]["body"]
    for identifier in ("OpenID", "UnionID", "nickname", "avatar"):
        assert identifier in description, identifier
        assert identifier in body, identifier


async def test_the_recipients_are_the_shipped_file(client: httpx.AsyncClient) -> None:
    data = await inventory(client)

    assert data["dataRecipients"] == shipped(RECIPIENTS_FILE)


async def test_the_recipients_name_every_kind_of_partner(client: httpx.AsyncClient) -> None:
    recipients = (await inventory(client))["dataRecipients"]
    by_name = {r["name"]: r for r in recipients}

    assert by_name["WeChat Login"]["dataCategories"] == ["third_party_account"]
    payment = sorted(r["name"] for r in recipients if r["kind"] == "Payment channel")
    assert payment == ["Alipay", "UnionPay", "WeChat Pay"]
    assert "phone_and_sms_code" in by_name["SMS provider"]["dataCategories"]
    assert by_name["Identity verification provider"]["dataCategories"] == ["real_name", "student"]
    assert by_name["Identity verification provider"]["requiresSeparateConsent"] is True
    assert by_name["Affiliated companies"]["kind"] == "Affiliate"


async def test_everyone_reads_the_same_inventory(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    me = await viewers.person()

    assert await inventory(client, me.token) == await inventory(client)


# --- an operator's edited copy ------------------------------------------------------------


@pytest.fixture
def edited_inventory(tmp_path: Path) -> Path:
    """A copy of the shipped files with the search-history category changed."""
    directory = tmp_path / "inventory"
    shutil.copytree(DEFAULT_DIR, directory)
    path = directory / CATEGORIES_FILE
    categories = json.loads(path.read_text(encoding="utf-8"))
    for category in categories:
        if category["key"] == "search_history":
            category["name"] = "Searches you make on the platform"
            category["retentionDays"] = 30
    path.write_text(json.dumps(categories, ensure_ascii=False, indent=2), encoding="utf-8")
    return directory


@pytest.fixture
async def edited_client(
    client_with: ClientWith, edited_inventory: Path
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_with(inventory_dir=edited_inventory) as client:
        yield client


async def test_an_app_pointed_at_an_edited_copy_serves_it(
    edited_client: httpx.AsyncClient, client: httpx.AsyncClient, edited_inventory: Path
) -> None:
    edited = await inventory(edited_client)
    original = await inventory(client)

    edited_search = next(c for c in edited["dataCategories"] if c["key"] == "search_history")
    assert edited_search["name"] == "Searches you make on the platform"
    assert edited_search["retentionDays"] == 30
    assert edited["dataCategories"] == json.loads(
        (edited_inventory / CATEGORIES_FILE).read_text(encoding="utf-8")
    )
    assert original["dataCategories"] == shipped(CATEGORIES_FILE)
    assert edited["dataRecipients"] == original["dataRecipients"]
