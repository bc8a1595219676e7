"""Consents: the current state per purpose, and the append-only history of every change."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference, enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey


class ConsentPurpose(StrEnum):
    SEARCH_HISTORY = "SEARCH_HISTORY"
    PERSONALIZED_RECOMMENDATIONS = "PERSONALIZED_RECOMMENDATIONS"
    TARGETED_PUSH = "TARGETED_PUSH"
    ANALYTICS_COOKIES = "ANALYTICS_COOKIES"
    MARKETING_TOOLS_TRACKING = "MARKETING_TOOLS_TRACKING"
    THIRD_PARTY_SHARING = "THIRD_PARTY_SHARING"
    PUBLIC_PROFILE = "PUBLIC_PROFILE"
    SENSITIVE_REAL_NAME = "SENSITIVE_REAL_NAME"
    SENSITIVE_STUDENT = "SENSITIVE_STUDENT"
    SENSITIVE_BANK_CARD = "SENSITIVE_BANK_CARD"


SEPARATE_CONSENT_PURPOSES = frozenset(
    {
        ConsentPurpose.SENSITIVE_REAL_NAME,
        ConsentPurpose.SENSITIVE_STUDENT,
        ConsentPurpose.SENSITIVE_BANK_CARD,
        ConsentPurpose.THIRD_PARTY_SHARING,
    }
)


class Consent(UUIDPrimaryKey, Base):
    """Whether a purpose is granted now. Absent means never granted."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("account_id", "purpose"),)

    account_id: Mapped[uuid.UUID] = account_reference()
    purpose: Mapped[ConsentPurpose] = mapped_column(enum_column(ConsentPurpose, "consent_purpose"))
    granted: Mapped[bool] = mapped_column(Boolean)
    policy_version: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentEvent(UUIDPrimaryKey, Base):
    """One change of a consent, never rewritten; kept without personal data as proof."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_account_created", "account_id", "created_at"),)

    account_id: Mapped[uuid.UUID] = account_reference()
    purpose: Mapped[ConsentPurpose] = mapped_column(enum_column(ConsentPurpose, "consent_purpose"))
    granted: Mapped[bool] = mapped_column(Boolean)
    policy_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
