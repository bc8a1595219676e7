"""exportMyData over HTTP (docs/spec/rights.md#the-export).

Completeness is tested by construction: every table whose rows refer to an account is
found in the metadata, filled with one row of distinctive values, and every value
stored in it must come back in the export. A table added later is filled and looked
for in the same way, without touching this file; a column of a type the row factory
does not know fails the test until it learns it.
"""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy import Enum as EnumType

from auth.passwords import hash_password
from models import Account, AccountKind, AccountStatus, AuthSession, Base, SearchEntry
from models.base import UTCDateTime
from models.encryption import Encrypted, encrypted_attributes
from models.export import SCHEMA_VERSION, exported_models
from tests.helpers import graphql
from tests.resolvers.rights.helpers import create_person, staff_token, stepped_up_session
from tests.support.api import Api
from tests.support.assertions import STEP_UP_REQUIRED
from tests.support.refusals import ACCOUNTS_ONLY, answer, forbidden, unauthenticated
from tests.support.viewers import PASSWORD, step_up_with_password

EXPORT = """
mutation { exportMyData { export generatedAt userErrors { field code message } } }
"""
ACCESS_LOG = """
query {
  viewer { account { accessLog(first: 50) { edges { node { at actorKind actorName field reason } } } } }
}
"""
EXPORT_REASON = "Copy of personal data (exportMyData)"
EXPORTED_KINDS = [
    "PHONE",
    "EMAIL",
    "PERSON_NAME",
    "ID_NUMBER",
    "BANK_CARD",
    "OPEN_ID",
    "IP_ADDRESS",
]

# Realistic clear values of the sealed attributes known today; one added later gets a
# distinctive made-up value instead.
SEALED_SAMPLES = {
    ("accounts", "phone"): "+8613812345678",
    ("accounts", "email"): "export.person@example.com",
    ("third_party_identities", "open_id"): "oExportOpenId0001",
    ("third_party_identities", "union_id"): "uExportUnionId0001",
    ("real_name_verifications", "real_name"): "张三丰",
    ("real_name_verifications", "id_number"): "11010519491231002X",
    ("student_verifications", "real_name"): "李小龙",
    ("student_verifications", "id_number"): "110105200501010016",
    ("student_verifications", "verification_code"): "STUDENTCODE123",
    ("bank_cards", "card_number"): "6222020200112345679",
    ("bank_cards", "holder_name"): "王五",
    ("guardian_consents", "guardian_name"): "赵六",
    ("guardian_consents", "guardian_phone"): "+8613600136000",
    ("login_events", "ip_address"): "203.0.113.77",
    ("search_entries", "query"): "export search about posters",
    ("email_confirmations", "email"): "pending.address@example.com",
    ("data_requests", "details"): "Please send me everything you hold.",
}
# What the export leaves out: hashes of secrets. Anything stored under such a column
# must not appear in the export at all.
SECRET_SUFFIX = "_hash"


def refers_to_accounts(model: type[Any]) -> bool:
    return any(
        fk.column.table.name == "accounts"
        for column in model.__table__.columns
        for fk in column.foreign_keys
    )


def models_referring_to_accounts() -> list[type[Any]]:
    """Found in the metadata, not from a hand-kept list: the accounts table and every
    table with a column that refers to it."""
    return sorted(
        (
            mapper.class_
            for mapper in Base.registry.mappers
            if refers_to_accounts(mapper.class_) or mapper.class_ is Account
        ),
        key=lambda model: model.__tablename__,
    )


