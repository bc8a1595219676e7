"""The personal-information inventory: the shipped files, and the checks on edited copies.

The shipped files are what people are told about their data, so the first half pins the
statements docs/spec/privacy-centre.md#the-personal-data-inventory and
docs/spec/rights.md#retention require of them. The second half breaks copies of
the files in every way the loader refuses and checks that the error says which file and
which entry to fix.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from models import SEPARATE_CONSENT_PURPOSES, ConsentPurpose
from resolvers.privacy.inventory import (
    CATEGORIES_FILE,
    DEFAULT_DIR,
    RECIPIENTS_FILE,
    SENSITIVE_PURPOSES,
    Inventory,
    InventoryError,
    LegalBasis,
    load_inventory,
)

# Every kind of personal information the privacy policy names
# (docs/spec/privacy-centre.md#the-personal-data-inventory), plus
# what the gateway itself holds: date of birth, guardians, the public profile and the
# short-lived codes and sign-in states, consent records, messages, rights requests,
# incident notices, privacy events and what a cancelled account leaves behind.
REQUIRED_KEYS = [
    "phone_and_sms_code",
    "third_party_account",
    "registration_data",
    "password",
    "bound_email",
    "industry_profile",
    "real_name",
    "student",
    "bank_card",
    "search_history",
    "design_projects",
    "marketing_tools",
    "orders_and_payment",
    "activity_logs",
    "infringement_notices",
    "device_and_access_logs",
    "customer_service",
    "cookies",
    "one_time_codes",
    "public_profile",
    "minors_guardian",
    "date_of_birth",
    "consent_records",
    "notifications",
    "rights_requests",
    "security_incident_notices",
    "privacy_events",
    "cancelled_account_logs",
]


@pytest.fixture(scope="module")
def shipped() -> Inventory:
    return load_inventory()


# --- the shipped files ----------------------------------------------------------------


def test_the_shipped_files_load_from_the_package(shipped: Inventory) -> None:
    assert DEFAULT_DIR.name == "data"
    assert DEFAULT_DIR.parent.name == "privacy"
    assert shipped.categories
    assert shipped.recipients
    assert load_inventory(DEFAULT_DIR) == shipped


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_every_required_category_is_listed(shipped: Inventory, key: str) -> None:
    category = shipped.category(key)
    assert category.key == key
    for text in (category.name, category.description, category.purpose, category.retention):
        assert text.strip()


def test_an_unknown_key_is_a_key_error(shipped: Inventory) -> None:
    with pytest.raises(KeyError):
        shipped.category("shoe_size")


@pytest.mark.parametrize(
    ("key", "basis", "sensitive", "purpose"),
    [
        ("real_name", LegalBasis.SEPARATE_CONSENT, True, ConsentPurpose.SENSITIVE_REAL_NAME),
        ("student", LegalBasis.SEPARATE_CONSENT, True, ConsentPurpose.SENSITIVE_STUDENT),
        ("bank_card", LegalBasis.SEPARATE_CONSENT, True, ConsentPurpose.SENSITIVE_BANK_CARD),
        ("search_history", LegalBasis.CONSENT, False, ConsentPurpose.SEARCH_HISTORY),
        ("public_profile", LegalBasis.CONSENT, False, ConsentPurpose.PUBLIC_PROFILE),
        ("minors_guardian", LegalBasis.LEGAL_OBLIGATION, True, None),
        ("device_and_access_logs", LegalBasis.LEGAL_OBLIGATION, False, None),
        ("one_time_codes", LegalBasis.CONTRACT, False, None),
        ("password", LegalBasis.CONTRACT, False, None),
    ],
)
def test_key_categories_have_the_required_basis(
    shipped: Inventory,
    key: str,
    basis: LegalBasis,
    sensitive: bool,
    purpose: ConsentPurpose | None,
) -> None:
    category = shipped.category(key)
    assert (category.legal_basis, category.sensitive, category.consent_purpose) == (
        basis,
        sensitive,
        purpose,
    )


@pytest.mark.parametrize(
    ("key", "purpose"),
    [
        ("marketing_tools", ConsentPurpose.MARKETING_TOOLS_TRACKING),
        ("cookies", ConsentPurpose.ANALYTICS_COOKIES),
        ("activity_logs", ConsentPurpose.PERSONALIZED_RECOMMENDATIONS),
    ],
)
def test_optional_uses_are_tied_to_their_consent(
    shipped: Inventory, key: str, purpose: ConsentPurpose
) -> None:
    assert shipped.category(key).consent_purpose is purpose


@pytest.mark.parametrize(
    ("key", "days"),
    [
        ("search_history", 180),
        ("device_and_access_logs", 180),
        ("one_time_codes", 1),
        ("real_name", 30),
        ("student", 30),
        ("notifications", 90),
        ("rights_requests", 1095),
        ("privacy_events", 30),
        ("cancelled_account_logs", 184),
    ],
)
def test_retention_matches_the_retention_job(shipped: Inventory, key: str, days: int) -> None:
    assert shipped.category(key).retention_days == days


def test_sensitive_categories_rest_on_separate_consent_or_the_law(shipped: Inventory) -> None:
    sensitive = [c for c in shipped.categories if c.sensitive]
    assert {c.key for c in sensitive} >= {"real_name", "student", "bank_card", "minors_guardian"}
    for category in sensitive:
        if category.consent_purpose is None:
            assert category.legal_basis is LegalBasis.LEGAL_OBLIGATION, category.key
        else:
            assert category.consent_purpose in SENSITIVE_PURPOSES, category.key
            assert category.legal_basis is LegalBasis.SEPARATE_CONSENT, category.key


def test_every_consent_purpose_says_what_it_covers(shipped: Inventory) -> None:
    """A person switching a purpose on or off can see which data or flow it governs.

    THIRD_PARTY_SHARING is about passing data on, not a kind of data: it is carried by the
    recipients that need separate consent although nothing they receive was collected
    with it (the affiliates). Every other purpose is linked from at least one category.
    """
    linked = {c.consent_purpose for c in shipped.categories} - {None}
    assert linked == set(ConsentPurpose) - {ConsentPurpose.THIRD_PARTY_SHARING}

    sharing = [
        r
        for r in shipped.recipients
        if r.requires_separate_consent
        and not any(
            shipped.category(k).legal_basis is LegalBasis.SEPARATE_CONSENT
            for k in r.data_categories
        )
    ]
    assert [r.kind for r in sharing] == ["Affiliate"]


def test_every_recipient_names_existing_categories(shipped: Inventory) -> None:
    keys = {c.key for c in shipped.categories}
    for recipient in shipped.recipients:
        assert recipient.data_categories, recipient.name
        assert set(recipient.data_categories) <= keys, recipient.name


def test_recipients_cover_the_partners_the_policy_names(shipped: Inventory) -> None:
    by_name = {r.name: r for r in shipped.recipients}
    assert by_name.keys() >= {"WeChat Login", "WeChat Pay", "Alipay", "UnionPay"}
    assert by_name["WeChat Login"].kind == "Third-party login"
    assert {by_name[n].kind for n in ("WeChat Pay", "Alipay", "UnionPay")} == {"Payment channel"}
    kinds = {r.kind for r in shipped.recipients}
    assert kinds >= {"SMS gateway", "Identity verification", "Affiliate"}


def test_recipients_of_sensitive_or_shared_data_need_separate_consent(
    shipped: Inventory,
) -> None:
    for recipient in shipped.recipients:
        received = [shipped.category(k) for k in recipient.data_categories]
        collected_with_separate_consent = any(
            c.consent_purpose in SEPARATE_CONSENT_PURPOSES for c in received
        )
        if collected_with_separate_consent or recipient.kind == "Affiliate":
            assert recipient.requires_separate_consent, recipient.name
    verifier = next(r for r in shipped.recipients if r.kind == "Identity verification")
    assert set(verifier.data_categories) == {"real_name", "student"}


# --- broken copies --------------------------------------------------------------------

Entry = dict[str, Any]


def _shipped_entries(file: str) -> list[Entry]:
    entries: list[Entry] = json.loads((DEFAULT_DIR / file).read_text(encoding="utf-8"))
    return entries


def _index(file: str, field: str, value: str) -> int:
    return next(i for i, e in enumerate(_shipped_entries(file)) if e[field] == value)


def _copy(tmp_path: Path) -> Path:
    directory = tmp_path / "inventory"
    shutil.copytree(DEFAULT_DIR, directory)
    return directory


def _refused_change(
    tmp_path: Path, file: str, field: str, value: str, change: Callable[[Entry], None]
) -> tuple[Entry, int, str]:
    """The inventory copied with `change` made to the entry of `file` whose `field` is
    `value`, which load_inventory refuses naming the file: the entry, its index, and the
    refusal's text."""
    directory = _copy(tmp_path)
    entries = _shipped_entries(file)
    index = _index(file, field, value)
    change(entries[index])
    (directory / file).write_text(json.dumps(entries), encoding="utf-8")

    with pytest.raises(InventoryError) as raised:
        load_inventory(directory)

    text = str(raised.value)
    assert str(directory / file) in text
    return entries[index], index, text


