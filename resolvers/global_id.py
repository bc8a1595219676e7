"""Relay-style global IDs: base64 of `TypeName:uuid`; an ID of one type never reads as another.

`decode_global_id` is the one place where an ID from a client is read: anything that is
not exactly an ID this API issues is BAD_USER_INPUT, whatever field it came through.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass

from auth.errors import BadUserInput

MAX_GLOBAL_ID_LENGTH = 128
NOT_AN_ID = "The ID is not one this API issued."
_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")


@dataclass(frozen=True, slots=True)
class GlobalId:
    type_name: str
    key: uuid.UUID


def to_global_id(type_name: str, id_: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{id_}".encode()).decode().rstrip("=")


def decode_global_id(raw: str) -> GlobalId:
    """The type name and key of an ID, or BAD_USER_INPUT.

    Only the exact form `to_global_id` writes is read back: no padding, no other
    alphabet, no other spelling of the UUID.
    """
    if len(raw) > MAX_GLOBAL_ID_LENGTH:
        raise BadUserInput(NOT_AN_ID)
    try:
        padded = raw + "=" * (-len(raw) % 4)
        type_name, _, key = base64.urlsafe_b64decode(padded).decode().partition(":")
        decoded = GlobalId(type_name, uuid.UUID(key))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadUserInput(NOT_AN_ID) from exc
    if not _TYPE_NAME.fullmatch(type_name) or to_global_id(type_name, decoded.key) != raw:
        raise BadUserInput(NOT_AN_ID)
    return decoded


def key_of(raw: str, *type_names: str) -> uuid.UUID | None:
    """The key of an ID of one of `type_names`; None for an ID of any other type, which
    reads as an object that does not exist. An ID that is not one is BAD_USER_INPUT."""
    decoded = decode_global_id(raw)
    if decoded.type_name not in type_names:
        return None
    return decoded.key
