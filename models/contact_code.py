"""One-time codes sent by e-mail to prove an address, kept as keyed hashes.

SMS codes prove phones (`sms_codes`); these prove e-mail addresses of people who hold
no account, such as someone filing a rights request for a relative.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, UUIDPrimaryKey


class EmailCode(UUIDPrimaryKey, Base):
    __tablename__ = "email_codes"
    __table_args__ = (
        Index("ix_email_codes_address_purpose", "address_index", "purpose", "created_at"),
        Index("ix_email_codes_created", "created_at"),
    )

    address_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    purpose: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
