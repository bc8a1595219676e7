"""Published versions of the privacy policy; every version stays readable."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, UUIDPrimaryKey


class PrivacyPolicy(UUIDPrimaryKey, Base):
    __tablename__ = "privacy_policies"

    version: Mapped[str] = mapped_column(String(32), unique=True)
    effective_on: Mapped[date] = mapped_column(Date, index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    material: Mapped[bool] = mapped_column(Boolean)
    summary_of_changes: Mapped[str | None] = mapped_column(Text)
    # A material version's purposes whose consents must be given again under it.
    affected_purposes: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    body: Mapped[str] = mapped_column(Text)
    # The privacy officer who published it; null for the version the gateway ships.
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
