"""Encryption at rest for personal data, and keyed hashes for exact look-ups.

A sensitive attribute is declared with `Encrypted`: its clear value exists only in the
process. The column beside it holds AES-256-GCM ciphertext with the id of the key that
sealed it, and the associated data binds the ciphertext to its table, column and row,
so a value copied into another row or column no longer decrypts. Where the value must
be unique or looked up, an HMAC-SHA256 blind index of the normalized value is stored
instead of anything searchable in clear.

Every keyed hash the gateway stores or keys by has a purpose (`KeyPurpose`), and each
purpose has keys of its own, derived with HKDF-SHA256 under a distinct label from the
versioned master keys of `GATEWAY_BLIND_INDEX_KEY`. The newest version computes; a
value computed under any configured version still matches, so a new version can be
introduced while every stored index and hash stays usable, and `keys rotate`
recomputes the blind indexes under it.

Keys come from settings (`GATEWAY_DATA_KEYS`, `GATEWAY_BLIND_INDEX_KEY`) through
`configure()`, called by the app factory and the CLI before any session is used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, overload

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import ColumnElement, bindparam

FORMAT_VERSION = 1
NONCE_BYTES = 12


class EncryptionError(Exception):
    """A value could not be sealed or opened. The message never holds the value."""


@dataclass(frozen=True)
class KeyRing:
    """Data keys by id; `current` seals, every key opens."""

    keys: Mapping[str, bytes]
    current: str
    # One cipher per key, made once: making one costs as much as opening a value.
    ciphers: Mapping[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The ring's own copy, read-only: its ciphers cannot drift from its keys.
        keys = MappingProxyType(dict(self.keys))
        object.__setattr__(self, "keys", keys)
        ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        object.__setattr__(self, "ciphers", MappingProxyType(ciphers))

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
        sealed = self.ciphers[self.current].encrypt(nonce, plaintext.encode(), associated_data)
        return bytes([FORMAT_VERSION, len(key_id)]) + key_id + nonce + sealed

    def open(self, blob: bytes, associated_data: bytes) -> str:
        key_id = self.key_id_of(blob)
        cipher = self.ciphers.get(key_id)
        if cipher is None:
            raise EncryptionError(f"value sealed with unknown key {key_id}")
        start = 2 + len(key_id)
        nonce, sealed = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
        try:
            return cipher.decrypt(nonce, sealed, associated_data).decode()
        except InvalidTag as exc:
            raise EncryptionError("value does not open with its key and binding") from exc

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        if len(blob) < 2 or blob[0] != FORMAT_VERSION:
            raise EncryptionError("not a sealed value")
        return blob[2 : 2 + blob[1]].decode()


class KeyPurpose(StrEnum):
    """What a keyed hash is for. Each purpose has keys of its own, derived under its
    label (the value), so that no key serves two purposes."""

    BLIND_INDEX = "xiamo-gateway/blind-index"
    """Blind indexes of sealed columns (phones, e-mail addresses, card numbers, OpenIDs)."""
    ONE_TIME_SECRET = "xiamo-gateway/one-time-secret"  # noqa: S105 (a label, not a secret)
    """Hashes of SMS codes (and the phone they were sent to), e-mail tokens, WeChat states."""
    RATE_LIMIT = "xiamo-gateway/rate-limit"
    """The keys under which rate limits count (client addresses, recipients, logins)."""
    REFRESH_TOKEN = "xiamo-gateway/refresh-token"  # noqa: S105 (a label, not a secret)
    """The HMAC under which refresh-token secrets are stored."""
    LOG_PSEUDONYM = "xiamo-gateway/log-pseudonym"
    """What logs hold instead of a client address: a stable keyed hash of it."""
    SERVICE_CREDENTIAL = "xiamo-gateway/service-credential"
    """The HMAC under which the secrets of the platform services' credentials are stored."""


# What a master key without a version (the form of earlier releases) computes with the
# master key itself rather than with a derived key: exactly what those releases stored
# and counted with it, so that an upgrade needs no step. Refresh tokens were not keyed
# by it, so they always use a derived key.
UNVERSIONED_PURPOSES = frozenset(
    {KeyPurpose.BLIND_INDEX, KeyPurpose.ONE_TIME_SECRET, KeyPurpose.RATE_LIMIT}
)
DERIVED_KEY_BYTES = 32


def derive_key(master: bytes, label: str) -> bytes:
    """The key for one purpose: HKDF-SHA256 of the master key, `label` as its info."""
    return HKDF(
        algorithm=hashes.SHA256(), length=DERIVED_KEY_BYTES, salt=None, info=label.encode()
    ).derive(master)


@dataclass(frozen=True)
class MasterKey:
    """One entry of a versioned key setting; `version` is None for a bare key."""

    version: str | None
    secret: bytes


