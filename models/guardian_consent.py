"""A guardian's consent for a minor aged 14 to 17, under a policy version."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference
from models.base import Base, UTCDateTime, UUIDPrimaryKey
from models.encryption import Encrypted


class GuardianConsent(UUIDPrimaryKey, Base):
    __tablename__ = "guardian_consents"

    account_id: Mapped[uuid.UUID] = account_reference(unique=True)
    guardian_name_sealed: Mapped[bytes] = mapped_column("guardian_name", LargeBinary)
    guardian_name = Encrypted("guardian_name_sealed")
    guardian_phone_sealed: Mapped[bytes] = mapped_column("guardian_phone", LargeBinary)
    # Indexed so that a guardian finds the consents they gave without the minor's phone
    # (a minor who signed up with WeChat has none). Rows from before the index get it at
    # the next `keys rotate`.
    guardian_phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    guardian_phone = Encrypted("guardian_phone_sealed", index="guardian_phone_index")
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The privacy policy version the guardian consented under (unknown for consents
    # recorded before it was kept).
    policy_version: Mapped[str | None] = mapped_column(String(32))