def _set(field: str, value: object) -> Callable[[Entry], None]:
    def change(entry: Entry) -> None:
        entry[field] = value

    return change


def _drop(field: str) -> Callable[[Entry], None]:
    def change(entry: Entry) -> None:
        del entry[field]

    return change


def _set_all(**fields: object) -> Callable[[Entry], None]:
    def change(entry: Entry) -> None:
        entry.update(fields)

    return change


CATEGORY_CASES = [
    ("missing field", "bank_card", _drop("retentionDays"), 'missing field(s) "retentionDays"'),
    ("missing retention text", "bank_card", _drop("retention"), 'missing field(s) "retention"'),
    ("blank retention text", "student", _set("retention", " "), '"retention" must not be blank'),
    ("retention text not a string", "student", _set("retention", 30), '"retention" must be a string'),
    ("unknown field", "bank_card", _set("owner", "finance"), 'unknown field(s) "owner"'),
    ("name not a string", "bank_card", _set("name", 42), '"name" must be a string'),
    ("blank description", "bank_card", _set("description", "  "), '"description" must not be blank'),
    ("sensitive not a boolean", "bank_card", _set("sensitive", "yes"), '"sensitive" must be true or false'),
    ("unknown legal basis", "password", _set("legalBasis", "CONSENTED"), '"legalBasis" must be one of'),
    ("legal basis not a string", "password", _set("legalBasis", 1), '"legalBasis" must be one of'),
    ("unknown consent purpose", "search_history", _set("consentPurpose", "SEARCHES"), '"consentPurpose" must be one of'),
    ("negative retention", "search_history", _set("retentionDays", -1), '"retentionDays" must be at least 1 day'),
    ("zero retention", "search_history", _set("retentionDays", 0), '"retentionDays" must be at least 1 day'),
    ("retention as text", "search_history", _set("retentionDays", "180"), '"retentionDays" must be a whole number'),
    ("fractional retention", "search_history", _set("retentionDays", 180.5), '"retentionDays" must be a whole number'),
    ("boolean retention", "search_history", _set("retentionDays", True), '"retentionDays" must be a whole number'),
    ("duplicate key", "bank_card", _set("key", "password"), "duplicate key 'password'"),
    ("key not snake_case", "bank_card", _set("key", "Bank-Card"), '"key" must be snake_case'),
    ("sensitive under contract", "bank_card", _set_all(legalBasis="CONTRACT", consentPurpose=None), "needs legalBasis SEPARATE_CONSENT or LEGAL_OBLIGATION"),
    ("sensitive under plain consent", "minors_guardian", _set_all(legalBasis="CONSENT", consentPurpose="TARGETED_PUSH"), "needs legalBasis SEPARATE_CONSENT or LEGAL_OBLIGATION"),
    ("sensitive by law with a consent", "minors_guardian", _set("consentPurpose", "TARGETED_PUSH"), "consentPurpose must be null"),
    ("sensitive under sharing consent", "bank_card", _set("consentPurpose", "THIRD_PARTY_SHARING"), "needs a SENSITIVE_* consentPurpose"),
    ("consent without a purpose", "search_history", _set("consentPurpose", None), "legalBasis CONSENT needs a consentPurpose"),
    ("consent with a separate purpose", "search_history", _set("consentPurpose", "SENSITIVE_STUDENT"), "legalBasis CONSENT needs a consentPurpose"),
    ("separate consent with an ordinary purpose", "bank_card", _set("consentPurpose", "SEARCH_HISTORY"), "legalBasis SEPARATE_CONSENT needs a consentPurpose among"),
    ("separate purpose under contract", "password", _set("consentPurpose", "THIRD_PARTY_SHARING"), "legalBasis must be SEPARATE_CONSENT"),
    ("sensitive purpose on ordinary data", "design_projects", _set_all(legalBasis="SEPARATE_CONSENT", consentPurpose="SENSITIVE_STUDENT"), "so sensitive must be true"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "change", "message"),
    [pytest.param(key, change, message, id=case) for case, key, change, message in CATEGORY_CASES],
)
def test_a_broken_category_is_refused_naming_file_and_entry(
    tmp_path: Path, key: str, change: Callable[[Entry], None], message: str
) -> None:
    entry, index, text = _refused_change(tmp_path, CATEGORIES_FILE, "key", key, change)

    assert f"entry [{index}]" in text
    if isinstance(entry.get("key"), str):
        assert repr(entry["key"]) in text
    assert message in text


