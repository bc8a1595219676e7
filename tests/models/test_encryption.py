"""Sealed values: AES-256-GCM bound to table, column and row; blind indexes; key rings."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from models import Account, AccountKind
from models.encryption import (
    EncryptionError,
    KeyedHasher,
    KeyPurpose,
    KeyRing,
    MasterKey,
    derive_key,
)


def key(fill: bytes) -> str:
    return base64.urlsafe_b64encode(fill * 32).decode()


def make_account(**kwargs: object) -> Account:
    return Account(
        kind=AccountKind.INDIVIDUAL, display_name="x", created_at=datetime.now(UTC), **kwargs
    )


def test_a_sealed_value_opens_only_with_its_binding() -> None:
    ring = KeyRing.from_setting(f"a:{key(b'a')}")
    blob = ring.seal("+8613812345678", b"accounts.phone.1")

    assert b"13812345678" not in blob
    assert ring.open(blob, b"accounts.phone.1") == "+8613812345678"
    with pytest.raises(EncryptionError) as raised:
        ring.open(blob, b"accounts.phone.2")
    assert "13812345678" not in str(raised.value)


def test_a_tampered_value_does_not_open() -> None:
    ring = KeyRing.from_setting(f"a:{key(b'a')}")
    blob = bytearray(ring.seal("secret", b"t.c.1"))
    blob[-1] ^= 1

    with pytest.raises(EncryptionError):
        ring.open(bytes(blob), b"t.c.1")


def test_the_last_key_seals_and_every_key_opens() -> None:
    old = KeyRing.from_setting(f"old:{key(b'o')}")
    both = KeyRing.from_setting(f"old:{key(b'o')},new:{key(b'n')}")
    sealed_before = old.seal("value", b"b")

    assert both.current == "new"
    assert KeyRing.key_id_of(both.seal("value", b"b")) == "new"
    assert both.open(sealed_before, b"b") == "value"
    with pytest.raises(EncryptionError):
        KeyRing.from_setting(f"new:{key(b'n')}").open(sealed_before, b"b")


def test_a_ring_keeps_its_own_keys_and_opens_only_with_them() -> None:
    given = {"old": b"o" * 32}
    ring = KeyRing(keys=given, current="old")
    sealed = ring.seal("value", b"b")
    given.clear()  # the caller's dict is not the ring's
    assert ring.open(sealed, b"b") == "value"
    with pytest.raises(TypeError):
        ring.keys["new"] = b"n" * 32  # type: ignore[index]
    with pytest.raises(EncryptionError):
        ring.open(KeyRing(keys={"new": b"n" * 32}, current="new").seal("value", b"b"), b"b")


@pytest.mark.parametrize(
    "setting", ["", "nokey", "a:not-base64!!", f"a:{base64.urlsafe_b64encode(b'short').decode()}"]
)
def test_malformed_key_settings_are_refused(setting: str) -> None:
    with pytest.raises(EncryptionError):
        KeyRing.from_setting(setting)


def test_a_value_copied_into_another_row_does_not_open() -> None:
    first = make_account()
    first.phone = "+8613812345678"
    second = make_account()
    second.phone_sealed = first.phone_sealed

    assert first.phone == "+8613812345678"
    with pytest.raises(EncryptionError):
        _ = second.phone


def test_the_blind_index_normalizes_and_separates_columns() -> None:
    account = make_account()
    account.email = "Zhang@Example.com"

    assert account.email_index == Account.email.index_of("zhang@example.com")
    assert Account.phone.index_of("a@b.c") != Account.email.index_of("a@b.c")
    first = KeyedHasher.for_purpose(KeyPurpose.BLIND_INDEX, [MasterKey("k", b"k" * 32)])
    second = KeyedHasher.for_purpose(KeyPurpose.BLIND_INDEX, [MasterKey("j", b"j" * 32)])
    assert first.digest("d", "v") != second.digest("d", "v")


def test_clearing_a_value_clears_its_index() -> None:
    account = make_account()
    account.phone = "+8613812345678"
    account.phone = None

    assert account.phone_sealed is None
    assert account.phone_index is None


def hkdf_sha256(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(master)


def test_derived_keys_are_hkdf_sha256_of_the_master_key() -> None:
    # RFC 5869, test case 3 (no salt, no info): the first 32 bytes of its OKM.
    okm = bytes.fromhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d")

    assert derive_key(b"\x0b" * 22, "") == okm


def test_every_purpose_has_a_key_of_its_own_under_a_fixed_label() -> None:
    master = MasterKey("b1", b"m" * 32)
    digests = {
        purpose: KeyedHasher.for_purpose(purpose, [master]).digest("d", "v")
        for purpose in KeyPurpose
    }

    # Stored hashes depend on these labels: they never change.
    assert [purpose.value for purpose in KeyPurpose] == [
        "xiamo-gateway/blind-index",
        "xiamo-gateway/one-time-secret",
        "xiamo-gateway/rate-limit",
        "xiamo-gateway/refresh-token",
        "xiamo-gateway/log-pseudonym",
        "xiamo-gateway/service-credential",
    ]
    for purpose, digest in digests.items():
        key = hkdf_sha256(b"m" * 32, purpose.value.encode())
        assert digest == hmac.new(key, b"d\x00v", hashlib.sha256).digest()
    assert len(set(digests.values())) == len(KeyPurpose)


def test_a_key_without_a_version_computes_what_earlier_releases_stored() -> None:
    bare = MasterKey(None, b"m" * 32)
    earlier = hmac.new(b"m" * 32, b"accounts.phone\x00+8613812345678", hashlib.sha256).digest()

    for purpose in (KeyPurpose.BLIND_INDEX, KeyPurpose.ONE_TIME_SECRET, KeyPurpose.RATE_LIMIT):
        hasher = KeyedHasher.for_purpose(purpose, [bare])
        assert hasher.digest("accounts.phone", "+8613812345678") == earlier
    # Refresh tokens were never keyed by it: a derived key, even for this form.
    refresh = KeyedHasher.for_purpose(KeyPurpose.REFRESH_TOKEN, [bare])
    assert refresh.digest("accounts.phone", "+8613812345678") != earlier


def test_the_newest_key_computes_and_every_key_matches() -> None:
    old, new = MasterKey("b1", b"o" * 32), MasterKey("b2", b"n" * 32)
    before = KeyedHasher.for_purpose(KeyPurpose.BLIND_INDEX, [old])
    during = KeyedHasher.for_purpose(KeyPurpose.BLIND_INDEX, [old, new])
    after = KeyedHasher.for_purpose(KeyPurpose.BLIND_INDEX, [new])
    stored = before.digest("d", "v")

    assert during.digest("d", "v") == after.digest("d", "v") != stored
    assert during.digests("d", "v") == (after.digest("d", "v"), stored)
    assert during.matches(stored, "d", "v")
    assert not during.matches(stored, "d", "w")
    assert not after.matches(stored, "d", "v")
