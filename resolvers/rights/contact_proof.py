"""Proving a phone or an e-mail address of someone who holds no account.

A phone is proven by an SMS code of purpose DATA_REQUEST (issued and checked as every
SMS code is: 5 minutes, single use, 5 tries, the sending limits); an e-mail address by
a 6-digit code sent to it, kept and limited the same way: at most 5 tries, each
recorded for good before the comparison; 60 s between codes to one address, 10 an
address a day, 30 a client address an hour.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.contacts import looks_like_email, parse_email, parse_phone
from auth.rate_limits import Limit
from auth.senders import OutgoingMessage
from auth.sms_codes import CodeCheck, check_code, consume_code, issue_code
from models import EmailCode, MessageChannel, SmsPurpose
from models.encryption import indexer
from resolvers.context import RequestContext

PURPOSE = "DATA_REQUEST"
CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
PER_ADDRESS_AND_PURPOSE = Limit("email-code-interval", 1, 60)
PER_ADDRESS_DAILY = Limit("email-code-daily", 10, 24 * 3600)
PER_CLIENT_HOURLY = Limit("email-code-client", 30, 3600)
EMAIL_BODY = (
    "Your code to confirm a request about personal data is {code}. It expires in 5 minutes."
)


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


@dataclass(frozen=True)
class Sent:
    sent: bool
    retry_after_seconds: int
    expires_at: datetime | None


def _address_key(address: str) -> bytes:
    return indexer().index("email.code.address", address.lower())


def _code_hash(row: EmailCode, code: str) -> bytes:
    return indexer().index("email.code", f"{row.id}:{code}")


async def send_code(ctx: RequestContext, contact: Contact) -> Sent:
    """Send a code to the contact unless a limit says wait; the answer never depends on
    whether the contact belongs to an account."""
    now = ctx.now()
    if contact.channel is MessageChannel.SMS:
        issued = await issue_code(
            ctx.scope,
            phone=contact.value,
            purpose=SmsPurpose.DATA_REQUEST,
            now=now,
            limiter=ctx.auth.limiter,
            sender=ctx.auth.sms,
            client_address=ctx.client_address,
        )
        return Sent(issued.sent, issued.retry_after_seconds, issued.expires_at)
    key = _address_key(contact.value)
    checks = [
        (PER_ADDRESS_AND_PURPOSE, f"{key.hex()}:{PURPOSE}"),
        (PER_ADDRESS_DAILY, key.hex()),
    ]
    if ctx.client_address:
        client_key = indexer().index("rate.address", ctx.client_address).hex()
        checks.append((PER_CLIENT_HOURLY, client_key))
    for step in (ctx.auth.limiter.test, ctx.auth.limiter.hit):
        for limit, limit_key in checks:
            decision = await step(limit, limit_key)
            if not decision.allowed:
                return Sent(False, decision.retry_after_seconds, None)
    code = f"{secrets.randbelow(10**6):06d}"
    row = EmailCode(
        address_index=key,
        purpose=PURPOSE,
        code_hash=b"",
        created_at=now,
        expires_at=now + CODE_TTL,
        attempts=0,
    )
    row.code_hash = _code_hash(row, code)

    async def store(db: AsyncSession) -> None:
        db.add(row)
        await db.flush()

    # Stored for good before it is sent: a code that reached someone always exists.
    await ctx.scope.record_for_good(store)
    await ctx.auth.email.send(
        OutgoingMessage(
            to=contact.value,
            channel="email",
            purpose=PURPOSE,
            code=code,
            body=EMAIL_BODY.format(code=code),
            sent_at=now,
        )
    )
    return Sent(True, PER_ADDRESS_AND_PURPOSE.per_seconds, row.expires_at)


async def prove(ctx: RequestContext, contact: Contact, code: str) -> CodeCheck:
    """Check and use up the code sent to the contact; every try counts, for good."""
    now = ctx.now()
    if contact.channel is MessageChannel.SMS:
        check, row = await check_code(
            ctx.scope, phone=contact.value, purpose=SmsPurpose.DATA_REQUEST, code=code, now=now
        )
        if check is not CodeCheck.OK or row is None:
            return check
        return CodeCheck.OK if await consume_code(ctx.session, row, now) else CodeCheck.INVALID
    key = _address_key(contact.value)

    async def count_try(db: AsyncSession) -> tuple[CodeCheck, EmailCode | None]:
        row = (
            await db.scalars(
                select(EmailCode)
                .where(
                    EmailCode.address_index == key,
                    EmailCode.purpose == PURPOSE,
                    EmailCode.consumed_at.is_(None),
                )
                .order_by(EmailCode.created_at.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return CodeCheck.INVALID, None
        if now >= row.expires_at:
            return CodeCheck.EXPIRED, None
        counted = await db.execute(
            update(EmailCode)
            .where(EmailCode.id == row.id, EmailCode.attempts < MAX_ATTEMPTS)
            .values(attempts=EmailCode.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if counted.rowcount == 0:  # type: ignore[attr-defined]
            return CodeCheck.TOO_MANY_ATTEMPTS, None
        return CodeCheck.OK, row

    tried, email_code = await ctx.scope.record_for_good(count_try)
    if tried is not CodeCheck.OK or email_code is None:
        return tried
    if not hmac.compare_digest(email_code.code_hash, _code_hash(email_code, code)):
        return CodeCheck.INVALID
    used = await ctx.session.execute(
        update(EmailCode)
        .where(EmailCode.id == email_code.id, EmailCode.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    return CodeCheck.OK if used.rowcount else CodeCheck.INVALID  # type: ignore[attr-defined]
