"""Encryption at rest for personal data, and blind indexes for exact look-ups.

A sensitive attribute is declared with `Encrypted`: its clear value exists only in the
process. The column beside it holds AES-256-GCM ciphertext with the id of the key that
sealed it, and the associated data binds the ciphertext to its table, column and row,
so a value copied into another row or column no longer decrypts. Where the value must
be unique or looked up, an HMAC-SHA256 blind index of the normalized value is stored
instead of anything searchable in clear.

Keys come from settings (`GATEWAY_DATA_KEYS`, `GATEWAY_BLIND_INDEX_KEY`) through
`configure()`, called by the app factory and the CLI before any session is used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 1
NONCE_BYTES = 12


class EncryptionError(Exception):
    """A value could not be sealed or opened. The message never holds the value."""


@dataclass(frozen=True)
class KeyRing:
    """Data keys by id; `current` seals, every key opens."""

    keys: dict[str, bytes]
    current: str

    @classmethod
    def from_setting(cls, value: str) -> KeyRing:
        """Parse `keyid:base64key,...`; the last entry is the current key."""
        keys: dict[str, bytes] = {}
        current = ""
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            key_id, sep, encoded = entry.partition(":")
            if not sep or not key_id or len(key_id) > 32:
                raise EncryptionError("each data key must be written as keyid:base64key")
            try:
                key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except (binascii.Error, ValueError) as exc:
                raise EncryptionError(f"data key {key_id} is not base64") from exc
            if len(key) != 32:
                raise EncryptionError(f"data key {key_id} must be 32 bytes (AES-256)")
            keys[key_id] = key
            current = key_id
        if not keys:
            raise EncryptionError("no data key configured")
        return cls(keys=keys, current=current)

    def seal(self, plaintext: str, associated_data: bytes) -> bytes:
        key_id = self.current.encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext.encode(), associated_data)
        return bytes([FORMAT_VERSION, len(key_id)]) + key_id + nonce + sealed

    def open(self, blob: bytes, associated_data: bytes) -> str:
        key_id = self.key_id_of(blob)
        key = self.keys.get(key_id)
        if key is None:
            raise EncryptionError(f"value sealed with unknown key {key_id}")
        start = 2 + len(key_id)
        nonce, sealed = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
        try:
            return AESGCM(key).decrypt(nonce, sealed, associated_data).decode()
        except InvalidTag as exc:
            raise EncryptionError("value does not open with its key and binding") from exc

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        if len(blob) < 2 or blob[0] != FORMAT_VERSION:
            raise EncryptionError("not a sealed value")
        return blob[2 : 2 + blob[1]].decode()


@dataclass(frozen=True)
class BlindIndexer:
    key: bytes

    def index(self, domain: str, normalized: str) -> bytes:
        message = domain.encode() + b"\x00" + normalized.encode()
        return hmac.new(self.key, message, hashlib.sha256).digest()


@dataclass
class _Keys:
    keyring: KeyRing | None = None
    indexer: BlindIndexer | None = None


_keys = _Keys()


def configure(keyring: KeyRing, indexer: BlindIndexer) -> None:
    _keys.keyring = keyring
    _keys.indexer = indexer


def keyring() -> KeyRing:
    if _keys.keyring is None:
        raise EncryptionError("encryption keys are not configured")
    return _keys.keyring


def indexer() -> BlindIndexer:
    if _keys.indexer is None:
        raise EncryptionError("blind-index key is not configured")
    return _keys.indexer


def _identity(value: str) -> str:
    return value


class Encrypted:
    """A clear-text attribute stored sealed in `column` (and blind-indexed in `index`).

    Declared on a model that has an application-assigned `id`, next to the mapped
    columns it fills::

        phone_sealed: Mapped[bytes | None] = mapped_column("phone", LargeBinary)
        phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
        phone = Encrypted("phone_sealed", index="phone_index")
    """

    def __init__(
        self,
        column: str,
        *,
        index: str | None = None,
        normalize: Callable[[str], str] = _identity,
    ) -> None:
        self.column = column
        self.index = index
        self.normalize = normalize
        self.name = ""
        self.table = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name
        self.table = str(owner.__tablename__)

    def binding(self, row_id: object) -> bytes:
        """The associated data: table, column and row."""
        return f"{self.table}.{self.name}.{row_id}".encode()

    def index_of(self, value: str) -> bytes:
        """The blind index of a clear value, for exact look-ups and uniqueness."""
        return indexer().index(f"{self.table}.{self.name}", self.normalize(value))

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Encrypted: ...

    @overload
    def __get__(self, obj: object, owner: type[Any]) -> str | None: ...

    def __get__(self, obj: object | None, owner: type[Any]) -> Encrypted | str | None:
        if obj is None:
            return self
        blob: bytes | None = getattr(obj, self.column)
        if blob is None:
            return None
        return keyring().open(blob, self.binding(obj.id))  # type: ignore[attr-defined]

    def __set__(self, obj: object, value: str | None) -> None:
        row_id = obj.id  # type: ignore[attr-defined]
        if row_id is None:
            raise EncryptionError("the row needs its id before a sealed value is set")
        if value is None:
            setattr(obj, self.column, None)
        else:
            setattr(obj, self.column, keyring().seal(value, self.binding(row_id)))
        if self.index is not None:
            setattr(obj, self.index, None if value is None else self.index_of(value))

    def reseal(self, obj: object) -> bool:
        """Seal the stored value again with the current key; True when it changed."""
        blob: bytes | None = getattr(obj, self.column)
        if blob is None or KeyRing.key_id_of(blob) == keyring().current:
            return False
        self.__set__(obj, self.__get__(obj, type(obj)))
        return True


def encrypted_attributes(model: type[Any]) -> list[Encrypted]:
    return [value for value in vars(model).values() if isinstance(value, Encrypted)]
