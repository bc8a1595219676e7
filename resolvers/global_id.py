"""Relay-style global IDs: base64 of `TypeName:uuid`; an ID of one type never reads as another."""

from __future__ import annotations

import base64
import binascii
import uuid


def to_global_id(type_name: str, id_: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{id_}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, uuid.UUID] | None:
    """The type name and key of a global ID, or None when it is not one of ours."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, raw_id = base64.urlsafe_b64decode(padded).decode().partition(":")
        return type_name, uuid.UUID(raw_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def key_of(global_id: str, *type_names: str) -> uuid.UUID | None:
    """The key of an ID of one of `type_names`, or None for any other ID."""
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] not in type_names:
        return None
    return decoded[1]
