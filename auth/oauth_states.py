"""One-time `state` values that tie a WeChat redirect to the request that began it."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from datetime import datetime, timedelta
from urllib.parse import SplitResult, unquote, urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import OAuthState
from models.encryption import KeyPurpose, keyed_hash

STATE_TTL = timedelta(minutes=10)


def _hash(state: str) -> bytes:
    return keyed_hash(KeyPurpose.ONE_TIME_SECRET).digest("oauth.state", state)


def _hashes(state: str) -> tuple[bytes, ...]:
    """What the state's stored hash may be: it was computed under any configured key."""
    return keyed_hash(KeyPurpose.ONE_TIME_SECRET).digests("oauth.state", state)


MAX_REDIRECT_LENGTH = 500
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$|^[0-9a-f:.]+$"
)


def _parsed(url: str) -> SplitResult | None:
    """The URL's parts when it is a plain absolute http(s) URL, else None.

    Refused: userinfo (`https://good.example:@evil.example/`), backslashes, whitespace
    and control characters, a fragment, an unreadable port or host, and `.`/`..` path
    segments (a browser would resolve them elsewhere).
    """
    if len(url) > MAX_REDIRECT_LENGTH or "\\" in url:
        return None
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises for a port that is not one)
    except ValueError:
        return None
    host = parts.hostname
    if (
        parts.scheme not in _DEFAULT_PORTS
        or not host
        or not _HOST.match(host)
        or "@" in parts.netloc
        or parts.fragment
        or "#" in url
    ):
        return None
    if any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        return None
    return parts


def _port(parts: SplitResult) -> int:
    return parts.port or _DEFAULT_PORTS[parts.scheme]


def redirect_allowed(redirect_uri: str, allowlist: tuple[str, ...]) -> bool:
    """Whether the URL falls under an allow-list entry, compared as parsed URLs: the
    scheme and host exactly, the port exactly where the entry names one (an entry
    without a port allows any port of its host), and the path at a segment boundary."""
    parts = _parsed(redirect_uri)
    if parts is None:
        return False
    for entry in allowlist:
        allowed = _parsed(entry)
        if allowed is None or (parts.scheme, parts.hostname) != (allowed.scheme, allowed.hostname):
            continue
        if allowed.port is not None and _port(parts) != _port(allowed):
            continue
        base = allowed.path.rstrip("/")
        if base and parts.path != base and not parts.path.startswith(base + "/"):
            continue
        return True
    return False


def new_state(
    *, redirect_uri: str, now: datetime, account_id: uuid.UUID | None = None
) -> tuple[str, OAuthState]:
    """A fresh state and the row that remembers it (only its hash is stored)."""
    state = secrets.token_urlsafe(24)
    row = OAuthState(
        state_hash=_hash(state),
        redirect_uri=redirect_uri,
        account_id=account_id,
        created_at=now,
        expires_at=now + STATE_TTL,
    )
    return state, row


async def consume_state(db: AsyncSession, state: str, now: datetime) -> OAuthState | None:
    """The state's row if it is known, unexpired and unused; it can never be used again."""
    row = (
        await db.scalars(select(OAuthState).where(OAuthState.state_hash.in_(_hashes(state))))
    ).first()
    if row is None or row.used_at is not None or now >= row.expires_at:
        return None
    used = await db.execute(
        update(OAuthState)
        .where(OAuthState.id == row.id, OAuthState.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return row if used.rowcount else None  # type: ignore[attr-defined]
