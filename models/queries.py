"""Query helpers shared by the use cases: SQL lives here, not in resolvers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.access_log import AccessLogEntry
from models.account import Account
from models.identity import IdentityProvider, ThirdPartyIdentity
from models.login_event import LoginEvent
from models.pagination import KeysetPage, KeysetPosition, keyset_page
from models.privacy_policy import PrivacyPolicy
from models.staff import StaffMember


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


async def account_by_phone(session: AsyncSession, phone: str) -> Account | None:
    """The live account bound to a phone (E.164), through its blind index."""
    statement = select(Account).where(Account.phone_index == Account.phone.index_of(phone))
    return (await session.scalars(statement)).first()


async def account_by_email(session: AsyncSession, email: str) -> Account | None:
    statement = select(Account).where(Account.email_index == Account.email.index_of(email))
    return (await session.scalars(statement)).first()


async def staff_by_email(session: AsyncSession, email: str) -> StaffMember | None:
    statement = select(StaffMember).where(
        StaffMember.email_index == StaffMember.email.index_of(email)
    )
    return (await session.scalars(statement)).first()


async def identity_by_open_id(
    session: AsyncSession, provider: IdentityProvider, open_id: str
) -> ThirdPartyIdentity | None:
    statement = select(ThirdPartyIdentity).where(
        ThirdPartyIdentity.provider == provider,
        ThirdPartyIdentity.open_id_index == ThirdPartyIdentity.open_id.index_of(open_id),
    )
    return (await session.scalars(statement)).first()


async def login_events_page(
    session: AsyncSession, account_id: uuid.UUID, *, first: int, after: KeysetPosition | None
) -> KeysetPage[LoginEvent]:
    statement = select(LoginEvent).where(LoginEvent.account_id == account_id)
    return await keyset_page(
        session, statement, LoginEvent.created_at, LoginEvent.id, first=first, after=after
    )


async def access_log_page(
    session: AsyncSession, subject_id: uuid.UUID, *, first: int, after: KeysetPosition | None
) -> KeysetPage[AccessLogEntry]:
    statement = select(AccessLogEntry).where(AccessLogEntry.subject_id == subject_id)
    return await keyset_page(
        session, statement, AccessLogEntry.created_at, AccessLogEntry.id, first=first, after=after
    )
