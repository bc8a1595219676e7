from __future__ import annotations

import strawberry

from resolvers.accounts.access import require_account
from resolvers.bank_cards import bind
from resolvers.global_id import key_of
from schema.bank_cards.types import BankCard
from schema.common import payload
from schema.context import Info
from schema.payloads import OkPayload


@strawberry.input
class BindBankCardInput(bind.CardSubmission):
    pass


@strawberry.input
class UnbindBankCardInput:
    id: strawberry.ID


@payload
class BankCardPayload:
    bank_card: BankCard | None = None


@strawberry.type
class BankCardMutations:
    @strawberry.mutation(
        description="Bind a card (separate consent); its number is never returned."
    )
    async def bind_bank_card(self, info: Info, input: BindBankCardInput) -> BankCardPayload:
        row = await bind.bind_bank_card(info.context, input)
        return BankCardPayload(bank_card=BankCard.of(row, require_account(info.context)))

    @strawberry.mutation
    async def unbind_bank_card(self, info: Info, input: UnbindBankCardInput) -> OkPayload:
        await bind.unbind_bank_card(info.context, key_of(input.id, "BankCard"))
        return OkPayload.done()
