"""The demo data of RULES.md section 11, created idempotently by `seed --demo`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, AccountKind

DEMO_SUB_ACCOUNTS = 25


async def _find_or_add(session: AsyncSession, account: Account) -> tuple[Account, bool]:
    existing = (
        await session.scalars(
            select(Account).where(
                Account.kind == account.kind,
                Account.display_name == account.display_name,
                Account.enterprise_id.is_(None)
                if account.enterprise_id is None
                else Account.enterprise_id == account.enterprise_id,
            )
        )
    ).first()
    if existing is not None:
        return existing, False
    session.add(account)
    await session.flush()
    return account, True


async def seed_demo(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Create what is missing of the demo data; returns how many rows of each were added."""
    added = {"accounts": 0}

    def count(created: bool) -> None:
        added["accounts"] += int(created)

    _, created = await _find_or_add(
        session,
        Account(kind=AccountKind.INDIVIDUAL, display_name="Demo Individual", created_at=now),
    )
    count(created)
    _, created = await _find_or_add(
        session,
        Account(
            kind=AccountKind.BUSINESS,
            display_name="Demo Business",
            business_name="Demo Business Ltd.",
            ur_token="demo-ur-token",  # noqa: S106 (a demo registration token, not a secret)
            created_at=now,
        ),
    )
    count(created)
    enterprise, created = await _find_or_add(
        session,
        Account(
            kind=AccountKind.ENTERPRISE,
            display_name="Demo Enterprise",
            company_name="Demo Enterprise Co., Ltd.",
            created_at=now,
        ),
    )
    count(created)
    for number in range(1, DEMO_SUB_ACCOUNTS + 1):
        _, created = await _find_or_add(
            session,
            Account(
                kind=AccountKind.SUB_ACCOUNT,
                display_name=f"Demo Member {number:02d}",
                enterprise_id=enterprise.id,
                created_at=now + timedelta(seconds=number),
            ),
        )
        count(created)
    return added
