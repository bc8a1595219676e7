"""Who reads each field of an account, for every kind of viewer, from one table.

The table is docs/spec/masking-and-viewers.md#reading-account-fields written out: every
field of every account type, the rule it declares, and who that lets read it. The fields
come from the schema, so a field added without a row here fails; `@sensitive` fields
(whose values the masking matrix tests) are here for their declared rule only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import pytest
from graphql import GraphQLObjectType, get_named_type, is_leaf_type
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from models import Account, AccountKind, EnterprisePermission, StaffMember
from resolvers.accounts.access import (
    BILLING,
    OWNER_AND_STAFF,
    OWNER_STAFF_AND_MANAGERS,
    SUB_ACCOUNT_LISTERS,
    ReadRule,
)
from schema import schema
from schema.access import read_rule
from schema.sensitive import Sensitive
from tests.helpers import graphql
from tests.schema.masking.helpers import ACCOUNT_TYPES, create_subject
from tests.support.api import Api
from tests.support.factories import create_account
from tests.support.ids import global_id
from tests.support.staff import create_staff
from tests.support.viewers import sign_in


class Viewer(StrEnum):
    """Each kind of viewer (docs/spec/masking-and-viewers.md#relations); members of an
    enterprise without permissions, with MANAGE_BILLING, and with VIEW_SUB_ACCOUNTS."""

    SELF = "SELF"
    ENTERPRISE_MANAGER = "ENTERPRISE_MANAGER"
    ENTERPRISE_MEMBER = "ENTERPRISE_MEMBER"
    MEMBER_WITH_MANAGE_BILLING = "MEMBER_WITH_MANAGE_BILLING"
    MEMBER_WITH_VIEW_SUB_ACCOUNTS = "MEMBER_WITH_VIEW_SUB_ACCOUNTS"
    STAFF = "STAFF"
    OTHER = "OTHER"


MEMBERS = {
    Viewer.ENTERPRISE_MEMBER,
    Viewer.MEMBER_WITH_MANAGE_BILLING,
    Viewer.MEMBER_WITH_VIEW_SUB_ACCOUNTS,
}
# The kinds of account each viewer looks at: a manager at a sub-account, a member at its
# enterprise.
SUBJECT_KINDS = {
    Viewer.SELF: list(AccountKind),
    Viewer.ENTERPRISE_MANAGER: [AccountKind.SUB_ACCOUNT],
    **dict.fromkeys(MEMBERS, [AccountKind.ENTERPRISE]),
    Viewer.STAFF: list(AccountKind),
    Viewer.OTHER: list(AccountKind),
}

EVERYONE = "everyone who reaches the account"
# Who each declared rule lets read (staff here work no data request).
READERS: dict[ReadRule | str, set[Viewer]] = {
    EVERYONE: set(Viewer) - {Viewer.OTHER},
    OWNER_AND_STAFF: {Viewer.SELF, Viewer.STAFF},
    OWNER_STAFF_AND_MANAGERS: {Viewer.SELF, Viewer.STAFF, Viewer.ENTERPRISE_MANAGER},
    BILLING: {Viewer.SELF, Viewer.STAFF, Viewer.MEMBER_WITH_MANAGE_BILLING},
    SUB_ACCOUNT_LISTERS: {Viewer.SELF, Viewer.STAFF, Viewer.MEMBER_WITH_VIEW_SUB_ACCOUNTS},
}


@dataclass(frozen=True)
class Row:
    rule: ReadRule | str
    # Narrower than the rule where the field's own body asks more: searchHistory is
    # every entry a search query, which staff read only while working a request.
    readers: frozenset[Viewer] | None = None

    def who(self) -> set[Viewer]:
        return set(self.readers) if self.readers is not None else READERS[self.rule]


ANYONE = Row(EVERYONE)
OWN = Row(OWNER_AND_STAFF)
MANAGED = Row(OWNER_STAFF_AND_MANAGERS)
TABLE: dict[str, Row] = {
    "id": ANYONE,
    "kind": ANYONE,
    "status": ANYONE,
    "displayName": ANYONE,
    "avatarUrl": ANYONE,
    "createdAt": ANYONE,
    # @sensitive: who reads the value is the masking matrix's.
    "phone": ANYONE,
    "email": ANYONE,
    "birthDate": OWN,
    "profile": MANAGED,
    "security": OWN,
    "identities": OWN,
    "verifications": OWN,
    "bankCards": Row(BILLING),
    "consents": OWN,
    "devicePermissions": OWN,
    "policyStatus": OWN,
    "searchHistory": Row(OWNER_AND_STAFF, frozenset({Viewer.SELF})),
    "notifications": OWN,
    "securityIncidents": OWN,
    "dataRequests": OWN,
    "sessions": OWN,
    "loginHistory": OWN,
    "accessLog": OWN,
    "guardianConsent": OWN,
    "businessName": ANYONE,
    "urToken": ANYONE,
    "companyName": ANYONE,
    "subAccounts": Row(SUB_ACCOUNT_LISTERS),
    "enterprise": MANAGED,
    "role": MANAGED,
    "permissions": MANAGED,
    "lastLoginAt": MANAGED,
    "phoneProven": MANAGED,
    "emailProven": MANAGED,
}


def account_fields() -> list[tuple[str, str, Any]]:
    found = []
    for type_name in ACCOUNT_TYPES.values():
        graphql_type = schema._schema.type_map[type_name]
        assert isinstance(graphql_type, GraphQLObjectType)
        found.extend((type_name, name, field) for name, field in graphql_type.fields.items())
    return found


def is_sensitive(field: Any) -> bool:
    definition = field.extensions["strawberry-definition"]
    return any(isinstance(d, Sensitive) for d in definition.directives)


def test_every_account_field_has_a_row_and_declares_its_rule() -> None:
    for type_name, name, field in account_fields():
        assert name in TABLE, f"{type_name}.{name} has no row in the table"
        declared = read_rule(field.extensions["strawberry-definition"])
        expected = TABLE[name].rule
        assert (declared or EVERYONE) == expected, f"{type_name}.{name} declares {declared}"
    named = {name for _, name, _ in account_fields()}
    assert sorted(set(TABLE) - named) == [], "rows naming no field"


def selection(field: Any) -> str:
    return "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"


def readable_fields(type_name: str) -> list[tuple[str, Any]]:
    return [(n, f) for t, n, f in account_fields() if t == type_name and not is_sensitive(f)]


CASES = [
    pytest.param(viewer, kind, id=f"{viewer}-{ACCOUNT_TYPES[kind]}")
    for viewer in Viewer
    for kind in SUBJECT_KINDS[viewer]
]


async def viewer_token(
    db: AsyncSession,
    services: AuthServices,
    now: datetime,
    viewer: Viewer,
    subject: Account,
    enterprise: Account,
) -> str:
    permissions = {
        Viewer.MEMBER_WITH_MANAGE_BILLING: [EnterprisePermission.MANAGE_BILLING.value],
        Viewer.MEMBER_WITH_VIEW_SUB_ACCOUNTS: [EnterprisePermission.VIEW_SUB_ACCOUNTS.value],
    }
    who: Account | StaffMember
    if viewer is Viewer.SELF:
        who = subject
    elif viewer is Viewer.ENTERPRISE_MANAGER:
        who = enterprise
    elif viewer in MEMBERS:
        who = await create_account(
            db,
            kind=AccountKind.SUB_ACCOUNT,
            display_name="Member",
            created_at=now,
            enterprise=enterprise,
            permissions=permissions.get(viewer, []),
        )
    elif viewer is Viewer.STAFF:
        who = await create_staff(db, now)
    else:
        who = await create_account(db, display_name="Stranger", created_at=now)
    if isinstance(who, StaffMember):
        return await sign_in(db, services, now, staff=who)
    return await sign_in(db, services, now, account=who)


@pytest.mark.parametrize(("viewer", "kind"), CASES)
async def test_each_viewer_reads_what_the_table_says(
    api: Api,
    viewer: Viewer,
    kind: AccountKind,
) -> None:
    now = api.clock()
    enterprise = await create_subject(api.db, AccountKind.ENTERPRISE, now)
    subject = (
        enterprise
        if kind is AccountKind.ENTERPRISE
        else await create_subject(
            api.db, kind, now, enterprise=enterprise if kind is AccountKind.SUB_ACCOUNT else None
        )
    )
    token = await viewer_token(api.db, api.services, now, viewer, subject, enterprise)
    type_name = ACCOUNT_TYPES[kind]
    fields = readable_fields(type_name)
    query = (
        f'{{ node(id: "{global_id(subject)}") {{ ... on {type_name} {{ '
        + " ".join(f"{name}{selection(field)}" for name, field in fields)
        + " } } }"
    )

    body = await graphql(api.client, query, token=token)

    if viewer is Viewer.OTHER:
        assert body == {"data": {"node": None}}
        return
    refused = sorted(name for name, _ in fields if viewer not in TABLE[name].who())
    errors = body.get("errors", [])
    assert sorted(e["path"][-1] for e in errors) == refused
    assert {e["extensions"]["code"] for e in errors} <= {"FORBIDDEN"}
    assert all(e["path"] == ["node", e["path"][-1]] for e in errors)
    node = body["data"]["node"]
    assert node is not None
    assert [name for name in refused if node[name] is not None] == []
    assert sorted(node) == sorted(name for name, _ in fields)
