"""bindPhone, bindEmail and confirmEmail: a contact counts once its holder proves it.

No answer tells whether a phone or an address belongs to someone else's account: the
code is checked before anything about the phone is said, and bindEmail answers the same
for every address, telling a taken address's owner by e-mail instead.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from auth.email_tokens import (
    TOKEN_TRIES,
    TOKEN_TRIES_PER_CLIENT,
    find_token,
)
from auth.message_limits import account_key, address_key
from auth.rate_limits import Limit
from models import Account, AccountStatus, SmsPurpose, queries
from resolvers.accounts.access import require_account, require_step_up
from resolvers.codes import checked_code, use_code
from resolvers.context import RequestContext
from resolvers.errors import (
    Refused,
    UserError,
    UserErrorCode,
    refused,
    user_error,
    valid_email,
    valid_phone,
)
from resolvers.messaging.email import send_confirmation, send_email
from resolvers.settings.notices import BoundBefore, sign_in_method_changed

INVALID_TOKEN = user_error(UserErrorCode.INVALID_CODE, "This token is not valid.", "token")
TOO_MANY_TOKENS = user_error(
    UserErrorCode.TOO_MANY_ATTEMPTS, "Too many wrong tokens; try again later.", "token"
)


def _taken(field: str) -> UserError:
    return user_error(
        UserErrorCode.ALREADY_EXISTS, f"This {field} is bound to another account.", field
    )


async def bind_phone(ctx: RequestContext, phone: str, code: str) -> Account:
    """Bind a phone proven by a BIND_PHONE code, from a stepped-up session: a phone is a
    way to sign in, and adding or replacing one is never left to a stolen token."""
    account = require_account(ctx)
    parsed = valid_phone(phone)
    require_step_up(ctx)
    now = ctx.now()
    # The code first: only the phone's holder learns whether it is taken.
    row = await checked_code(
        ctx, recipient=parsed, purpose=SmsPurpose.BIND_PHONE, code=code, now=now
    )
    holder = await queries.account_by_phone(ctx.session, parsed)
    if holder is not None and holder.id != account.id:
        raise Refused(_taken("phone"))
    await use_code(ctx, row, now)
    before = BoundBefore.of(account)
    # The unique index decides when two accounts bind one phone at once.
    try:
        async with ctx.session.begin_nested():
            account.phone = parsed
            account.unproven_phone = None
    except IntegrityError:
        await ctx.session.refresh(account)  # the savepoint's rollback expired it
        raise Refused(_taken("phone")) from None
    await sign_in_method_changed(ctx, account, "phone", before)
    return account


IN_USE_BODY = (
    "Someone asked to add this address to another account. It stays with your account and "
    "nothing changed. If it was you, sign in with this address instead; if not, you need "
    "not do anything.\n"
)


async def bind_email(ctx: RequestContext, email: str) -> None:
    """Send a one-time confirmation token (24 h) to the address; confirmEmail binds it.

    The answer is the same for every valid address: an address bound to another account
    gets a notice to its owner instead of a token.
    """
    account = require_account(ctx)
    parsed = valid_email(email)
    # An address is a way to sign in: binding one is never left to a stolen token.
    require_step_up(ctx)
    if await queries.email_taken(ctx.session, parsed, by_other_than=account.id):
        holder = await queries.account_by_email(ctx.session, parsed)
        refusal = await send_email(
            ctx,
            to=holder.email if holder and holder.email else parsed,  # as its owner wrote it
            purpose="EMAIL_IN_USE",
            body=IN_USE_BODY,
            asked_by=account.id,
        )
    else:
        refusal = await send_confirmation(ctx, account, parsed)
    if refusal is not None:
        raise Refused(refusal)


async def confirm_email(ctx: RequestContext, token: str) -> Account:
    """Prove an address with its token, signed in or not (an invitation comes to someone
    who cannot sign in yet). A signed-in account confirms only its own tokens."""
    signed_in = ctx.viewer_account
    limiter = ctx.auth.limiter
    keys = [(TOKEN_TRIES_PER_CLIENT, address_key(ctx.client_address or "unknown"))]
    if signed_in is not None:
        keys.append((TOKEN_TRIES, account_key(signed_in.id)))
    counted: list[tuple[Limit, str]] = []
    for limit, key in keys:
        if not (await limiter.count(limit, key)).allowed:
            for each in counted:  # nothing was checked: the other counts give their try back
                await limiter.refund(*each)
            raise Refused(TOO_MANY_TOKENS)
        counted.append((limit, key))
    now = ctx.now()
    confirmation = await find_token(ctx.session, token)
    if (
        confirmation is None
        or confirmation.used_at is not None
        or (signed_in is not None and confirmation.account_id != signed_in.id)
    ):
        raise Refused(INVALID_TOKEN)
    if now >= confirmation.expires_at:
        raise refused(UserErrorCode.CODE_EXPIRED, "This token has expired; ask again.", "token")
    account = await ctx.session.get(Account, confirmation.account_id)
    address = confirmation.email
    if account is None or account.status is AccountStatus.CANCELLED or address is None:
        raise Refused(INVALID_TOKEN)
    if await queries.email_taken(ctx.session, address, by_other_than=account.id):
        raise Refused(_taken("email"))
    # The right token gives back its own try only: clearing the counts would let anyone
    # who can mint a token of their own wipe out the wrong guesses before it.
    for limit, key in keys:
        await limiter.refund(limit, key)
    before = BoundBefore.of(account)
    # The unique index decides when two accounts prove one address at once.
    try:
        async with ctx.session.begin_nested():
            account.email = address
            account.email_verified_at = now
            if (
                account.unproven_email is not None
                and account.unproven_email.lower() == address.lower()
            ):
                account.unproven_email = None
    except IntegrityError:
        await ctx.session.refresh(account)  # the savepoint's rollback expired it
        raise Refused(_taken("email")) from None
    confirmation.used_at = now
    if before.email != address:  # not a re-confirmation of the same address
        await sign_in_method_changed(ctx, account, "e-mail address", before)
    await ctx.session.flush()
    return account
