"""Every `@sensitive` field, for every viewer relation, with and without reveal and step-up.

The cases come from the schema itself: a sensitive field added without test data or a
known way to reach its type fails here. What each case must answer comes from a table
written below from docs/spec/masking-and-viewers.md#reading-account-fields and
docs/spec/masking-and-viewers.md#sensitive-fields, not from the code's policy table
(auth/policy.py): staff read a person's fields only while the person has an open request
whose type needs them, and every staff read, masked or clear, is logged with that
request as its reason.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType, is_non_null_type
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from models import (
    Account,
    AccountKind,
    DataRequest,
    DataRequestStatus,
    DataRequestType,
    EnterprisePermission,
    SensitiveKind,
    StaffMember,
)
from resolvers.global_id import to_global_id
from schema import schema
from schema.sensitive import Sensitive
from tests.helpers import graphql
from tests.schema.masking.helpers import (
    ACCESS_LOG_QUERY,
    ACCOUNT_TYPES,
    PASSWORD,
    SAMPLES,
    access_log_count,
    add_personal_rows,
    clear,
    create_subject,
    enterprise_and_member,
    masked,
    missing_id,
    nest,
    open_request,
    refusal,
)
from tests.support.api import Api
from tests.support.assertions import without_locations
from tests.support.factories import create_account
from tests.support.ids import global_id
from tests.support.staff import create_staff
from tests.support.viewers import sign_in

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema.graphql"


# --- the cases, from the schema ----------------------------------------------------


@dataclass(frozen=True)
class SensitiveField:
    type_name: str
    name: str
    kind: SensitiveKind
    takes_reveal: bool
    non_null: bool

    def __str__(self) -> str:
        return f"{self.type_name}.{self.name}"


def sensitive_fields(*, interfaces: bool = False) -> list[SensitiveField]:
    """Every field of the executable schema that carries `@sensitive`."""
    found = []
    kinds = (GraphQLInterfaceType,) if interfaces else (GraphQLObjectType,)
    for type_name, graphql_type in sorted(schema._schema.type_map.items()):
        if type_name.startswith("__") or not isinstance(graphql_type, kinds):
            continue
        for name, field in graphql_type.fields.items():
            definition = field.extensions.get("strawberry-definition")
            for directive in getattr(definition, "directives", ()):
                if isinstance(directive, Sensitive):
                    found.append(
                        SensitiveField(
                            type_name,
                            name,
                            directive.kind,
                            "reveal" in field.args,
                            is_non_null_type(field.type),
                        )
                    )
    return found


class Relation(StrEnum):
    """The viewer's relation to the account (docs/spec/masking-and-viewers.md#relations).
    A member also with MANAGE_BILLING, which opens its enterprise's bank cards; staff
    without an open data request of the account, with one of a type that only needs to
    reach the person (a consent change), and with one that concerns everything held (a
    copy)."""

    SELF = "SELF"
    ENTERPRISE_MANAGER = "ENTERPRISE_MANAGER"
    ENTERPRISE_MEMBER = "ENTERPRISE_MEMBER"
    ENTERPRISE_MEMBER_WITH_MANAGE_BILLING = "ENTERPRISE_MEMBER_WITH_MANAGE_BILLING"
    STAFF = "STAFF"
    STAFF_WITH_NARROW_REQUEST = "STAFF_WITH_NARROW_REQUEST"
    STAFF_WITH_OPEN_REQUEST = "STAFF_WITH_OPEN_REQUEST"
    OTHER = "OTHER"


STAFF_RELATIONS = {
    Relation.STAFF,
    Relation.STAFF_WITH_NARROW_REQUEST,
    Relation.STAFF_WITH_OPEN_REQUEST,
}
# The request each staff relation works on; a consent change needs only what reaches the
# person and what the request says.
REQUEST_TYPES = {
    Relation.STAFF_WITH_NARROW_REQUEST: DataRequestType.CONSENT_CHANGE,
    Relation.STAFF_WITH_OPEN_REQUEST: DataRequestType.ACCESS_COPY,
}
NARROW_KINDS = {SensitiveKind.PHONE, SensitiveKind.EMAIL, SensitiveKind.REQUEST_DETAILS}


# The account kinds a subject can have for each relation
# (docs/spec/masking-and-viewers.md#relations): a
# manager looks at a sub-account, a member at its enterprise.
SUBJECT_KINDS = {
    Relation.SELF: list(AccountKind),
    Relation.ENTERPRISE_MANAGER: [AccountKind.SUB_ACCOUNT],
    Relation.ENTERPRISE_MEMBER: [AccountKind.ENTERPRISE],
    Relation.ENTERPRISE_MEMBER_WITH_MANAGE_BILLING: [AccountKind.ENTERPRISE],
    Relation.STAFF: list(AccountKind),
    Relation.STAFF_WITH_NARROW_REQUEST: list(AccountKind),
    Relation.STAFF_WITH_OPEN_REQUEST: list(AccountKind),
    Relation.OTHER: list(AccountKind),
}
# For types other than accounts, the subject's kind: the first one that fits.
PREFERRED_KINDS = [
    AccountKind.INDIVIDUAL,
    AccountKind.SUB_ACCOUNT,
    AccountKind.ENTERPRISE,
    AccountKind.BUSINESS,
]


@dataclass(frozen=True)
class Location:
    """How an object of a type is reached from the account it describes."""

    selection: str  # the selection under the account, `{}` standing for the field
    path: tuple[str | int, ...]  # from the account to the object
    # Where the null of a refused non-null field lands: the nearest nullable holder.
    nulls: tuple[str | int, ...] = ()
    # How many objects the list at the path's index holds (the same value in each).
    items: int = 1
    # A field on the way that only some relations read: its index in `path`, and them.
    guard: tuple[int, frozenset[Relation]] | None = None


ACCOUNT_LOCATION = Location("{}", ())
LOCATIONS = {
    **dict.fromkeys(ACCOUNT_TYPES.values(), ACCOUNT_LOCATION),
    "ThirdPartyIdentity": Location("identities {{ {} }}", ("identities", 0)),
    "RealNameVerification": Location(
        "verifications {{ realName {{ {} }} }}", ("verifications", "realName")
    ),
    "StudentVerification": Location(
        "verifications {{ student {{ {} }} }}",
        ("verifications", "student"),
        nulls=("verifications", "student"),
    ),
    "BankCard": Location("bankCards {{ {} }}", ("bankCards", 0), nulls=("bankCards",)),
    "GuardianConsent": Location("guardianConsent {{ {} }}", ("guardianConsent",)),
    "LoginEvent": Location(
        "loginHistory {{ edges {{ node {{ {} }} }} }}", ("loginHistory", "edges", 0, "node")
    ),
    "SearchEntry": Location(
        "searchHistory(first: 1) {{ edges {{ node {{ {} }} }} }}",
        ("searchHistory", "edges", 0, "node"),
        nulls=("searchHistory",),
    ),
    # The account's two sessions: the tests sign every account in with and without step-up.
    "Session": Location("sessions {{ {} }}", ("sessions", 0), items=2),
    "DataRequest": Location(
        "dataRequests(first: 1) {{ edges {{ node {{ {} }} }} }}",
        ("dataRequests", "edges", 0, "node"),
    ),
    # Who filed a request for the account: staff only, and only while that request is
    # open (here it is answered, so the values stay closed even to staff).
    "DataRequestRequester": Location(
        "dataRequests(first: 1) {{ edges {{ node {{ requester {{ {} }} }} }} }}",
        ("dataRequests", "edges", 0, "node", "requester"),
        guard=(4, frozenset(STAFF_RELATIONS)),
    ),
}


def has_field(type_name: str, field: str) -> bool:
    graphql_type = schema._schema.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    return field in graphql_type.fields


@dataclass(frozen=True)
class Case:
    field: SensitiveField
    relation: Relation
    subject_kind: AccountKind

    def __str__(self) -> str:
        return f"{self.field}-{self.relation}"

    @property
    def subject_type(self) -> str:
        return ACCOUNT_TYPES[self.subject_kind]

    @property
    def location(self) -> Location:
        return LOCATIONS[self.field.type_name]


def subject_kind(field: SensitiveField, relation: Relation) -> AccountKind | None:
    """The kind of account whose field `relation` looks at; None where none can have it."""
    if field.type_name in ACCOUNT_TYPES.values():
        kind = next(k for k, name in ACCOUNT_TYPES.items() if name == field.type_name)
        return kind if kind in SUBJECT_KINDS[relation] else None
    container = LOCATIONS[field.type_name].path[0]
    assert isinstance(container, str)
    for kind in PREFERRED_KINDS:
        if kind in SUBJECT_KINDS[relation] and has_field(ACCOUNT_TYPES[kind], container):
            return kind
    return None


def cases() -> list[Case]:
    found = []
    for field in sensitive_fields():
        for relation in Relation:
            kind = subject_kind(field, relation)
            if kind is not None:
                found.append(Case(field, relation, kind))
    return found


# --- what each case must answer: docs/spec/masking-and-viewers.md, written out ------

MASKED = "MASKED"
CLEAR = "CLEAR"
FORBIDDEN = "FORBIDDEN"
STEP_UP_REQUIRED = "STEP_UP_REQUIRED"

STAFF_AND_SELF = {Relation.SELF, *STAFF_RELATIONS}
# docs/spec/masking-and-viewers.md#reading-account-fields: who reads the fields of an
# account that hold its personal data objects.
READERS = {
    "identities": STAFF_AND_SELF,
    "verifications": STAFF_AND_SELF,
    "bankCards": {*STAFF_AND_SELF, Relation.ENTERPRISE_MEMBER_WITH_MANAGE_BILLING},
    "loginHistory": STAFF_AND_SELF,
    "guardianConsent": STAFF_AND_SELF,
    # Every entry is a search query: staff without a request that needs them are refused
    # the list itself.
    "searchHistory": {Relation.SELF, Relation.STAFF_WITH_OPEN_REQUEST},
    "sessions": STAFF_AND_SELF,
    "dataRequests": STAFF_AND_SELF,
}

# docs/spec/masking-and-viewers.md#sensitive-fields, one row per relation: (without
# reveal, reveal without step-up, reveal with step-up). A member reads none of its
# enterprise's contact or identity data, and its bank cards only with MANAGE_BILLING, as
# the owner sees them (docs/spec/masking-and-viewers.md#reading-account-fields). Staff
# reveal only while the account has a data request open; without one, reveal is refused
# whatever the step-up.
# OWN: the holder reads what they typed as they typed it, with or without reveal, and
# nothing is logged.
OWN = "OWN"

_FORBIDDEN_ALWAYS = (FORBIDDEN, FORBIDDEN, FORBIDDEN)
_STEP_UP = (MASKED, STEP_UP_REQUIRED, CLEAR)
_MASKED_ALWAYS = (MASKED, MASKED, MASKED)
CONTACT = {
    Relation.SELF: _STEP_UP,
    Relation.ENTERPRISE_MANAGER: _STEP_UP,
    Relation.ENTERPRISE_MEMBER: _FORBIDDEN_ALWAYS,
    Relation.ENTERPRISE_MEMBER_WITH_MANAGE_BILLING: _FORBIDDEN_ALWAYS,
    Relation.STAFF: _FORBIDDEN_ALWAYS,
    Relation.STAFF_WITH_OPEN_REQUEST: _STEP_UP,
    Relation.OTHER: _FORBIDDEN_ALWAYS,
}
IDENTITY = {
    Relation.SELF: _STEP_UP,
    Relation.ENTERPRISE_MANAGER: _FORBIDDEN_ALWAYS,
    Relation.ENTERPRISE_MEMBER: _FORBIDDEN_ALWAYS,
    Relation.ENTERPRISE_MEMBER_WITH_MANAGE_BILLING: _FORBIDDEN_ALWAYS,
    Relation.STAFF: _FORBIDDEN_ALWAYS,
    Relation.STAFF_WITH_OPEN_REQUEST: _STEP_UP,
    Relation.OTHER: _FORBIDDEN_ALWAYS,
}
BANK_CARD = {
    Relation.SELF: _MASKED_ALWAYS,
    Relation.ENTERPRISE_MANAGER: _FORBIDDEN_ALWAYS,
    Relation.ENTERPRISE_MEMBER: _MASKED_ALWAYS,
    Relation.ENTERPRISE_MEMBER_WITH_MANAGE_BILLING: _MASKED_ALWAYS,
    Relation.STAFF: _FORBIDDEN_ALWAYS,
    Relation.STAFF_WITH_OPEN_REQUEST: _MASKED_ALWAYS,
    Relation.OTHER: _FORBIDDEN_ALWAYS,
}
# What the person typed or did: theirs as they gave it, masked to staff working a
# request that needs it, refused to everyone else.
HOLDER = {
    Relation.SELF: (OWN, OWN, OWN),
    Relation.ENTERPRISE_MANAGER: _FORBIDDEN_ALWAYS,
    Relation.ENTERPRISE_MEMBER: _FORBIDDEN_ALWAYS,
    Relation.ENTERPRISE_MEMBER_WITH_MANAGE_BILLING: _FORBIDDEN_ALWAYS,
    Relation.STAFF: _FORBIDDEN_ALWAYS,
    Relation.STAFF_WITH_OPEN_REQUEST: _STEP_UP,
    Relation.OTHER: _FORBIDDEN_ALWAYS,
}
EXPECTED = {
    SensitiveKind.PHONE: CONTACT,
    SensitiveKind.EMAIL: CONTACT,
    SensitiveKind.PERSON_NAME: IDENTITY,
    SensitiveKind.ID_NUMBER: IDENTITY,
    SensitiveKind.OPEN_ID: IDENTITY,
    SensitiveKind.IP_ADDRESS: IDENTITY,
    SensitiveKind.BANK_CARD: BANK_CARD,
    SensitiveKind.SEARCH_QUERY: HOLDER,
    SensitiveKind.BIRTH_DATE: HOLDER,
    SensitiveKind.SCHOOL: HOLDER,
    SensitiveKind.MAJOR: HOLDER,
    SensitiveKind.REQUEST_DETAILS: HOLDER,
    SensitiveKind.USER_AGENT: HOLDER,
}
ACTOR_KINDS = {
    Relation.SELF: "SELF",
    Relation.ENTERPRISE_MANAGER: "ENTERPRISE_MANAGER",
    Relation.STAFF_WITH_NARROW_REQUEST: "STAFF",
    Relation.STAFF_WITH_OPEN_REQUEST: "STAFF",
}
# Staff reveals give the data request they work on as reason.
REASONS = {
    Relation.SELF: "Viewed by the account holder",
    Relation.ENTERPRISE_MANAGER: "Enterprise sub-account administration",
}


def refused_container(case: Case) -> list[str | int] | None:
    """The path (from the account) of the field on the way that the viewer may not read."""
    location = case.location
    container = location.path[0] if location.path else None
    if container is not None and case.relation not in READERS[str(container)]:
        return [container]
    if location.guard is not None and case.relation not in location.guard[1]:
        return list(location.path[: location.guard[0] + 1])
    return None


def outcome(case: Case, *, reveal: bool, elevated: bool) -> str:
    """MASKED, CLEAR, OWN or the code of the refusal, for a viewer that reaches the object."""
    if refused_container(case) is not None:
        return FORBIDDEN
    if case.field.type_name == "DataRequestRequester":
        return FORBIDDEN  # the requester's request is answered: closed to everyone
    relation = case.relation
    if relation is Relation.STAFF_WITH_NARROW_REQUEST:
        narrow = case.field.kind in NARROW_KINDS
        relation = Relation.STAFF_WITH_OPEN_REQUEST if narrow else Relation.STAFF
    row = EXPECTED[case.field.kind][relation]
    return row[2 if reveal and elevated else 1 if reveal else 0]


def logged_view(case: Case, result: str) -> bool | None:
    """Whether a view was logged, and clear: True for a clear reveal, False for a staff
    member's masked read, None when nothing is logged."""
    if result == CLEAR:
        return True
    if result == MASKED and case.relation in STAFF_RELATIONS:
        return False
    return None


