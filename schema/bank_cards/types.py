"""Bound bank cards: the number is always masked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import strawberry

from models import Account as AccountRow
from models import BankCard as BankCardRow
from models import BankCardType, SensitiveKind
from resolvers.accounts.queries import readable_bank_cards
from resolvers.global_id import to_global_id
from resolvers.masking.reveal import SensitiveValue
from schema.context import Info
from schema.fields import row_field, sensitive_field
from schema.relay import Node
from schema.sensitive import Sensitive

strawberry.enum(BankCardType, name="BankCardType")


@strawberry.type
class BankCard(Node):
    row: strawberry.Private[BankCardRow]
    subject: strawberry.Private[AccountRow]

    @classmethod
    def of(cls, row: BankCardRow, subject: AccountRow) -> BankCard:
        return cls(id=strawberry.ID(to_global_id("BankCard", row.id)), row=row, subject=subject)

    @classmethod
    async def resolve_nodes(cls, info: Info, keys: Sequence[uuid.UUID]) -> list[BankCard | None]:
        found = await readable_bank_cards(info.context, keys)
        return [cls.of(*pair) if pair is not None else None for pair in found]

    bank_name = row_field("bank_name", str)
    branch = row_field("branch", str)
    location = row_field("location", str)

    @strawberry.field(
        graphql_type=str,
        description="Always masked: the full number is never returned after binding.",
        directives=[Sensitive(kind=SensitiveKind.BANK_CARD)],
    )
    def card_number(self) -> SensitiveValue:
        return SensitiveValue(self.subject, self.row.card_number)

    last4 = row_field("last4", str)
    holder_name = sensitive_field(SensitiveKind.PERSON_NAME, "holder_name")
    card_type = row_field("card_type", BankCardType)
    bound_at = row_field("bound_at", datetime)
