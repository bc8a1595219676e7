"""The personal-information inventory, read from three JSON files operators can edit.

``data-categories.json`` lists what the platform collects; ``data-recipients.json`` lists
who receives it. Both are arrays of objects whose camelCase keys match the GraphQL
``DataCategory`` and ``DataRecipient`` fields. ``privacy-contact.json`` is one object: who
processes the data and how to reach its personal-information protection officer
(GraphQL ``privacyContact``), and the ``regulator`` sentence every refusal of a rights
request ends with. The shipped copies live in ``data/`` next to
this module; an operator changes them by copying the folder and pointing
``GATEWAY_INVENTORY_DIR`` at the copy.

The inventory is what people are told about their data, so a mistake in it is a wrong
statement to them. ``load_inventory`` therefore refuses anything doubtful rather than
guess, and raises ``InventoryError`` naming the file and, for a problem in one entry, its
array index and key or name (JSON syntax errors give the line and column). The rules:

Shape
  - Each file holds a JSON array of objects. JSON that repeats a field inside one object,
    or uses ``NaN``/``Infinity``, is refused.
  - Every object has exactly the documented fields: none missing, none unknown. Fields
    that may be empty (``consentPurpose``, ``retentionDays``) are written as ``null``
    rather than left out, so that leaving one out by mistake is caught.
  - Text fields are non-blank strings; ``sensitive`` and ``requiresSeparateConsent`` are
    booleans; ``retentionDays`` is ``null`` (kept while the account exists) or a whole
    number of days, at least 1 (0 would have the retention job delete data as it comes).
  - ``legalBasis`` is one of ``LegalBasis``; ``consentPurpose`` is ``null`` or one of
    ``ConsentPurpose``.
  - Category keys are snake_case and unique; recipient names are unique. The category
    list is never empty (a gateway that collects nothing is a broken file); the
    recipient list may be.

Legal basis and consent
  - CONSENT needs a consent purpose, and not one of the purposes that need separate
    consent; SEPARATE_CONSENT needs one of those. Conversely a purpose that needs separate
    consent only appears on a SEPARATE_CONSENT category.
  - CONTRACT and LEGAL_OBLIGATION categories may link an ordinary consent purpose: the
    data is needed to provide the service or meet the law, and the linked purpose
    governs an optional extra collection or use the person can switch off (browsing
    logs, needed to browse, feed recommendations only while PERSONALIZED_RECOMMENDATIONS
    is granted).
  - A sensitive category is either collected with separate consent under one of the
    ``SENSITIVE_*`` purposes, or required by law (LEGAL_OBLIGATION) with no consent
    purpose, since no consent can be withdrawn there. A ``SENSITIVE_*`` purpose only
    appears on a sensitive category.

Recipients
  - ``dataCategories`` is a non-empty list of existing category keys, without repeats.
  - A recipient of any category collected with separate consent must itself require
    separate consent: the consent given for collection does not cover passing the data on.

Contact
  - Exactly the fields ``organisation``, ``email``, ``phone``, ``address``,
    ``officerName``, ``officerEmail``, ``regulator``; ``phone`` and ``address`` may be
    ``null``, the others are non-blank text, and both e-mail fields valid addresses.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, TypeVar

from auth.contacts import parse_email
from models import SEPARATE_CONSENT_PURPOSES, ConsentPurpose

DEFAULT_DIR: Final = Path(__file__).with_name("data")
CATEGORIES_FILE: Final = "data-categories.json"
RECIPIENTS_FILE: Final = "data-recipients.json"
CONTACT_FILE: Final = "privacy-contact.json"

# Purposes whose data is sensitive personal information, by the enum's naming convention;
# THIRD_PARTY_SHARING needs separate consent too but is about passing data on, not its kind.
SENSITIVE_PURPOSES: Final = frozenset(p for p in ConsentPurpose if p.startswith("SENSITIVE_"))

_KEY = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

_T = TypeVar("_T", bound=StrEnum)


class LegalBasis(StrEnum):
    CONSENT = "CONSENT"
    SEPARATE_CONSENT = "SEPARATE_CONSENT"
    CONTRACT = "CONTRACT"
    LEGAL_OBLIGATION = "LEGAL_OBLIGATION"


@dataclass(frozen=True)
class DataCategory:
    """One kind of personal information; ``retention_days`` None: kept while the account exists."""

    key: str
    name: str
    description: str
    purpose: str
    legal_basis: LegalBasis
    sensitive: bool
    consent_purpose: ConsentPurpose | None
    retention_days: int | None
    retention: str = ""


@dataclass(frozen=True)
class DataRecipient:
    """A partner or SDK that receives personal information, and which categories of it."""

    name: str
    kind: str
    purpose: str
    data_categories: tuple[str, ...]
    requires_separate_consent: bool


@dataclass(frozen=True)
class PrivacyContact:
    """Who processes the data, its protection officer, and where to complain."""

    organisation: str
    email: str
    phone: str | None
    address: str | None
    officer_name: str
    officer_email: str
    regulator: str


@dataclass(frozen=True)
class Inventory:
    categories: tuple[DataCategory, ...]
    recipients: tuple[DataRecipient, ...]
    contact: PrivacyContact

    def category(self, key: str) -> DataCategory:
        """The category with this key; KeyError if there is none."""
        for category in self.categories:
            if category.key == key:
                return category
        raise KeyError(key)


class InventoryError(ValueError):
    """The inventory files are missing, malformed or contradict themselves."""


def load_inventory(directory: Path = DEFAULT_DIR) -> Inventory:
    """Read and check the files in ``directory``; see the module docstring for the rules."""
    categories_path = directory / CATEGORIES_FILE
    recipients_path = directory / RECIPIENTS_FILE
    contact_path = directory / CONTACT_FILE
    categories = _parse_categories(categories_path, _read_array(categories_path))
    recipients = _parse_recipients(
        recipients_path, _read_array(recipients_path), {c.key: c for c in categories}
    )
    contact = _parse_contact(contact_path, _read_json(contact_path))
    return Inventory(categories=categories, recipients=recipients, contact=contact)


# --- reading ------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _read_array(path: Path) -> list[Any]:
    data = _read_json(path)
    if not isinstance(data, list):
        raise InventoryError(f"{path}: must hold a JSON array, found {_json_type(data)}")
    return data


def _read_json(path: Path) -> Any:
    def unique_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for name, value in pairs:
            if name in fields:
                raise ValueError(f'field "{name}" appears twice in one object')
            fields[name] = value
        return fields

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise InventoryError(f"{path}: is not UTF-8 text ({exc.reason})") from exc
    try:
        data = json.loads(text, object_pairs_hook=unique_fields, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InventoryError(
            f"{path}: is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except ValueError as exc:
        raise InventoryError(f"{path}: {exc}") from exc
    return data


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class _Entry:
    """One object of a file, with the label every error about it starts with."""

    def __init__(self, path: Path, index: int | None, raw: object, fields: tuple[str, ...]) -> None:
        self.label = f"{path}: entry [{index}]" if index is not None else str(path)
        if not isinstance(raw, dict):
            raise self.error(f"must be an object, found {_json_type(raw)}")
        self.raw: Mapping[str, Any] = raw
        # Name the entry by its identifying field as soon as it is readable, so that later
        # messages say which category or recipient is wrong, not only where it sits.
        ident = raw.get(fields[0])
        if isinstance(ident, str) and ident.strip():
            self.label += f" ({fields[0]} {ident!r})"
        missing = [f for f in fields if f not in raw]
        if missing:
            raise self.error(f"missing field(s) {_names(missing)}")
        unknown = sorted(set(raw) - set(fields))
        if unknown:
            raise self.error(
                f"unknown field(s) {_names(unknown)}; expected exactly {_names(fields)}"
            )

    def error(self, message: str) -> InventoryError:
        return InventoryError(f"{self.label}: {message}")

    def text(self, name: str) -> str:
        value = self.raw[name]
        if not isinstance(value, str):
            raise self.error(f'"{name}" must be a string, found {_json_type(value)}')
        if not value.strip():
            raise self.error(f'"{name}" must not be blank')
        return value

    def optional_text(self, name: str) -> str | None:
        return None if self.is_null(name) else self.text(name)

    def email(self, name: str) -> str:
        value = self.text(name)
        if parse_email(value) is None:
            raise self.error(f'"{name}" must be an e-mail address, found {value!r}')
        return value

    def flag(self, name: str) -> bool:
        value = self.raw[name]
        if not isinstance(value, bool):
            raise self.error(f'"{name}" must be true or false, found {_json_type(value)}')
        return value

    def choice(self, name: str, enum: type[_T]) -> _T:
        value = self.raw[name]
        allowed = ", ".join(member.value for member in enum)
        if not isinstance(value, str):
            raise self.error(f'"{name}" must be one of {allowed}, found {_json_type(value)}')
        try:
            return enum(value)
        except ValueError:
            raise self.error(f'"{name}" must be one of {allowed}, found {value!r}') from None

    def is_null(self, name: str) -> bool:
        return self.raw[name] is None

    def days(self, name: str) -> int:
        value = self.raw[name]
        # bool is an int in Python, and 180.0 would hide a typo; accept whole JSON integers only.
        if type(value) is not int:
            raise self.error(f'"{name}" must be a whole number of days or null, found {value!r}')
        if value < 1:
            raise self.error(f'"{name}" must be at least 1 day (or null), found {value}')
        return value


def _names(fields: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f'"{f}"' for f in fields)


# --- categories ---------------------------------------------------------------------

_CATEGORY_FIELDS: Final = (
    "key",
    "name",
    "description",
    "purpose",
    "legalBasis",
    "sensitive",
    "consentPurpose",
    "retentionDays",
    "retention",
)


def _parse_categories(path: Path, raw: list[Any]) -> tuple[DataCategory, ...]:
    if not raw:
        raise InventoryError(f"{path}: lists no categories")
    categories: list[DataCategory] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        entry = _Entry(path, index, item, _CATEGORY_FIELDS)
        key = entry.text("key")
        if not _KEY.fullmatch(key):
            raise entry.error(
                f'"key" must be snake_case (a-z, 0-9, single underscores), found {key!r}'
            )
        if key in seen:
            raise entry.error(f"duplicate key {key!r}; keys must be unique")
        seen.add(key)
        category = DataCategory(
            key=key,
            name=entry.text("name"),
            description=entry.text("description"),
            purpose=entry.text("purpose"),
            legal_basis=entry.choice("legalBasis", LegalBasis),
            sensitive=entry.flag("sensitive"),
            consent_purpose=(
                None
                if entry.is_null("consentPurpose")
                else entry.choice("consentPurpose", ConsentPurpose)
            ),
            retention_days=None if entry.is_null("retentionDays") else entry.days("retentionDays"),
            retention=entry.text("retention"),
        )
        problem = _consent_problem(category)
        if problem:
            raise entry.error(problem)
        categories.append(category)
    return tuple(categories)


def _consent_problem(category: DataCategory) -> str | None:
    """Why the basis, purpose and sensitivity contradict each other, if they do."""
    basis, purpose = category.legal_basis, category.consent_purpose
    separate = purpose in SEPARATE_CONSENT_PURPOSES
    if basis is LegalBasis.CONSENT and (purpose is None or separate):
        return (
            "legalBasis CONSENT needs a consentPurpose that does not need separate consent"
            f" (found {purpose})"
        )
    if basis is LegalBasis.SEPARATE_CONSENT and not separate:
        allowed = ", ".join(sorted(SEPARATE_CONSENT_PURPOSES))
        return (
            f"legalBasis SEPARATE_CONSENT needs a consentPurpose among {allowed} (found {purpose})"
        )
    if separate and basis is not LegalBasis.SEPARATE_CONSENT:
        return f"consentPurpose {purpose} needs separate consent, so legalBasis must be SEPARATE_CONSENT (found {basis})"
    if category.sensitive:
        if basis is LegalBasis.SEPARATE_CONSENT and purpose not in SENSITIVE_PURPOSES:
            return f"a sensitive category collected with separate consent needs a SENSITIVE_* consentPurpose (found {purpose})"
        if basis is LegalBasis.LEGAL_OBLIGATION and purpose is not None:
            return f"a sensitive category held under LEGAL_OBLIGATION has no consent to withdraw, so consentPurpose must be null (found {purpose})"
        if basis not in (LegalBasis.SEPARATE_CONSENT, LegalBasis.LEGAL_OBLIGATION):
            return f"a sensitive category needs legalBasis SEPARATE_CONSENT or LEGAL_OBLIGATION (found {basis})"
    elif purpose in SENSITIVE_PURPOSES:
        return f"consentPurpose {purpose} is for sensitive information, so sensitive must be true"
    return None


# --- recipients ---------------------------------------------------------------------

_RECIPIENT_FIELDS: Final = (
    "name",
    "kind",
    "purpose",
    "dataCategories",
    "requiresSeparateConsent",
)


def _parse_recipients(
    path: Path, raw: list[Any], categories: Mapping[str, DataCategory]
) -> tuple[DataRecipient, ...]:
    recipients: list[DataRecipient] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        entry = _Entry(path, index, item, _RECIPIENT_FIELDS)
        name = entry.text("name")
        if name in seen:
            raise entry.error(f"duplicate name {name!r}; recipient names must be unique")
        seen.add(name)
        keys = _category_keys(entry, categories)
        requires_separate_consent = entry.flag("requiresSeparateConsent")
        separate = [k for k in keys if categories[k].legal_basis is LegalBasis.SEPARATE_CONSENT]
        if separate and not requires_separate_consent:
            raise entry.error(
                f"receives {', '.join(separate)}, collected with separate consent,"
                " so requiresSeparateConsent must be true"
            )
        recipients.append(
            DataRecipient(
                name=name,
                kind=entry.text("kind"),
                purpose=entry.text("purpose"),
                data_categories=keys,
                requires_separate_consent=requires_separate_consent,
            )
        )
    return tuple(recipients)


def _category_keys(entry: _Entry, categories: Mapping[str, DataCategory]) -> tuple[str, ...]:
    value = entry.raw["dataCategories"]
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise entry.error('"dataCategories" must be an array of category keys')
    if not value:
        raise entry.error('"dataCategories" must name at least one category')
    keys: list[str] = value
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise entry.error(f'"dataCategories" names {", ".join(repeated)} more than once')
    unknown = [k for k in keys if k not in categories]
    if unknown:
        raise entry.error(
            f'"dataCategories" names {", ".join(repr(k) for k in unknown)},'
            f" not a key in {CATEGORIES_FILE}"
        )
    return tuple(keys)


# --- contact ------------------------------------------------------------------------

_CONTACT_FIELDS: Final = (
    "organisation",
    "email",
    "phone",
    "address",
    "officerName",
    "officerEmail",
    "regulator",
)


def _parse_contact(path: Path, raw: Any) -> PrivacyContact:
    if not isinstance(raw, dict):
        raise InventoryError(f"{path}: must hold a JSON object, found {_json_type(raw)}")
    entry = _Entry(path, None, raw, _CONTACT_FIELDS)
    return PrivacyContact(
        organisation=entry.text("organisation"),
        email=entry.email("email"),
        phone=entry.optional_text("phone"),
        address=entry.optional_text("address"),
        officer_name=entry.text("officerName"),
        officer_email=entry.email("officerEmail"),
        regulator=entry.text("regulator"),
    )


@functools.cache
def shipped_inventory() -> Inventory:
    """The inventory shipped with the gateway, read once per process."""
    return load_inventory()
