"""One-time SMS codes: issued from a CSPRNG, stored as keyed hashes, tried at most 5 times."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.rate_limits import Limit, RateLimiter
from auth.senders import OutgoingMessage, Sender
from models import SmsCode, SmsPurpose
from models.encryption import indexer
from models.unit_of_work import RequestScope

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
PER_PHONE_AND_PURPOSE = Limit("sms-interval", 1, 60)
PER_PHONE_DAILY = Limit("sms-daily", 10, 24 * 3600)
PER_ADDRESS_HOURLY = Limit("sms-address", 30, 3600)

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


def phone_key(phone: str) -> bytes:
    """The blind index codes and rate limits use for a phone (E.164)."""
    return indexer().index("sms.phone", phone)


def address_key(address: str) -> str:
    return indexer().index("rate.address", address).hex()


def _code_hash(row: SmsCode, code: str) -> bytes:
    return indexer().index("sms.code", f"{row.id}:{code}")


async def issue_code(
    scope: RequestScope,
    *,
    phone: str,
    purpose: SmsPurpose,
    now: datetime,
    limiter: RateLimiter,
    sender: Sender,
    client_address: str | None,
) -> Issued:
    """Send a fresh code unless a limit says wait; the answer never depends on accounts.

    Every limit is asked first, so that a refusal by one spends nothing of the others;
    each is then hit and decided on in one atomic step, so that concurrent requests
    cannot slip past together. The code is stored for good before it is sent: a code
    that reached a phone always exists.
    """
    key = phone_key(phone)
    checks = [
        (PER_PHONE_AND_PURPOSE, f"{key.hex()}:{purpose.value}"),
        (PER_PHONE_DAILY, key.hex()),
    ]
    if client_address:
        checks.append((PER_ADDRESS_HOURLY, address_key(client_address)))
    for limit, limit_key in checks:
        decision = await limiter.test(limit, limit_key)
        if not decision.allowed:
            return Issued(
                sent=False, retry_after_seconds=decision.retry_after_seconds, expires_at=None
            )
    for limit, limit_key in checks:
        decision = await limiter.hit(limit, limit_key)
        if not decision.allowed:
            return Issued(
                sent=False, retry_after_seconds=decision.retry_after_seconds, expires_at=None
            )

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
        db.add(row)
        await db.flush()

    await scope.record_for_good(store)
    await sender.send(
        OutgoingMessage(
            to=phone,
            channel="sms",
            purpose=purpose.value,
            code=code,
            body=MESSAGES[purpose].format(code=code),
            sent_at=now,
        )
    )
    return Issued(
        sent=True,
        retry_after_seconds=PER_PHONE_AND_PURPOSE.per_seconds,
        expires_at=row.expires_at,
    )


async def check_code(
    scope: RequestScope, *, phone: str, purpose: SmsPurpose, code: str, now: datetime
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
                .where(
                    SmsCode.phone_index == phone_key(phone),
                    SmsCode.purpose == purpose,
                    SmsCode.consumed_at.is_(None),
                )
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
    if hmac.compare_digest(row.code_hash, _code_hash(row, code)):
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