class RowFactory:
    """Distinctive values for every column of a row, by column type."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.base_time = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
        # Rows a required link of another row needed (one per table), made on demand.
        self.parents: dict[str, Any] = {}

    def parent(self, table: Any, account: Account | None) -> Any:
        if table.name not in self.parents:
            model = next(m.class_ for m in Base.registry.mappers if m.local_table is table)
            self.parents[table.name] = self.fill(model, account)
        return self.parents[table.name]

    def value(self, model: type[Any], key: str, column: Any, account: Account | None) -> Any:
        n = next(self.counter)
        for fk in column.foreign_keys:
            if fk.column.table.name == "accounts":
                # The owner; an enterprise link on the account itself stays empty.
                return account.id if account is not None and key != "enterprise_id" else None
            if column.nullable:
                return None
            return self.parent(fk.column.table, account).id
        kind = column.type
        if isinstance(kind, EnumType) and kind.enum_class is not None:
            members = list(kind.enum_class)
            return members[n % len(members)]
        if isinstance(kind, UTCDateTime):
            return self.base_time + timedelta(hours=n, seconds=n)
        if isinstance(kind, Date):
            return date(1990, 1, 1) + timedelta(days=n)
        if isinstance(kind, Boolean):
            return n % 2 == 0
        if isinstance(kind, Uuid):
            return uuid.UUID(int=900_000 + n)
        if isinstance(kind, Integer):
            return 7000 + n
        if isinstance(kind, LargeBinary):
            return f"{model.__tablename__}.{key}#{n}".encode().ljust(32, b"#")[:32]
        if isinstance(kind, JSON):
            return [f"{key}-{n}", f"{key}-{n}-more"]
        if isinstance(kind, String | Text):
            text = f"{key}~{n}"
            length = getattr(kind, "length", None)
            if length is not None and len(text) > length:
                text = f"{n:0{length}d}"
            return text
        raise TypeError(f"{model.__tablename__}.{key}: no sample value for {kind!r}")

    def fill(self, model: type[Any], account: Account | None, **given: Any) -> Any:
        """A row of `model` with every column set, sealed attributes through their setter."""
        sealed = encrypted_attributes(model)
        set_by_setter = {a.column for a in sealed} | {a.index for a in sealed if a.index}
        values: dict[str, Any] = {}
        for attribute in model.__mapper__.column_attrs:
            column = attribute.columns[0]
            if column.primary_key or attribute.key in set_by_setter or attribute.key in given:
                continue
            values[attribute.key] = self.value(model, attribute.key, column, account)
        row = model(**values, **given)
        for attribute in sealed:
            setattr(row, attribute.name, self.sealed_value(model, attribute))
        return row

    def sealed_value(self, model: type[Any], attribute: Encrypted) -> str:
        sample = SEALED_SAMPLES.get((model.__tablename__, attribute.name))
        return sample or f"sealed-{model.__tablename__}.{attribute.name}-{next(self.counter)}"


def as_json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def leaves(value: Any) -> Iterator[str]:
    """Every scalar in a JSON value, as JSON text (so that true and 1 stay apart)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield json.dumps(value, ensure_ascii=False)


def records(value: Any) -> Iterator[dict[str, Any]]:
    """Every flat object in a JSON value: one stored row each."""
    if isinstance(value, dict):
        if not any(isinstance(item, dict) for item in value.values()):
            yield value
        for item in value.values():
            yield from records(item)
    elif isinstance(value, list):
        for item in value:
            yield from records(item)


def stored_values(row: Any) -> tuple[set[str], set[str]]:
    """The row's personal values as the export should show them, and its secrets' forms."""
    model = type(row)
    sealed = encrypted_attributes(model)
    blobs = {a.column for a in sealed} | {a.index for a in sealed if a.index}
    personal: set[str] = set()
    secrets: set[str] = set()
    for attribute in model.__mapper__.column_attrs:
        value = getattr(row, attribute.key)
        if attribute.key.endswith(SECRET_SUFFIX):
            if isinstance(value, bytes):
                secrets |= {
                    value.hex(),
                    base64.b64encode(value).decode(),
                    base64.urlsafe_b64encode(value).decode(),
                }
            elif value:
                secrets.add(str(value))
            continue
        if attribute.key in blobs or value is None:
            continue
        personal |= set(leaves(as_json(value)))
    personal |= {
        json.dumps(getattr(row, a.name), ensure_ascii=False)
        for a in sealed
        if getattr(row, a.name) is not None
    }
    return personal, secrets


