"""Callers, data and documents the back-office tests share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from graphql import FieldNode, OperationDefinitionNode, parse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import hash_password
from models import (
    AccessLogEntry,
    Account,
    AccountKind,
    AccountStatus,
    AuthSession,
    DataRequest,
    Notification,
    NotificationKind,
    StaffMember,
    StaffRole,
    SubAccountRole,
)
from tests.conftest import Clock
from tests.helpers import graphql, staff_code
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS, errors_of
from tests.support.factories import create_account, create_data_request
from tests.support.ids import global_id
from tests.support.staff import create_staff
from tests.support.viewers import ELEVATE, PASSWORD

UNAUTHENTICATED_BODY = {
    "errors": [
        {
            "message": "The bearer token is malformed, expired or revoked.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}
NOT_MANAGER = "Only the enterprise and its sub-account managers may do this."
NOT_GRANTABLE = "You may not grant a permission you do not hold."
NOT_ITSELF = "A sub-account may not change or remove itself."
NOT_ALLOWED = "You may not read this field."
SIGN_IN_FIRST = "Sign in first."
# The callers a manager's mutation refuses, each with the message and code it gets.
WITHOUT_THE_ROLE = pytest.mark.parametrize(
    ("viewer", "message", "code"),
    [
        ("member", NOT_MANAGER, "FORBIDDEN"),
        ("staff", NOT_MANAGER, "FORBIDDEN"),
        ("anonymous", SIGN_IN_FIRST, "UNAUTHENTICATED"),
    ],
    indirect=["viewer"],
)
STEP_UP_MESSAGE = "Confirm it is you (elevateSession), then ask again."
BAD_FIRST = "`first` must be between 1 and 100."
BAD_CURSOR = "`after` is not a cursor this API issued."
NOT_FOUND = {"field": ["id"], "code": "NOT_FOUND", "message": "No such sub-account."}
MANAGER_REASON = "Enterprise sub-account administration"


@dataclass(frozen=True)
class Caller:
    """A client signed in as one viewer (or anonymous, without a token)."""

    client: httpx.AsyncClient
    token: str | None
    account: Account | None = None
    staff_member: StaffMember | None = None

    @property
    def row(self) -> Account:
        assert self.account is not None
        return self.account

    @property
    def id(self) -> str:
        return global_id(self.row)

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        return await graphql(self.client, query, variables, token=self.token)


def sub_account_phone(number: int) -> str:
    """A valid mainland mobile number in E.164, one per `number`."""
    return f"+86136{number:08d}"


def masked_phone(e164: str) -> str:
    national = e164.removeprefix("+86")
    return f"{national[:3]}****{national[-4:]}"


def masked_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[0]}***@{domain}"


async def make_enterprise(
    db: AsyncSession, clock: Clock, name: str, email: str, number: int
) -> Account:
    enterprise = await create_account(
        db,
        kind=AccountKind.ENTERPRISE,
        display_name=name,
        company_name=f"{name} Co., Ltd.",
        created_at=clock.now - timedelta(days=30),
        password_hash=await hash_password(PASSWORD),
        accepted_policy_version="1.0",
        accepted_policy_at=clock.now - timedelta(days=30),
    )
    enterprise.email = email
    enterprise.phone = f"+86139{number:08d}"
    await db.flush()
    return enterprise


async def make_sub_account(
    db: AsyncSession,
    clock: Clock,
    enterprise: Account,
    name: str,
    *,
    number: int,
    role: str = "MEMBER",
    permissions: list[str] | None = None,
    age_minutes: float = 1,
    status: AccountStatus = AccountStatus.ACTIVE,
    password: bool = True,
) -> Account:
    """A sub-account with a phone and an e-mail derived from `number`."""
    account = await create_account(
        db,
        kind=AccountKind.SUB_ACCOUNT,
        display_name=name,
        enterprise=enterprise,
        created_at=clock.now - timedelta(minutes=age_minutes),
        role=SubAccountRole(role),
        permissions=sorted(permissions or []),
        status=status,
        password_hash=await hash_password(PASSWORD) if password else None,
    )
    account.phone = sub_account_phone(number)
    account.email = f"user{number}@{enterprise.display_name.split()[0].lower()}.example"
    await db.flush()
    return account


async def make_caller(api: Api, row: Account, *, stepped_up: bool = True) -> Caller:
    """A signed-in caller; stepped up unless told otherwise, as managers are before they
    disable, delete or re-permission a sub-account."""
    return Caller(api.client, await api.sign_in(account=row, elevated=stepped_up), account=row)


async def make_staff(api: Api) -> Caller:
    member = await create_staff(
        api.db, api.clock(), StaffRole.SUPPORT, name="Sam Support", email="sam@platform.example"
    )
    return Caller(api.client, await api.sign_in(staff=member), staff_member=member)


async def step_up(caller: Caller, password: str = PASSWORD) -> None:
    """elevateSession as the caller can: the password, or staff's authenticator code."""
    proof = (
        {"totp": staff_code(datetime.now(UTC))}
        if caller.staff_member is not None
        else {"password": password}
    )
    body = await caller(ELEVATE, input=proof)
    assert body["data"]["elevateSession"]["userErrors"] == [], body


