"""Viewers, rows and response shapes the rights tests share.

Rows are made in the test's transaction and committed by `sign_in`, so that requests
see them; every viewer holds the access token of a session opened for it, as a sign-in
would, and steps up over HTTP with its password.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth import sessions
from auth.passwords import hash_password
from auth.services import AuthServices
from models import (
    ANSWER_WITHIN,
    OPEN_STATUSES,
    Account,
    AccountKind,
    Base,
    DataRequest,
    DataRequestStatus,
    DataRequestType,
    StaffMember,
    StaffRole,
)
from resolvers.global_id import to_global_id
from tests.factories import create_account
from tests.helpers import STAFF_TOTP_SECRET, graphql

PASSWORD = "rights-Test-1"
PHONE = "+8613812345678"
EMAIL = "zhang.san@example.com"
STAFF_NAMES = {StaffRole.PRIVACY_OFFICER: "Officer Li", StaffRole.SUPPORT: "Support Wang"}

USER_ERRORS = "userErrors { field code message }"
STEP_UP_REQUIRED = {
    "field": None,
    "code": "STEP_UP_REQUIRED",
    "message": "Confirm it is you (elevateSession), then try again.",
}
ELEVATE = f"""
mutation($input: ElevateSessionInput!) {{
  elevateSession(input: $input) {{ elevatedUntil {USER_ERRORS} }}
}}
"""
NOTIFICATIONS = """
query {
  viewer { account { notifications(first: 50) { edges { node { kind title body } } } } }
}
"""
VIEWER_ACCOUNT = "query { viewer { account { id status } } }"


def error(code: str, message: str, *field: str) -> dict[str, Any]:
    return {"field": list(field) or None, "code": code, "message": message}


def refusal(code: str, message: str, path: list[str | int]) -> dict[str, Any]:
    """A top-level error as the client sees it, `locations` left out."""
    return {"message": message, "path": path, "extensions": {"code": code}}


def without_locations(body: dict[str, Any]) -> dict[str, Any]:
    if "errors" not in body:
        return body
    errors = [{k: v for k, v in error.items() if k != "locations"} for error in body["errors"]]
    return {**body, "errors": errors}


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
    """An account that steps up with `PASSWORD`, with a phone and an e-mail address."""
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


async def create_staff(
    db: AsyncSession,
    now: datetime,
    role: StaffRole = StaffRole.PRIVACY_OFFICER,
    *,
    email: str | None = None,
) -> StaffMember:
    staff = StaffMember(
        name=STAFF_NAMES[role],
        role=role,
        password_hash=await hash_password(PASSWORD),
        created_at=now,
    )
    staff.email = email or f"{role.value.lower()}@corp.example"
    staff.totp_secret = STAFF_TOTP_SECRET
    db.add(staff)
    await db.flush()
    return staff


async def sign_in(
    db: AsyncSession,
    services: AuthServices,
    now: datetime,
    *,
    account: Account | None = None,
    staff: StaffMember | None = None,
) -> str:
    """The access token of a new session; everything made so far is committed."""
    issued = await sessions.open_session(
        db,
        services.tokens,
        now=now,
        account_id=account.id if account is not None else None,
        staff_id=staff.id if staff is not None else None,
    )
    await db.commit()
    return issued.access_token


async def step_up(client: httpx.AsyncClient, token: str) -> None:
    """elevateSession with the password, as the SPA does before a protected action."""
    body = await graphql(client, ELEVATE, {"input": {"password": PASSWORD}}, token=token)
    assert body["data"]["elevateSession"]["userErrors"] == [], body


async def create_data_request(
    db: AsyncSession,
    account: Account,
    submitted_at: datetime,
    *,
    type: DataRequestType = DataRequestType.ACCESS_COPY,
    status: DataRequestStatus = DataRequestStatus.SUBMITTED,
) -> DataRequest:
    """A request as submitDataRequest stores it, submitted at `submitted_at`."""
    request = DataRequest(
        account_id=account.id,
        type=type,
        status=status,
        submitted_at=submitted_at,
        due_at=submitted_at + ANSWER_WITHIN,
        resolved_at=None if status in OPEN_STATUSES else submitted_at,
    )
    db.add(request)
    await db.flush()
    return request


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
