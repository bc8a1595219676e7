"""Service credentials: issue, recognise and check `svc_<id>.<secret>` bearer tokens."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import ServiceCredential
from models.encryption import KeyPurpose, keyed_hash

PREFIX = "svc_"


@dataclass(frozen=True)
class IssuedCredential:
    credential: ServiceCredential
    token: str


def is_service_token(token: str) -> bool:
    return token.startswith(PREFIX)


DOMAIN = "service.credential"


def _hash(credential_id: uuid.UUID, secret: str) -> bytes:
    return keyed_hash(KeyPurpose.SERVICE_CREDENTIAL).digest(DOMAIN, f"{credential_id}:{secret}")


def issue(name: str, now: datetime) -> IssuedCredential:
    """A new credential and the token that proves it (shown once, never stored)."""
    secret = secrets.token_urlsafe(32)
    credential = ServiceCredential(name=name, secret_hash=b"", created_at=now)
    credential.secret_hash = _hash(credential.id, secret)
    return IssuedCredential(credential, f"{PREFIX}{credential.id.hex}.{secret}")


async def authenticate(db: AsyncSession, token: str) -> ServiceCredential | None:
    """The live credential the token proves, or None."""
    raw_id, dot, secret = token.removeprefix(PREFIX).partition(".")
    try:
        credential_id = uuid.UUID(hex=raw_id)
    except ValueError:
        return None
    if not dot or not secret:
        return None
    credential = await db.get(ServiceCredential, credential_id)
    if credential is None or credential.revoked_at is not None:
        return None
    # Any configured key: a credential outlives a rotation of the blind-index keys.
    if not keyed_hash(KeyPurpose.SERVICE_CREDENTIAL).matches(
        credential.secret_hash, DOMAIN, f"{credential_id}:{secret}"
    ):
        return None
    return credential
