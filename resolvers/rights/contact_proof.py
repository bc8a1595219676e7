"""Proving a phone or an e-mail address of someone who holds no account.

Either gets a code of purpose DATA_REQUEST, by SMS or by e-mail, issued and checked as
every one-time code is (auth/sms_codes.py): 5 minutes, single use, 5 tries each
recorded for good before the comparison, and the sending limits of its channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from auth.contacts import looks_like_email, parse_email, parse_phone
from auth.sms_codes import CodeCheck, Issued, check_code, consume_code, issue_code
from models import MessageChannel, SmsPurpose
from resolvers.context import RequestContext


@dataclass(frozen=True)
class Contact:
    channel: MessageChannel
    value: str  # E.164 phone, or the normalized address


def parse_contact(raw: str) -> Contact | None:
    """A phone (mainland by default) or an e-mail address, normalized; None otherwise."""
    if looks_like_email(raw):
        address = parse_email(raw)
        return Contact(MessageChannel.EMAIL, address) if address is not None else None
    phone = parse_phone(raw)
    return Contact(MessageChannel.SMS, phone) if phone is not None else None


async def send_code(ctx: RequestContext, contact: Contact) -> Issued:
    """Send a code to the contact unless a limit says wait; the answer never depends on
    whether the contact belongs to an account."""
    return await issue_code(
        ctx.scope,
        recipient=contact.value,
        purpose=SmsPurpose.DATA_REQUEST,
        now=ctx.now(),
        limiter=ctx.auth.limiter,
        sender=ctx.auth.sms if contact.channel is MessageChannel.SMS else ctx.auth.email,
        client_address=ctx.client_address,
    )


async def prove(ctx: RequestContext, contact: Contact, code: str) -> CodeCheck:
    """Check and use up the code sent to the contact; every try counts, for good."""
    now = ctx.now()
    check, row = await check_code(
        ctx.scope, recipient=contact.value, purpose=SmsPurpose.DATA_REQUEST, code=code, now=now
    )
    if check is not CodeCheck.OK or row is None:
        return check
    return CodeCheck.OK if await consume_code(ctx.session, row, now) else CodeCheck.INVALID