@dataclass(frozen=True)
class KeyedHasher:
    """HMAC-SHA256 under one purpose's keys, oldest first: the last computes, every one
    matches."""

    keys: tuple[bytes, ...]

    @classmethod
    def for_purpose(cls, purpose: KeyPurpose, masters: Sequence[MasterKey]) -> KeyedHasher:
        if not masters:
            raise EncryptionError("no master key configured")
        return cls(
            tuple(
                master.secret
                if master.version is None and purpose in UNVERSIONED_PURPOSES
                else derive_key(master.secret, purpose.value)
                for master in masters
            )
        )

    @staticmethod
    def _mac(key: bytes, domain: str, value: str) -> bytes:
        message = domain.encode() + b"\x00" + value.encode()
        return hmac.new(key, message, hashlib.sha256).digest()

    def digest(self, domain: str, value: str) -> bytes:
        """The hash under the current key: what is stored or counted from now on."""
        return self._mac(self.keys[-1], domain, value)

    def digests(self, domain: str, value: str) -> tuple[bytes, ...]:
        """The hash under every configured key, the current one first: what a stored
        hash may be while a new key is rolled out."""
        return tuple(dict.fromkeys(self._mac(key, domain, value) for key in reversed(self.keys)))

    def matches(self, stored: bytes, domain: str, value: str) -> bool:
        """Whether `stored` is the hash of `value` under any configured key (constant time
        per key)."""
        found = False
        for candidate in self.digests(domain, value):
            found |= hmac.compare_digest(stored, candidate)
        return found


@dataclass
class _Keys:
    keyring: KeyRing | None = None
    hashers: dict[KeyPurpose, KeyedHasher] | None = None


_keys = _Keys()


def configure(keyring: KeyRing, hash_keys: Sequence[MasterKey]) -> None:
    """Install the data keys and the master keys of every keyed hash (oldest first)."""
    hashers = {purpose: KeyedHasher.for_purpose(purpose, hash_keys) for purpose in KeyPurpose}
    _keys.keyring = keyring
    _keys.hashers = hashers


def keyring() -> KeyRing:
    if _keys.keyring is None:
        raise EncryptionError("encryption keys are not configured")
    return _keys.keyring


def keyed_hash(purpose: KeyPurpose) -> KeyedHasher:
    if _keys.hashers is None:
        raise EncryptionError("blind-index keys are not configured")
    return _keys.hashers[purpose]


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
        self.owner: type[Any] | None = None

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name
        self.table = str(owner.__tablename__)
        self.owner = owner

    def binding(self, row_id: object) -> bytes:
        """The associated data: table, column and row."""
        return f"{self.table}.{self.name}.{row_id}".encode()

    def index_of(self, value: str) -> bytes:
        """The blind index of a clear value under the current key: what is stored."""
        return keyed_hash(KeyPurpose.BLIND_INDEX).digest(
            f"{self.table}.{self.name}", self.normalize(value)
        )

    def indexes_of(self, value: str) -> tuple[bytes, ...]:
        """The blind index of a clear value under every configured key, the current one
        first: a stored index is one of them until `keys rotate` has recomputed it."""
        return keyed_hash(KeyPurpose.BLIND_INDEX).digests(
            f"{self.table}.{self.name}", self.normalize(value)
        )

    def matches(self, value: str) -> ColumnElement[bool]:
        """A condition for rows holding `value`, through the blind index: exact look-ups
        go through here, so that they find rows indexed under any configured key."""
        return self._index_column().in_(self.indexes_of(value))  # type: ignore[no-any-return]

    def matching(self, parameter: str) -> ColumnElement[bool]:
        """`matches` for a statement built once: the value's `indexes_of` are given as
        the list `parameter` when it runs."""
        return self._index_column().in_(bindparam(parameter, expanding=True))  # type: ignore[no-any-return]

    def _index_column(self) -> Any:
        if self.index is None or self.owner is None:
            raise EncryptionError(f"{self.table}.{self.name} has no blind index")
        return getattr(self.owner, self.index)

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

    def rotation(self, obj: object) -> Rotation | None:
        """What bringing the stored value up to the current keys changes, without changing
        `obj`: its seal when an older data key sealed it, its blind index when an older
        index key computed it. None when both are current."""
        blob: bytes | None = getattr(obj, self.column)
        if blob is None:
            return None
        value = self.__get__(obj, type(obj))
        if value is None:
            return None
        values: dict[str, bytes] = {}
        if KeyRing.key_id_of(blob) != keyring().current:
            values[self.column] = keyring().seal(value, self.binding(obj.id))  # type: ignore[attr-defined]
        if self.index is not None:
            index = self.index_of(value)
            if getattr(obj, self.index) != index:
                values[self.index] = index
        if not values:
            return None
        return Rotation(self.column, blob, values)


@dataclass(frozen=True)
class Rotation:
    """New column values for one sealed attribute of one row, valid while `column` still
    holds `sealed` (a concurrent change of the value makes them stale)."""

    column: str
    sealed: bytes
    values: dict[str, bytes]

    @property
    def resealed(self) -> bool:
        return self.column in self.values

    @property
    def reindexed(self) -> bool:
        return len(self.values) > int(self.resealed)


def encrypted_attributes(model: type[Any]) -> list[Encrypted]:
    return [value for value in vars(model).values() if isinstance(value, Encrypted)]