def spread(data: Any, items: int) -> Any:
    """`nest`'s one-item lists repeated to `items` items."""
    if isinstance(data, list):
        return [spread(item, items) for item in data] * items
    if isinstance(data, dict):
        return {key: spread(value, items) for key, value in data.items()}
    return data


def expected_body(case: Case, root: list[str | int], *, reveal: bool, elevated: bool) -> Any:
    location = case.location
    field_path = [*root, *location.path, case.field.name]
    result = outcome(case, reveal=reveal, elevated=elevated)
    if result == MASKED:
        value = masked(case.field.type_name, case.field.name)
        return {"data": spread(nest(field_path, value), location.items)}
    if result in (CLEAR, OWN):
        value = clear(case.field.type_name, case.field.name)
        return {"data": spread(nest(field_path, value), location.items)}
    container = refused_container(case)
    if container is not None:
        error_path = [*root, *container]
        return {"data": nest(error_path, None), "errors": [refusal(result, error_path)]}
    if case.field.non_null:
        # A refused non-null field nulls its nearest nullable holder.
        assert location.nulls, "a refused non-null field would null the account"
        return {
            "data": nest([*root, *location.nulls], None),
            "errors": [refusal(result, field_path)],
        }
    errors = [
        refusal(result, [i if isinstance(key, int) else key for key in field_path])
        for i in range(location.items)
    ]
    return {"data": spread(nest(field_path, None), location.items), "errors": errors}


