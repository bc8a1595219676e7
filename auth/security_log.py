"""Security events: one JSON line each on the `security` logger.

Every line names the event, its outcome, who acted (kind and id), the session, a keyed
hash of the client address (never the address) and, through the log formatter, the
request id. No line ever holds a secret or a sensitive value: ids, kinds and field
names only.
"""

from __future__ import annotations

import logging
import uuid

from models.encryption import KeyPurpose, keyed_hash

security_logger = logging.getLogger("security")


def client_hash(address: str | None) -> str | None:
    """The client address as logs may hold it: a keyed hash, stable within one key."""
    if not address:
        return None
    return keyed_hash(KeyPurpose.LOG_PSEUDONYM).digest("log.client", address).hex()[:32]


def security_event(
    event: str,
    outcome: str,
    *,
    actor_kind: str | None = None,
    actor_id: uuid.UUID | str | None = None,
    session_id: uuid.UUID | None = None,
    client_address: str | None = None,
    **details: str | int | None,
) -> None:
    security_logger.info(
        event,
        extra={
            "event": event,
            "outcome": outcome,
            "actor_kind": actor_kind,
            "actor_id": str(actor_id) if actor_id is not None else None,
            "session_id": str(session_id) if session_id is not None else None,
            "client": client_hash(client_address),
            **details,
        },
    )
