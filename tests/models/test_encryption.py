"""Sealed values: AES-256-GCM bound to table, column and row; blind indexes; key rings."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from models import Account, AccountKind
from models.encryption import BlindIndexer, EncryptionError, KeyRing


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
    assert BlindIndexer(b"k" * 32).index("d", "v") != BlindIndexer(b"j" * 32).index("d", "v")


def test_clearing_a_value_clears_its_index() -> None:
    account = make_account()
    account.phone = "+8613812345678"
    account.phone = None

    assert account.phone_sealed is None
    assert account.phone_index is None
