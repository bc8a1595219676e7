"""Sending an e-mail within the message limits, and mailing a one-time token that proves
an address (registration and bindEmail both do)."""

from __future__ import annotations

from datetime import timedelta

from auth.email_tokens import CONFIRMATION_TTL, new_token
from auth.message_limits import account_key, may_send
from auth.senders import OutgoingMessage
from models import Account
from resolvers.context import RequestContext
from resolvers.errors import UserError, UserErrorCode, user_error


def _wait(seconds: int) -> UserError:
    return user_error(
        UserErrorCode.RATE_LIMITED,
        f"Wait {seconds} s before asking for another e-mail to this address.",
        "email",
    )


async def send_email(
    ctx: RequestContext,
    *,
    to: str,
    purpose: str,
    body: str,
    asked_by: object,
    code: str | None = None,
) -> UserError | None:
    """Send one e-mail within the message limits; RATE_LIMITED when one says wait."""
    decision = await may_send(
        ctx.auth.limiter,
        "email",
        recipient=to,
        purpose=purpose,
        client_address=ctx.client_address,
        account_key=account_key(asked_by),
    )
    if not decision.allowed:
        return _wait(decision.retry_after_seconds)
    await ctx.auth.email.send(
        OutgoingMessage(
            to=to, channel="email", purpose=purpose, code=code, body=body, sent_at=ctx.now()
        )
    )
    return None


async def send_email_token(
    ctx: RequestContext,
    account: Account,
    address: str,
    *,
    purpose: str,
    ttl: timedelta,
    body: str,
    asked_by: object,
) -> UserError | None:
    """Mail a one-time token proving `address` for `account`, and keep its hash; nothing
    is kept when a limit says wait."""
    token, row = new_token(account_id=account.id, email=address, now=ctx.now(), ttl=ttl)
    refusal = await send_email(
        ctx,
        to=address,
        purpose=purpose,
        body=body.format(token=token),
        asked_by=asked_by,
        code=token,
    )
    if refusal is None:
        ctx.session.add(row)
    return refusal


CONFIRMATION_BODY = (
    "Confirm this address for your account with the token below within 24 hours.\n\n{token}\n"
)


async def send_confirmation(
    ctx: RequestContext, account: Account, address: str
) -> UserError | None:
    """Mail the token that proves `address` the account's own, as the account asked."""
    return await send_email_token(
        ctx,
        account,
        address,
        purpose="CONFIRM_EMAIL",
        ttl=CONFIRMATION_TTL,
        body=CONFIRMATION_BODY,
        asked_by=account.id,
    )
