"""bindBankCard and unbindBankCard."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from models import BankCard, BankCardType, ConsentPurpose, VerificationStatus, queries
from resolvers.accounts.access import require_account
from resolvers.consents.record import ensure_granted, require_grantable
from resolvers.context import RequestContext
from resolvers.errors import Refused, UserError, UserErrorCode, refused, user_error
from resolvers.verifications.validation import names_match, parse_card_number

MAX_CARDS = 10
TEXT_LIMIT = 100
ALREADY_BOUND = user_error(
    UserErrorCode.ALREADY_EXISTS, "This card is already bound.", "cardNumber"
)


@dataclass
class CardSubmission:
    """What binding a card takes: bindBankCard's input is one."""

    bank_name: str
    branch: str
    location: str
    card_number: str
    holder_name: str
    separate_consent: bool


def _text_errors(submission: CardSubmission) -> list[UserError]:
    values = {
        "bankName": submission.bank_name,
        "branch": submission.branch,
        "location": submission.location,
        "holderName": submission.holder_name,
    }
    return [
        user_error(UserErrorCode.INVALID_INPUT, f"Give 1 to {TEXT_LIMIT} characters.", name)
        for name, value in values.items()
        if not 1 <= len(value.strip()) <= TEXT_LIMIT
    ]


async def bind_bank_card(ctx: RequestContext, submission: CardSubmission) -> BankCard:
    account = require_account(ctx)
    errors = _text_errors(submission)
    if not submission.separate_consent:
        errors.append(
            user_error(
                UserErrorCode.CONSENT_REQUIRED,
                "A bank card needs your separate consent.",
                "separateConsent",
            )
        )
    card = parse_card_number(submission.card_number)
    if card is None:
        errors.append(
            user_error(
                UserErrorCode.INVALID_BANK_CARD,
                "A card number has 12 to 19 digits and a valid check digit.",
                "cardNumber",
            )
        )
    if errors or card is None:
        raise Refused(*errors)
    await require_grantable(ctx, account, ConsentPurpose.SENSITIVE_BANK_CARD)
    real_name = await ctx.loaders.real_name_by_account.load(account.id)
    if (
        real_name is not None
        and real_name.status is VerificationStatus.VERIFIED
        and not names_match(real_name.real_name or "", submission.holder_name)
    ):
        raise refused(
            UserErrorCode.NAME_MISMATCH,
            "The holder's name must be your verified real name.",
            "holderName",
        )
    # One bind at a time per account: the cap counts what a concurrent one added.
    await queries.lock_account(ctx.session, account.id)
    bound = await ctx.session.scalar(
        select(func.count()).select_from(BankCard).where(BankCard.account_id == account.id)
    )
    if (bound or 0) >= MAX_CARDS:
        raise refused(UserErrorCode.LIMIT_REACHED, f"At most {MAX_CARDS} cards.", "cardNumber")
    # Under the account's lock: finds the card whichever index key computed its index.
    if await queries.card_bound(ctx.session, account.id, card.value):
        raise Refused(ALREADY_BOUND)
    row = BankCard(
        account_id=account.id,
        bank_name=card.bank_name or submission.bank_name.strip(),
        branch=submission.branch.strip(),
        location=submission.location.strip(),
        last4=card.last4,
        card_type=BankCardType(card.card_type),
        bound_at=ctx.now(),
    )
    row.card_number = card.value
    row.holder_name = submission.holder_name.strip()
    # The unique (account, card index) stays the last word: two requests binding the same
    # card at once cannot both succeed.
    if not await queries.added_unless_taken(ctx.session, row):
        raise Refused(ALREADY_BOUND)
    await ensure_granted(ctx, account, ConsentPurpose.SENSITIVE_BANK_CARD)
    ctx.loaders.bank_cards_by_account.clear(account.id)
    return row


async def unbind_bank_card(ctx: RequestContext, card_id: uuid.UUID | None) -> None:
    account = require_account(ctx)
    result = await ctx.session.execute(
        delete(BankCard).where(BankCard.id == card_id, BankCard.account_id == account.id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise refused(UserErrorCode.NOT_FOUND, "No such card.", "id")
    ctx.loaders.bank_cards_by_account.clear(account.id)
