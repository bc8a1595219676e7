"""Query helpers shared by the use cases: SQL lives here, not in resolvers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.privacy_policy import PrivacyPolicy


async def current_policy(session: AsyncSession, today: date) -> PrivacyPolicy | None:
    """The newest version whose effective date is today or earlier."""
    statement = (
        select(PrivacyPolicy)
        .where(PrivacyPolicy.effective_on <= today)
        .order_by(PrivacyPolicy.effective_on.desc(), PrivacyPolicy.published_at.desc())
        .limit(1)
    )
    return (await session.scalars(statement)).first()


async def policy_by_version(session: AsyncSession, version: str) -> PrivacyPolicy | None:
    statement = select(PrivacyPolicy).where(PrivacyPolicy.version == version)
    return (await session.scalars(statement)).first()


async def all_policies(session: AsyncSession) -> Sequence[PrivacyPolicy]:
    statement = select(PrivacyPolicy).order_by(
        PrivacyPolicy.effective_on.desc(), PrivacyPolicy.published_at.desc()
    )
    return (await session.scalars(statement)).all()
