"""One-time e-mail tokens: proof that whoever presents one reads that mailbox.

A token is sent for binding an address (24 hours) or with a sub-account's invitation
(7 days); only its keyed hash is stored. Presenting one, signed in or not, proves the
address. Wrong tokens are limited like codes: 20 tries in a 15-minute window per client
address and 5 per signed-in account, counted before the token is looked up; a right
token gives back its own try (never the others': whoever can mint tokens of their own
must not reset a shared count with one).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.rate_limits import Limit
from models import EmailConfirmation
from models.encryption import KeyPurpose, keyed_hash

CONFIRMATION_TTL = timedelta(hours=24)
INVITATION_TTL = timedelta(days=7)
# Wrong tokens: 5 in 15 minutes per signed-in account; 20 per client address, so that a
# few strangers behind one shared address do not lock a new hire's invitation out.
TOKEN_TRIES = Limit("email-token-tries", 5, 15 * 60)
TOKEN_TRIES_PER_CLIENT = Limit("email-token-client", 20, 15 * 60)


def token_hash(token: str) -> bytes:
    return keyed_hash(KeyPurpose.ONE_TIME_SECRET).digest("email.confirmation", token)


def token_hashes(token: str) -> tuple[bytes, ...]:
    """What the token's stored hash may be: it was computed under any configured key."""
    return keyed_hash(KeyPurpose.ONE_TIME_SECRET).digests("email.confirmation", token)


def new_token(
    *, account_id: uuid.UUID, email: str, now: datetime, ttl: timedelta
) -> tuple[str, EmailConfirmation]:
    """A fresh token and the row that remembers it (its hash only)."""
    token = secrets.token_urlsafe(24)
    row = EmailConfirmation(
        account_id=account_id, token_hash=token_hash(token), created_at=now, expires_at=now + ttl
    )
    row.email = email
    return token, row


async def find_token(db: AsyncSession, token: str) -> EmailConfirmation | None:
    statement = select(EmailConfirmation).where(
        EmailConfirmation.token_hash.in_(token_hashes(token))
    )
    return (await db.scalars(statement)).first()
