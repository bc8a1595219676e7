"""Erasing an account's personal data, as cancellation does (RULES.md section 8)."""

from __future__ import annotations

from sqlalchemy import delete

from auth.sessions import revoke_account_sessions
from models import (
    Account,
    AccountStatus,
    BankCard,
    EmailConfirmation,
    GuardianConsent,
    LoginEvent,
    RealNameVerification,
    StudentVerification,
    ThirdPartyIdentity,
)
from resolvers.context import RequestContext

# Rows that are nothing but personal data of the account: deleted whole.
ERASED_TABLES: tuple[type[object], ...] = (
    ThirdPartyIdentity,
    RealNameVerification,
    StudentVerification,
    BankCard,
    LoginEvent,
    EmailConfirmation,
    GuardianConsent,
)


async def erase_account(ctx: RequestContext, account: Account) -> None:
    """Cancel the account and erase what identifies the person, in the caller's transaction.

    The account row stays as a CANCELLED shell without personal data; its blind indexes
    go with the values, so the phone, e-mail or WeChat can register again. Consent
    events stay as proof, holding no personal data.
    """
    now = ctx.now()
    for model in ERASED_TABLES:
        await ctx.session.execute(
            delete(model).where(model.account_id == account.id)  # type: ignore[attr-defined]
        )
    await revoke_account_sessions(ctx.session, account.id, now)
    account.status = AccountStatus.CANCELLED
    account.phone = None
    account.email = None
    account.email_verified_at = None
    account.password_hash = None
    account.display_name = "Cancelled account"
    account.avatar_url = None
    account.birth_date = None
    account.bio = None
    account.industry = None
    account.position = None
    account.company_size = None
    account.needs = []
    await ctx.session.flush()
