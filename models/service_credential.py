"""Credentials of the platform's own services, which ask the gateway for consent states.

A service presents `Bearer svc_<credential id>.<secret>`; only an HMAC of the secret is
kept. A service reads `consentStatus` and nothing else: it is neither an account nor
staff, so every other field treats it as anyone else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, UUIDPrimaryKey


class ServiceCredential(UUIDPrimaryKey, Base):
    __tablename__ = "service_credentials"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
