"""The policy version the gateway ships with, loaded from an operator-provided file."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from models import PrivacyPolicy, queries

SHIPPED_VERSION = "1.0"
SHIPPED_EFFECTIVE_ON = date(2022, 8, 30)
PLACEHOLDER_BODY = Path(__file__).with_name("placeholder-policy.md")


async def ensure_shipped_policy(
    session: AsyncSession, *, body_file: Path | None, now: datetime
) -> bool:
    """Store version 1.0 unless it exists; True when it was added."""
    if await queries.policy_by_version(session, SHIPPED_VERSION) is not None:
        return False
    body = (body_file or PLACEHOLDER_BODY).read_text(encoding="utf-8")
    session.add(
        PrivacyPolicy(
            version=SHIPPED_VERSION,
            effective_on=SHIPPED_EFFECTIVE_ON,
            published_at=now,
            material=True,
            summary_of_changes=None,
            body=body,
        )
    )
    await session.flush()
    return True
