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
    account = Account(
        kind=kind,
        display_name=display_name,
        created_at=created_at or datetime.now(UTC),
        enterprise_id=enterprise.id if enterprise is not None else None,
        **columns,
    )
    session.add(account)
    await session.flush()
    return account