async def test_the_export_holds_every_value_stored_about_the_account(api: Api) -> None:
    factory = RowFactory()
    person = factory.fill(Account, None, kind=AccountKind.INDIVIDUAL, status=AccountStatus.ACTIVE)
    api.db.add(person)
    await api.db.flush()
    rows: list[Any] = [person]
    for model in models_referring_to_accounts():
        if model is not Account and model.__tablename__ not in factory.parents:
            rows.append(factory.fill(model, person))
    rows.extend(factory.parents.values())
    # Someone else's row, which must stay out of this export.
    other = await create_person(
        api.db, api.clock(), phone="+8613900139000", email="other@example.com"
    )
    stranger = SearchEntry(account_id=other.id, created_at=api.clock())
    stranger.query = "somebody else's search"
    # Parents before the rows that link to them.
    order = {table.name: n for n, table in enumerate(Base.metadata.sorted_tables)}
    for row in sorted([*rows[1:], stranger], key=lambda row: order[type(row).__tablename__]):
        api.db.add(row)
        await api.db.flush()
    # The password the session steps up with, stored as a hash the export leaves out.
    person.password_hash = await hash_password(PASSWORD)
    token = await api.sign_in(account=person)
    session_id = api.services.tokens.verify_access(token, api.clock()).session_id
    rows.append(await api.db.get(AuthSession, session_id))
    await step_up_with_password(api.client, token)

    body = await graphql(api.client, EXPORT, token=token)

    payload = body["data"]["exportMyData"]
    assert payload["userErrors"] == []
    assert payload["generatedAt"] == api.clock().isoformat()
    document = payload["export"]
    assert document["schemaVersion"] == SCHEMA_VERSION == 1
    text = json.dumps(document, ensure_ascii=False)
    found = [set(leaves(record)) for record in records(document)]
    for row in rows:
        if type(row) is not Account and not refers_to_accounts(type(row)):
            continue  # a row another one links to (an incident), not the person's own
        personal, secrets = stored_values(row)
        table = type(row).__tablename__
        assert any(personal <= record for record in found), (
            f"{table}: not exported together: {sorted(personal - set(leaves(document)))}"
        )
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"{table}: a secret's hash is in the export"
    assert person.password_hash is not None
    assert person.password_hash not in text
    assert "somebody else's search" not in text
    assert str(other.id) not in text


def test_the_export_walks_every_table_that_refers_to_an_account() -> None:
    found = {model.__tablename__ for model in models_referring_to_accounts()} - {"accounts"}

    assert {model.__tablename__ for model in exported_models()} == found
    assert {"access_log_entries", "auth_sessions", "bank_cards", "search_entries"} <= found


async def test_the_export_needs_step_up(api: Api, person: Account) -> None:
    token = await api.sign_in(account=person)

    body = await graphql(api.client, EXPORT, token=token)

    assert body == {
        "data": {
            "exportMyData": {"export": None, "generatedAt": None, "userErrors": [STEP_UP_REQUIRED]}
        }
    }
    access_log = await graphql(api.client, ACCESS_LOG, token=token)
    assert access_log["data"]["viewer"]["account"]["accessLog"]["edges"] == []


async def test_the_export_is_written_to_the_access_log(api: Api) -> None:
    person = await create_person(api.db, api.clock(), display_name="Zhang San")
    token = await stepped_up_session(api, person)

    body = await graphql(api.client, EXPORT, token=token)

    assert body["data"]["exportMyData"]["userErrors"] == []
    assert body["data"]["exportMyData"]["export"]["account"]["phone"] == "+8613812345678"
    access_log = await graphql(api.client, ACCESS_LOG, token=token)
    entries = [
        edge["node"] for edge in access_log["data"]["viewer"]["account"]["accessLog"]["edges"]
    ]
    assert sorted(entries, key=lambda entry: entry["field"]) == [
        {
            "at": api.clock().isoformat(),
            "actorKind": "SELF",
            "actorName": "Zhang San",
            "field": field,
            "reason": EXPORT_REASON,
        }
        for field in sorted(EXPORTED_KINDS)
    ]
    assert "exportMyData" in EXPORT_REASON


async def test_staff_and_anonymous_callers_have_no_export(api: Api) -> None:
    token = await staff_token(api, stepped_up=True)

    assert await answer(api.client, EXPORT, token=token) == forbidden("exportMyData", ACCOUNTS_ONLY)
    assert await answer(api.client, EXPORT) == unauthenticated("exportMyData")


async def test_a_minor_awaiting_guardian_consent_may_export(api: Api) -> None:
    person = await create_person(api.db, api.clock(), status=AccountStatus.PENDING_GUARDIAN_CONSENT)
    token = await stepped_up_session(api, person)

    body = await graphql(api.client, EXPORT, token=token)

    payload = body["data"]["exportMyData"]
    assert payload["userErrors"] == []
    assert payload["export"]["account"]["status"] == "PENDING_GUARDIAN_CONSENT"
