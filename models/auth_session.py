"""Sign-in sessions: one per device sign-in, checked on every request."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference
from models.base import Base, UTCDateTime, UUIDPrimaryKey


class AuthSession(UUIDPrimaryKey, Base):
    """A session of an account or of a staff member.

    The refresh token is `<session id>.<secret>`; only an HMAC of the current secret is
    kept. A refresh token whose secret is not the current one has been rotated away:
    presenting it again revokes the session.
    """

    __tablename__ = "auth_sessions"

    account_id: Mapped[uuid.UUID | None] = account_reference(index=True)
    staff_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="CASCADE"), index=True
    )
    refresh_secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    elevated_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str | None] = mapped_column(String(300))