def selection(case: Case, *, reveal: bool) -> str:
    field = case.field.name + ("(reveal: true)" if reveal else "")
    return f"... on {case.subject_type} {{ {case.location.selection.format(field)} }}"


def node_query(case: Case, *, reveal: bool) -> str:
    return f"query($id: ID!) {{ node(id: $id) {{ {selection(case, reveal=reveal)} }} }}"


def both_roots_query(case: Case, *, reveal: bool) -> str:
    fields = selection(case, reveal=reveal)
    return f"query($id: ID!) {{ node(id: $id) {{ {fields} }} account(id: $id) {{ {fields} }} }}"


# --- the world of the tests --------------------------------------------------------


@dataclass
class World:
    """An account of each kind (the sub-account belongs to the enterprise), a second
    sub-account with MANAGE_BILLING, a staff member and a stranger, each signed in twice:
    with and without step-up."""

    accounts: dict[AccountKind, Account]
    billing_member: Account
    staff: StaffMember
    stranger: Account
    tokens: dict[tuple[uuid.UUID, bool], str]  # by (viewer id, elevated)

    def subject(self, case: Case) -> Account:
        return self.accounts[case.subject_kind]

    def viewer(self, case: Case) -> Account | StaffMember:
        viewers: dict[Relation, Account | StaffMember] = {
            Relation.SELF: self.subject(case),
            Relation.ENTERPRISE_MANAGER: self.accounts[AccountKind.ENTERPRISE],
            Relation.ENTERPRISE_MEMBER: self.accounts[AccountKind.SUB_ACCOUNT],
            Relation.ENTERPRISE_MEMBER_WITH_MANAGE_BILLING: self.billing_member,
            Relation.STAFF: self.staff,
            Relation.STAFF_WITH_NARROW_REQUEST: self.staff,
            Relation.STAFF_WITH_OPEN_REQUEST: self.staff,
            Relation.OTHER: self.stranger,
        }
        return viewers[case.relation]

    def token(self, case: Case, *, elevated: bool) -> str:
        return self.tokens[(self.viewer(case).id, elevated)]

    def subject_token(self, case: Case) -> str:
        return self.tokens[(self.subject(case).id, False)]


