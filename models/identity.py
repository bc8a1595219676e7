"""Third-party identities linked to an account (WeChat)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference, enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey
from models.encryption import Encrypted


class IdentityProvider(StrEnum):
    WECHAT = "WECHAT"


class ThirdPartyIdentity(UUIDPrimaryKey, Base):
    __tablename__ = "third_party_identities"
    __table_args__ = (
        UniqueConstraint("provider", "open_id_index"),
        UniqueConstraint("account_id", "provider"),
    )

    account_id: Mapped[uuid.UUID] = account_reference()
    provider: Mapped[IdentityProvider] = mapped_column(
        enum_column(IdentityProvider, "identity_provider")
    )
    open_id_sealed: Mapped[bytes] = mapped_column("open_id", LargeBinary)
    open_id_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    open_id = Encrypted("open_id_sealed", index="open_id_index")
    union_id_sealed: Mapped[bytes | None] = mapped_column("union_id", LargeBinary)
    union_id = Encrypted("union_id_sealed")
    nickname: Mapped[str | None] = mapped_column(String(100))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