RECIPIENT_CASES = [
    ("missing field", "UnionPay", _drop("kind"), 'missing field(s) "kind"'),
    ("unknown field", "UnionPay", _set("country", "CN"), 'unknown field(s) "country"'),
    ("unknown category", "UnionPay", _set("dataCategories", ["bank_card", "shoe_size"]), "names 'shoe_size', not a key in data-categories.json"),
    ("no categories", "UnionPay", _set("dataCategories", []), "must name at least one category"),
    ("categories not a list", "UnionPay", _set("dataCategories", "bank_card"), "must be an array of category keys"),
    ("category not a string", "UnionPay", _set("dataCategories", ["bank_card", 7]), "must be an array of category keys"),
    ("repeated category", "UnionPay", _set("dataCategories", ["bank_card", "bank_card"]), "names bank_card more than once"),
    ("flag not a boolean", "UnionPay", _set("requiresSeparateConsent", 1), '"requiresSeparateConsent" must be true or false'),
    ("sensitive data without separate consent", "UnionPay", _set("requiresSeparateConsent", False), "requiresSeparateConsent must be true"),
    ("duplicate name", "Alipay", _set("name", "WeChat Pay"), "duplicate name 'WeChat Pay'"),
    ("blank purpose", "Alipay", _set("purpose", ""), '"purpose" must not be blank'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        pytest.param(name, change, message, id=case)
        for case, name, change, message in RECIPIENT_CASES
    ],
)
def test_a_broken_recipient_is_refused_naming_file_and_entry(
    tmp_path: Path, name: str, change: Callable[[Entry], None], message: str
) -> None:
    entry, index, text = _refused_change(tmp_path, RECIPIENTS_FILE, "name", name, change)

    assert f"entry [{index}] (name {entry['name']!r})" in text
    assert message in text


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        pytest.param(CATEGORIES_FILE, "{}", "must hold a JSON array, found an object", id="object"),
        pytest.param(RECIPIENTS_FILE, '"none"', "must hold a JSON array, found a string", id="string"),
        pytest.param(CATEGORIES_FILE, "[", "is not valid JSON (line 1", id="truncated"),
        pytest.param(CATEGORIES_FILE, "[]", "lists no categories", id="no-categories"),
        pytest.param(RECIPIENTS_FILE, "[NaN]", "NaN is not a number JSON allows", id="nan"),
        pytest.param(
            RECIPIENTS_FILE,
            '[{"name": "A", "name": "B"}]',
            'field "name" appears twice in one object',
            id="repeated-field",
        ),
        pytest.param(RECIPIENTS_FILE, '["WeChat"]', "entry [0]: must be an object", id="entry-not-object"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_refused_naming_it(
    tmp_path: Path, file: str, content: str, message: str
) -> None:
    directory = _copy(tmp_path)
    (directory / file).write_text(content, encoding="utf-8")

    with pytest.raises(InventoryError) as raised:
        load_inventory(directory)

    assert str(raised.value).startswith(f"{directory / file}: ")
    assert message in str(raised.value)


@pytest.mark.parametrize("file", [CATEGORIES_FILE, RECIPIENTS_FILE])
def test_a_missing_file_is_refused_naming_it(tmp_path: Path, file: str) -> None:
    directory = _copy(tmp_path)
    (directory / file).unlink()

    with pytest.raises(InventoryError, match="cannot be read") as raised:
        load_inventory(directory)

    assert str(directory / file) in str(raised.value)


def test_an_empty_recipient_list_is_allowed(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / RECIPIENTS_FILE).write_text("[]", encoding="utf-8")

    inventory = load_inventory(directory)

    assert inventory.recipients == ()
    assert inventory.categories == load_inventory().categories


def test_an_edited_copy_is_what_loads(tmp_path: Path) -> None:
    """Operators change the inventory by editing a copy of the folder, without code."""
    directory = _copy(tmp_path)
    entries = _shipped_entries(CATEGORIES_FILE)
    entries[_index(CATEGORIES_FILE, "key", "search_history")]["retentionDays"] = 90
    (directory / CATEGORIES_FILE).write_text(json.dumps(entries), encoding="utf-8")

    assert load_inventory(directory).category("search_history").retention_days == 90
    assert load_inventory().category("search_history").retention_days == 180