async def build_world(
    db: AsyncSession, services: AuthServices, now: datetime, *, personal_rows: bool
) -> World:
    accounts: dict[AccountKind, Account] = {}
    for kind in (AccountKind.INDIVIDUAL, AccountKind.BUSINESS, AccountKind.ENTERPRISE):
        accounts[kind] = await create_subject(db, kind, now, with_password=True)
    accounts[AccountKind.SUB_ACCOUNT] = await create_subject(
        db,
        AccountKind.SUB_ACCOUNT,
        now,
        enterprise=accounts[AccountKind.ENTERPRISE],
        with_password=True,
    )
    if personal_rows:
        for variant, kind in enumerate(
            (AccountKind.INDIVIDUAL, AccountKind.ENTERPRISE, AccountKind.SUB_ACCOUNT)
        ):
            await add_personal_rows(db, accounts[kind], now, variant=variant)
    billing_member = await create_account(
        db,
        kind=AccountKind.SUB_ACCOUNT,
        display_name="Billing Member",
        created_at=now,
        enterprise=accounts[AccountKind.ENTERPRISE],
        permissions=[EnterprisePermission.MANAGE_BILLING.value],
    )
    staff = await create_staff(db, now)
    stranger = await create_account(db, display_name="Stranger", created_at=now)
    tokens = {}
    for viewer in [*accounts.values(), billing_member, stranger]:
        for elevated in (False, True):
            tokens[(viewer.id, elevated)] = await sign_in(
                db,
                services,
                now,
                account=viewer,
                elevated=elevated,
                user_agent=clear("Session", "userAgent"),
            )
    for elevated in (False, True):
        tokens[(staff.id, elevated)] = await sign_in(
            db, services, now, staff=staff, elevated=elevated
        )
    return World(accounts, billing_member, staff, stranger, tokens)


