"""One-time e-mail confirmation tokens (24 hours), kept as keyed hashes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference
from models.base import Base, UTCDateTime, UUIDPrimaryKey
from models.encryption import Encrypted


class EmailConfirmation(UUIDPrimaryKey, Base):
    __tablename__ = "email_confirmations"

    account_id: Mapped[uuid.UUID] = account_reference(index=True)
    email_sealed: Mapped[bytes] = mapped_column("email", LargeBinary)
    email = Encrypted("email_sealed")
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
