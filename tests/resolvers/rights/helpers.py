"""Viewers, rows and response shapes the rights tests share.

Rows are made in the test's transaction and committed by `sign_in`
(tests/support/viewers.py), so that requests see them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import hash_password
from models import Account, AccountKind, Base, DataRequest, StaffRole
from resolvers.global_id import to_global_id
from tests.helpers import graphql, staff_step_up
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS
from tests.support.factories import create_account
from tests.support.staff import create_staff
from tests.support.viewers import PASSWORD, step_up_with_password

PHONE = "+8613812345678"
EMAIL = "zhang.san@example.com"

NOTIFICATIONS = """
query {
  viewer { account { notifications(first: 50) { edges { node { kind title body } } } } }
}
"""
VIEWER_ACCOUNT = "query { viewer { account { id status } } }"


def resolving(fields: str) -> str:
    """resolveDataRequest, reading `fields` of the request it moved on."""
    return f"""
mutation($input: ResolveDataRequestInput!) {{
  resolveDataRequest(input: $input) {{ dataRequest {{ {fields} }} {USER_ERRORS} }}
}}
"""


async def create_person(
    db: AsyncSession,
    now: datetime,
    *,
    kind: AccountKind = AccountKind.INDIVIDUAL,
    display_name: str = "Zhang San",
    phone: str | None = PHONE,
    email: str | None = EMAIL,
    enterprise: Account | None = None,
    **columns: Any,
) -> Account:
    """An account that steps up with `PASSWORD` (tests/support/viewers.py), with a phone and an e-mail address."""
    if kind is AccountKind.BUSINESS:
        columns = {"business_name": "Acme Trading", "ur_token": "ur-acme", **columns}
    if kind is AccountKind.ENTERPRISE:
        columns = {"company_name": "Acme Group", **columns}
    account = await create_account(
        db,
        kind=kind,
        display_name=display_name,
        created_at=now,
        enterprise=enterprise,
        password_hash=await hash_password(PASSWORD),
        password_changed_at=now,
        **columns,
    )
    account.phone = phone
    account.email = email
    await db.flush()
    return account


def request_global_id(request: DataRequest) -> str:
    return to_global_id("DataRequest", request.id)


async def notifications(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    """The viewer's notifications, newest first."""
    body = await graphql(client, NOTIFICATIONS, token=token)
    assert "errors" not in body, body
    edges = body["data"]["viewer"]["account"]["notifications"]["edges"]
    return [edge["node"] for edge in edges]


async def count_rows(db: AsyncSession, model: type[Base], **where: Any) -> int:
    statement = select(func.count()).select_from(model)
    for column, value in where.items():
        statement = statement.where(getattr(model, column) == value)
    return int(await db.scalar(statement) or 0)


async def stepped_up_session(api: Api, account: Account) -> str:
    """The token of a new session of the account, stepped up with its password as the
    client does before a protected action."""
    token = await api.sign_in(account=account)
    await step_up_with_password(api.client, token)
    return token


async def staff_token(
    api: Api, role: StaffRole = StaffRole.PRIVACY_OFFICER, *, stepped_up: bool = False
) -> str:
    """The token of a new staff member of `role` (`create_staff`), stepped up with the
    authenticator, as before an irreversible action, when `stepped_up`."""
    token = await api.sign_in(staff=await create_staff(api.db, api.clock(), role))
    if stepped_up:
        await staff_step_up(api.client, token, api.clock())
    return token
