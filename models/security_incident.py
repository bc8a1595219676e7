"""Security incidents recorded by privacy officers: what the affected people are told
(what happened, which kinds of personal information, the cause, the possible harm, what
was done, what they can do, whom to contact), over which channels, and who recorded it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, UUIDPrimaryKey


class SecurityIncident(UUIDPrimaryKey, Base):
    __tablename__ = "security_incidents"

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(Text, server_default="")
    harm: Mapped[str] = mapped_column(Text, server_default="")
    measures: Mapped[str] = mapped_column(Text)
    advice: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(200), server_default="")
    # Inventory category keys of the personal information involved; the channels used.
    categories: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    channels: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    affected_count: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