def actor_name(viewer: Account | StaffMember) -> str:
    return viewer.name if isinstance(viewer, StaffMember) else viewer.display_name


# --- the tests ---------------------------------------------------------------------


def test_the_schema_file_declares_the_same_sensitive_fields_as_the_code() -> None:
    declared = set()
    type_name = None
    for line in SCHEMA_FILE.read_text(encoding="utf-8").splitlines():
        opened = re.match(r"^type (\w+)\b", line)
        if opened:
            type_name = opened.group(1)
        marked = re.match(r"^\s+(\w+)(\(.*\))?: .* @sensitive\(kind: (\w+)\)", line)
        if marked and type_name is not None:
            declared.add((type_name, marked.group(1), marked.group(3)))
        if line.startswith("}"):
            type_name = None

    in_code = {(f.type_name, f.name, f.kind.value) for f in sensitive_fields()}

    assert declared == in_code
    assert len(in_code) == len(SAMPLES)


def test_every_sensitive_field_has_test_data_and_a_known_place() -> None:
    fields = sensitive_fields()

    assert {(f.type_name, f.name) for f in fields} == set(SAMPLES)
    assert {f.type_name for f in fields} <= set(LOCATIONS)
    # Only the bank card number has no clear form at all, so no reveal argument.
    assert [str(f) for f in fields if not f.takes_reveal] == ["BankCard.cardNumber"]


