"""Small async factories for test data: accounts and data requests as the app stores them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ANSWER_WITHIN,
    OPEN_STATUSES,
    Account,
    AccountKind,
    DataRequest,
    DataRequestStatus,
    DataRequestType,
)


async def create_account(
    session: AsyncSession,
    *,
    kind: AccountKind = AccountKind.INDIVIDUAL,
    display_name: str = "Someone",
    created_at: datetime | None = None,
    enterprise: Account | None = None,
    **columns: object,
) -> Account:
    moment = created_at or datetime.now(UTC)
    # Every account accepted the policy in force when it registered.
    columns.setdefault("accepted_policy_version", "1.0")
    columns.setdefault("accepted_policy_at", moment)
    account = Account(
        kind=kind,
        display_name=display_name,
        created_at=moment,
        enterprise_id=enterprise.id if enterprise is not None else None,
        **columns,
    )
    session.add(account)
    await session.flush()
    return account


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
