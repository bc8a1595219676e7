from __future__ import annotations

import strawberry

from resolvers.bank_cards import bind
from resolvers.global_id import key_of
from schema.auth.types import OkPayload
from schema.bank_cards.types import BankCard
from schema.common import UserError, user_errors
from schema.context import Info


@strawberry.input
class BindBankCardInput:
    bank_name: str
    branch: str
    location: str
    card_number: str
    holder_name: str
    separate_consent: bool


@strawberry.input
class UnbindBankCardInput:
    id: strawberry.ID


@strawberry.type
class BankCardPayload:
    bank_card: BankCard | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class BankCardMutations:
    @strawberry.mutation(
        description="Bind a card (separate consent); its number is never returned."
    )
    async def bind_bank_card(self, info: Info, input: BindBankCardInput) -> BankCardPayload:
        submission = bind.CardSubmission(
            bank_name=input.bank_name,
            branch=input.branch,
            location=input.location,
            card_number=input.card_number,
            holder_name=input.holder_name,
            separate_consent=input.separate_consent,
        )
        result = await bind.bind_bank_card(info.context, submission)
        account = info.context.viewer_account
        card = (
            BankCard.of(result.bank_card, account)
            if result.bank_card is not None and account is not None
            else None
        )
        return BankCardPayload(bank_card=card, user_errors=user_errors(result.user_errors))

    @strawberry.mutation
    async def unbind_bank_card(self, info: Info, input: UnbindBankCardInput) -> OkPayload:
        result = await bind.unbind_bank_card(info.context, key_of(input.id, "BankCard"))
        return OkPayload(ok=result.ok, user_errors=user_errors(result.user_errors))
