"""Bound bank cards: the number sealed, never returned; one card once per account."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference, enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey
from models.encryption import Encrypted


class BankCardType(StrEnum):
    DEBIT = "DEBIT"
    CREDIT = "CREDIT"
    UNKNOWN = "UNKNOWN"


class BankCard(UUIDPrimaryKey, Base):
    __tablename__ = "bank_cards"
    __table_args__ = (
        # The same card once per account, enforced by the database even when two
        # requests race.
        UniqueConstraint("account_id", "card_index"),
        Index("ix_bank_cards_account_bound", "account_id", "bound_at"),
    )

    account_id: Mapped[uuid.UUID] = account_reference()
    bank_name: Mapped[str] = mapped_column(String(100))
    branch: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(100))
    card_number_sealed: Mapped[bytes] = mapped_column("card_number", LargeBinary)
    card_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    card_number = Encrypted("card_number_sealed", index="card_index")
    last4: Mapped[str] = mapped_column(String(4))
    holder_name_sealed: Mapped[bytes] = mapped_column("holder_name", LargeBinary)
    holder_name = Encrypted("holder_name_sealed")
    card_type: Mapped[BankCardType] = mapped_column(enum_column(BankCardType, "bank_card_type"))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime())