def top_level_error(message: str, code: str, *path: str | int) -> dict[str, Any]:
    """An error as the response carries it, without its source locations."""
    return {"message": message, "path": list(path), "extensions": {"code": code}}


async def account_state(db: AsyncSession) -> list[tuple[Any, ...]]:
    """Every account row as stored, to show that a refused mutation changed nothing."""
    statement = select(
        Account.id,
        Account.kind,
        Account.status,
        Account.display_name,
        Account.enterprise_id,
        Account.role,
        Account.permissions,
        Account.phone_index,
        Account.email_index,
        Account.password_hash,
    ).order_by(Account.id)
    return [tuple(row) for row in (await db.execute(statement)).all()]


def root_field(operation: str) -> str:
    """The name of the one root field `operation` selects."""
    [definition] = parse(operation).definitions
    assert isinstance(definition, OperationDefinitionNode)
    [selection] = definition.selection_set.selections
    assert isinstance(selection, FieldNode)
    return selection.name.value


async def refused_at_root(
    db: AsyncSession, caller: Caller, mutation: str, input: dict[str, Any], message: str, code: str
) -> None:
    """`caller` sends `mutation` with `input`: refused at its root field with `message`
    and `code`, no data, and every account as it was."""
    before = await account_state(db)

    body = await caller(mutation, input=input)

    assert body["data"] is None
    assert errors_of(body) == [top_level_error(message, code, root_field(mutation))]
    assert await account_state(db) == before


async def changing_nothing(
    db: AsyncSession, caller: Caller, mutation: str, input: dict[str, Any]
) -> dict[str, Any]:
    """The answer to `caller`'s `mutation` with `input`, which must leave every account
    as it was."""
    before = await account_state(db)
    body = await caller(mutation, input=input)
    assert await account_state(db) == before
    return body


async def login(client: httpx.AsyncClient, login: str) -> dict[str, Any]:
    """loginWithPassword's payload for `login` with the test password."""
    body = await Caller(client, None)(LOGIN, input={"login": login, "password": PASSWORD})
    payload: dict[str, Any] = body["data"]["loginWithPassword"]
    return payload


async def stored(db: AsyncSession, account: Account) -> Account:
    """The account as the database holds it now (after the app's requests)."""
    await db.refresh(account)
    return account


async def live_sessions_of(db: AsyncSession, account: Account) -> int:
    statement = select(func.count()).where(
        AuthSession.account_id == account.id, AuthSession.revoked_at.is_(None)
    )
    return int(await db.scalar(statement) or 0)


async def access_log_count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(AccessLogEntry)) or 0)


SUB_ACCOUNT_FIELDS = """
  id kind status displayName avatarUrl phone email role permissions lastLoginAt
  enterprise { id }
"""
CREATE = f"""
mutation($input: CreateSubAccountInput!) {{
  createSubAccount(input: $input) {{ subAccount {{ {SUB_ACCOUNT_FIELDS} }} {USER_ERRORS} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateSubAccountInput!) {{
  updateSubAccount(input: $input) {{ subAccount {{ {SUB_ACCOUNT_FIELDS} }} {USER_ERRORS} }}
}}
"""
SET_STATUS = f"""
mutation($input: SetSubAccountStatusInput!) {{
  setSubAccountStatus(input: $input) {{ subAccount {{ {SUB_ACCOUNT_FIELDS} }} {USER_ERRORS} }}
}}
"""
DELETE = f"""
mutation($input: DeleteSubAccountInput!) {{
  deleteSubAccount(input: $input) {{ ok {USER_ERRORS} }}
}}
"""
LOGIN = f"""
mutation($input: LoginWithPasswordInput!) {{
  loginWithPassword(input: $input) {{
    accessToken account {{ __typename id }} {USER_ERRORS}
  }}
}}
"""
WHO_AM_I = "{ viewer { account { id status } } }"


def sub_account_view(
    account: Account,
    enterprise: Account,
    *,
    status: str = "ACTIVE",
    display_name: str | None = None,
    role: str | None = None,
    permissions: list[str] | None = None,
) -> dict[str, Any]:
    """A sub-account as a manager sees it with SUB_ACCOUNT_FIELDS: contacts masked."""
    assert account.phone is not None
    assert account.email is not None
    return {
        "id": global_id(account),
        "kind": "SUB_ACCOUNT",
        "status": status,
        "displayName": display_name or account.display_name,
        "avatarUrl": None,
        "phone": masked_phone(account.phone),
        "email": masked_email(account.email),
        "role": role or (account.role.value if account.role else "MEMBER"),
        "permissions": account.permissions if permissions is None else permissions,
        "lastLoginAt": None,
        "enterprise": {"id": global_id(enterprise)},
    }


async def open_request(db: AsyncSession, account: Account, clock: Clock) -> DataRequest:
    """An open request for a copy of the account's data: what lets staff read it."""
    request = await create_data_request(db, account, clock.now)
    await db.commit()
    return request


async def sub_account_notices(db: AsyncSession, owner: Caller) -> list[str]:
    """The bodies of the notifications the enterprise got of changes to its sub-accounts."""
    rows = await db.scalars(
        select(Notification.body).where(
            Notification.account_id == owner.row.id,
            Notification.kind == NotificationKind.SUB_ACCOUNT_CHANGED,
        )
    )
    return list(rows)
