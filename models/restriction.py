"""Restrictions of processing that a fulfilled RESTRICTION request records.

While a restriction is in force (not lifted), the consent for its purpose reads as
withdrawn; staff lift it with `liftRestriction`. Lifted restrictions stay as history.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference, enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey, unique_where
from models.consent import ConsentPurpose


class ProcessingRestriction(UUIDPrimaryKey, Base):
    __tablename__ = "processing_restrictions"
    __table_args__ = (
        # One restriction in force per purpose and account.
        unique_where(
            "uq_processing_restrictions_in_force",
            "account_id",
            "purpose",
            where="lifted_at IS NULL",
        ),
    )

    account_id: Mapped[uuid.UUID] = account_reference()
    purpose: Mapped[ConsentPurpose] = mapped_column(enum_column(ConsentPurpose, "consent_purpose"))
    data_request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_requests.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
