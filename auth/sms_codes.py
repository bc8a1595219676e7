"""One-time codes, by SMS (and for signing in to a locked login, by e-mail): issued from
a CSPRNG, stored as keyed hashes, tried at most 5 times."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.message_limits import Channel, may_send
from auth.rate_limits import RateLimiter
from auth.senders import OutgoingMessage, Sender
from models import SmsCode, SmsPurpose
from models.encryption import KeyPurpose, keyed_hash
from models.unit_of_work import RequestScope

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5

MESSAGES = {
    SmsPurpose.LOGIN: "Your sign-in code is {code}. It expires in 5 minutes.",
    SmsPurpose.BIND_PHONE: "Your code to bind this phone is {code}. It expires in 5 minutes.",
    SmsPurpose.STEP_UP: "Your verification code is {code}. It expires in 5 minutes.",
    SmsPurpose.GUARDIAN_CONSENT: (
        "Your code to consent as a guardian is {code}. It expires in 5 minutes."
    ),
    SmsPurpose.DATA_REQUEST: (
        "Your code to confirm a request about personal data is {code}. It expires in 5 minutes."
    ),
}


class CodeCheck(StrEnum):
    OK = "OK"
    INVALID = "INVALID"
    EXPIRED = "EXPIRED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"


@dataclass(frozen=True)
class Issued:
    sent: bool
    retry_after_seconds: int
    expires_at: datetime | None


def _recipient(recipient: str) -> tuple[str, str]:
    """The hashing domain and normalized form of a code's recipient: a phone (E.164) or,
    for codes sent by e-mail, an address."""
    if "@" in recipient:
        return "code.email", recipient.lower()
    return "sms.phone", recipient


def phone_key(recipient: str) -> bytes:
    """The keyed hash under which a recipient's codes are stored."""
    return keyed_hash(KeyPurpose.ONE_TIME_SECRET).digest(*_recipient(recipient))


def phone_keys(recipient: str) -> tuple[bytes, ...]:
    """What the recipient's hash on a stored code may be: it was computed under any
    configured key."""
    return keyed_hash(KeyPurpose.ONE_TIME_SECRET).digests(*_recipient(recipient))


def _unused_codes(recipient: str, purpose: SmsPurpose) -> ColumnElement[bool]:
    """The recipient's codes for `purpose` that no request has used yet."""
    return and_(
        SmsCode.phone_index.in_(phone_keys(recipient)),
        SmsCode.purpose == purpose,
        SmsCode.consumed_at.is_(None),
    )


def _code_hash(row: SmsCode, code: str) -> bytes:
    return keyed_hash(KeyPurpose.ONE_TIME_SECRET).digest("sms.code", f"{row.id}:{code}")


def _code_matches(row: SmsCode, code: str) -> bool:
    return keyed_hash(KeyPurpose.ONE_TIME_SECRET).matches(
        row.code_hash, "sms.code", f"{row.id}:{code}"
    )


async def issue_code(
    scope: RequestScope,
    *,
    recipient: str,
    purpose: SmsPurpose,
    now: datetime,
    limiter: RateLimiter,
    sender: Sender,
    client_address: str | None,
) -> Issued:
    """Send a fresh code unless a limit says wait (auth/message_limits.py); the answer
    never depends on accounts. The code is stored for good before it is sent: a code
    that reached a phone always exists."""
    channel: Channel = "email" if "@" in recipient else "sms"
    decision = await may_send(
        limiter, channel, recipient=recipient, purpose=purpose.value, client_address=client_address
    )
    if not decision.allowed:
        return Issued(sent=False, retry_after_seconds=decision.retry_after_seconds, expires_at=None)
    key = phone_key(recipient)
    code = f"{secrets.randbelow(10**6):06d}"
    row = SmsCode(
        phone_index=key,
        purpose=purpose,
        code_hash=b"",
        created_at=now,
        expires_at=now + CODE_TTL,
        attempts=0,
    )
    row.code_hash = _code_hash(row, code)

    async def store(db: AsyncSession) -> None:
        # A new code replaces the one before it (only the newest is ever checked), so
        # that which code is current never hangs on two equal timestamps.
        await db.execute(
            delete(SmsCode)
            .where(_unused_codes(recipient, purpose))
            .execution_options(synchronize_session=False)
        )
        db.add(row)
        await db.flush()

    await scope.record_for_good(store)
    await sender.send(
        OutgoingMessage(
            to=recipient,
            channel=channel,
            purpose=purpose.value,
            code=code,
            body=MESSAGES[purpose].format(code=code),
            sent_at=now,
        )
    )
    return Issued(
        sent=True,
        retry_after_seconds=decision.retry_after_seconds,
        expires_at=row.expires_at,
    )


async def check_code(
    scope: RequestScope, *, recipient: str, purpose: SmsPurpose, code: str, now: datetime
) -> tuple[CodeCheck, SmsCode | None]:
    """Check without consuming the code; at most MAX_ATTEMPTS tries, whatever the request.

    Every try is counted before the comparison, in one conditional UPDATE committed at
    once: no number of aliases, concurrent requests or failures later in a request (whose
    unit of work is rolled back) gets more than MAX_ATTEMPTS comparisons.
    """

    async def count_try(db: AsyncSession) -> tuple[CodeCheck, SmsCode | None]:
        row = (
            await db.scalars(
                select(SmsCode)
                .where(_unused_codes(recipient, purpose))
                .order_by(SmsCode.created_at.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return CodeCheck.INVALID, None
        if now >= row.expires_at:
            return CodeCheck.EXPIRED, None
        counted = await db.execute(
            update(SmsCode)
            .where(SmsCode.id == row.id, SmsCode.attempts < MAX_ATTEMPTS)
            .values(attempts=SmsCode.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if counted.rowcount == 0:  # type: ignore[attr-defined]
            return CodeCheck.TOO_MANY_ATTEMPTS, None
        return CodeCheck.OK, row

    counted, row = await scope.record_for_good(count_try)
    if counted is not CodeCheck.OK or row is None:
        return counted, None
    if _code_matches(row, code):
        return CodeCheck.OK, row
    return CodeCheck.INVALID, None


async def consume_code(db: AsyncSession, row: SmsCode, now: datetime) -> bool:
    """Mark the code used; False when another request used it first."""
    result = await db.execute(
        update(SmsCode)
        .where(SmsCode.id == row.id, SmsCode.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