def test_an_interface_field_is_sensitive_in_every_implementation() -> None:
    implementations = {(f.type_name, f.name): f.kind for f in sensitive_fields()}
    for field in sensitive_fields(interfaces=True):
        interface = schema._schema.type_map[field.type_name]
        assert isinstance(interface, GraphQLInterfaceType)
        for implementation in schema._schema.get_implementations(interface).objects:
            assert implementations[(implementation.name, field.name)] is field.kind


def test_every_relation_is_tested_on_every_field_it_can_reach() -> None:
    by_field: dict[str, set[Relation]] = {}
    for case in cases():
        by_field.setdefault(str(case.field), set()).add(case.relation)

    assert len(by_field) == len(SAMPLES)
    everyone = set(Relation)
    members = {Relation.ENTERPRISE_MEMBER, Relation.ENTERPRISE_MEMBER_WITH_MANAGE_BILLING}
    enterprise_relations = {Relation.ENTERPRISE_MANAGER, *members}
    assert by_field["IndividualAccount.phone"] == everyone - enterprise_relations
    assert by_field["SubAccount.email"] == everyone - members
    assert by_field["EnterpriseAccount.phone"] == everyone - {Relation.ENTERPRISE_MANAGER}
    assert by_field["GuardianConsent.guardianPhone"] == everyone - enterprise_relations
    assert by_field["BankCard.cardNumber"] == everyone
    assert by_field["LoginEvent.ipAddress"] == everyone


