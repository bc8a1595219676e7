"""Security incidents recorded by privacy officers, and who recorded them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, UUIDPrimaryKey


class SecurityIncident(UUIDPrimaryKey, Base):
    __tablename__ = "security_incidents"

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text)
    advice: Mapped[str] = mapped_column(Text)
    affected_count: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
