"""One-time `state` values that tie a WeChat redirect to the request that began it."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import OAuthState
from models.encryption import indexer

STATE_TTL = timedelta(minutes=10)


def _hash(state: str) -> bytes:
    return indexer().index("oauth.state", state)


def redirect_allowed(redirect_uri: str, allowlist: tuple[str, ...]) -> bool:
    """Allowed when it starts with an allow-listed prefix at a path boundary."""
    for prefix in allowlist:
        if redirect_uri == prefix:
            return True
        if redirect_uri.startswith(prefix) and redirect_uri[len(prefix)] in "/?:#":
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
        await db.scalars(select(OAuthState).where(OAuthState.state_hash == _hash(state)))
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