LOG_WITH_CLEAR = """
query($first: Int) {
  viewer {
    account { accessLog(first: $first) { edges { node { at actorKind actorName field reason clear } } } }
  }
}
"""
LOGIN = """
mutation($input: LoginWithPasswordInput!) {
  loginWithPassword(input: $input) { account { %s } userErrors { code } }
}
"""


@pytest.mark.parametrize("field", sensitive_fields(), ids=str)
async def test_a_sensitive_field_answers_each_viewer_what_the_rules_say(
    api: Api,
    field: SensitiveField,
) -> None:
    world = await build_world(
        api.db,
        api.services,
        api.clock(),
        personal_rows=field.type_name not in ACCOUNT_TYPES.values(),
    )
    field_cases = [case for case in cases() if case.field == field]
    reveals = (False, True) if field.takes_reveal else (False,)

    for case in (c for c in field_cases if c.relation is not Relation.OTHER):
        subject = world.subject(case)
        reason = REASONS.get(case.relation)
        worked_on: DataRequest | None = None
        if case.relation is Relation.STAFF:
            # Closed requests of the account, and an open one of another, do not count.
            for status in (DataRequestStatus.FULFILLED, DataRequestStatus.WITHDRAWN):
                await open_request(api.db, subject, api.clock(), status=status)
            await open_request(api.db, world.stranger, api.clock())
        if case.relation in REQUEST_TYPES:
            worked_on = await open_request(
                api.db, subject, api.clock(), type=REQUEST_TYPES[case.relation]
            )
            reason = to_global_id("DataRequest", worked_on.id)
        for reveal in reveals:
            for elevated in (False, True):
                context = (case.relation, reveal, elevated)
                logged_before = await access_log_count(api.db, subject)

                body = await graphql(
                    api.client,
                    node_query(case, reveal=reveal),
                    {"id": global_id(subject)},
                    token=world.token(case, elevated=elevated),
                )

                expected = expected_body(case, ["node"], reveal=reveal, elevated=elevated)
                assert without_locations(body) == expected, context
                view = logged_view(case, outcome(case, reveal=reveal, elevated=elevated))
                logged = await access_log_count(api.db, subject) - logged_before
                # Each clear reveal is an entry; a staff member's masked reads of one kind
                # for one request are one entry per response.
                clear_entries = case.location.items if view else 1
                assert logged == (0 if view is None else clear_entries), context
                if view is not None:
                    log = await graphql(
                        api.client, LOG_WITH_CLEAR, {"first": 1}, token=world.subject_token(case)
                    )
                    entries = log["data"]["viewer"]["account"]["accessLog"]["edges"]
                    assert [edge["node"] for edge in entries] == [
                        {
                            "at": api.clock().isoformat(),
                            "actorKind": ACTOR_KINDS[case.relation],
                            "actorName": actor_name(world.viewer(case)),
                            "field": field.kind.value,
                            "reason": reason,
                            "clear": view,
                        }
                    ], context
                api.clock.advance(seconds=1)
        if worked_on is not None:
            # Closed, so that the next staff relation works on its own request alone.
            worked_on.status = DataRequestStatus.FULFILLED
            await api.db.commit()

    # OTHER reaches no account through node(id:) or account(id:): null, exactly as for
    # an ID that names no account, with and without reveal and step-up.
    (other,) = (c for c in field_cases if c.relation is Relation.OTHER)
    subject = world.subject(other)
    logged_before = await access_log_count(api.db, subject)
    unreachable = {"data": {"node": None, "account": None}}
    missing = await graphql(
        api.client, both_roots_query(other, reveal=False), {"id": missing_id(subject)}
    )
    assert missing == unreachable
    for reveal in reveals:
        for token in (None, world.token(other, elevated=False), world.token(other, elevated=True)):
            query = both_roots_query(other, reveal=reveal)

            body = await graphql(api.client, query, {"id": global_id(subject)}, token=token)

            assert body == unreachable, (reveal, token is None)

    # Signing in answers the account, but the request itself is anonymous: OTHER reaches
    # the account there and is refused.
    login = {"login": clear(other.subject_type, "email"), "password": PASSWORD}
    error_path: list[str | int] = [
        "loginWithPassword",
        "account",
        *(other.location.path[:1] or (field.name,)),
    ]
    for reveal in reveals:
        body = await graphql(api.client, LOGIN % selection(other, reveal=reveal), {"input": login})

        assert without_locations(body) == {
            "data": {
                "loginWithPassword": {"account": nest(error_path[2:], None), "userErrors": []}
            },
            "errors": [refusal(FORBIDDEN, error_path)],
        }, reveal
    assert await access_log_count(api.db, subject) == logged_before


