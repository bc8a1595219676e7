"""One-time `state` values of the WeChat authorization redirect."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference
from models.base import Base, UTCDateTime, UUIDPrimaryKey


class OAuthState(UUIDPrimaryKey, Base):
    __tablename__ = "oauth_states"

    state_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    account_id: Mapped[uuid.UUID | None] = account_reference()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
