"""Small async factories for test data."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, AccountKind


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