async def test_clear_reveals_are_logged_for_the_subject_newest_first_and_paged(api: Api) -> None:
    enterprise, member = await enterprise_and_member(api)
    manager = await api.sign_in(account=enterprise, elevated=True)
    own = await api.sign_in(account=member, elevated=True)
    member_id = global_id(member)
    reveals = [
        (manager, "phone", "ENTERPRISE_MANAGER", "Acme Enterprise"),
        (own, "email", "SELF", "Wang Member"),
        (manager, "email", "ENTERPRISE_MANAGER", "Acme Enterprise"),
    ]
    times = []
    for token, field, _, _ in reveals:
        times.append(api.clock().isoformat())
        body = await graphql(
            api.client,
            f"query($id: ID!) {{ node(id: $id) {{ ... on SubAccount {{ {field}(reveal: true) }} }} }}",
            {"id": member_id},
            token=token,
        )
        assert body == {"data": {"node": {field: clear("SubAccount", field)}}}
        api.clock.advance(seconds=30)

    first = await graphql(api.client, ACCESS_LOG_QUERY, {"first": 2}, token=own)
    page = first["data"]["viewer"]["account"]["accessLog"]
    rest = await graphql(
        api.client,
        ACCESS_LOG_QUERY,
        {"first": 2, "after": page["pageInfo"]["endCursor"]},
        token=own,
    )
    last = rest["data"]["viewer"]["account"]["accessLog"]

    expected = [
        {
            "at": at,
            "actorKind": actor_kind,
            "actorName": name,
            "field": field.upper(),
            "reason": REASONS[Relation(actor_kind)],
        }
        for at, (_, field, actor_kind, name) in reversed(list(zip(times, reveals, strict=True)))
    ]
    assert [edge["node"] for edge in page["edges"]] == expected[:2]
    assert page["pageInfo"]["hasNextPage"] is True
    assert [edge["node"] for edge in last["edges"]] == expected[2:]
    assert last["pageInfo"] == {"hasNextPage": False, "endCursor": last["edges"][-1]["cursor"]}
    # The manager reads the sub-account's phone and e-mail, not its access log.
    refused = await graphql(
        api.client,
        "query($id: ID!) { node(id: $id) { ... on SubAccount { accessLog { edges { cursor } } } } }",
        {"id": member_id},
        token=manager,
    )
    assert without_locations(refused) == {
        "data": {"node": {"accessLog": None}},
        "errors": [refusal(FORBIDDEN, ["node", "accessLog"])],
    }
