"""Search history, kept only while SEARCH_HISTORY is granted; the query is sealed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference
from models.base import Base, UTCDateTime, UUIDPrimaryKey
from models.encryption import Encrypted


class SearchEntry(UUIDPrimaryKey, Base):
    __tablename__ = "search_entries"
    __table_args__ = (
        Index("ix_search_entries_account_created", "account_id", "created_at", "id"),
        Index("ix_search_entries_created", "created_at"),
    )

    account_id: Mapped[uuid.UUID] = account_reference()
    query_sealed: Mapped[bytes] = mapped_column("query", LargeBinary)
    query = Encrypted("query_sealed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
