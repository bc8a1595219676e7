"""Fixtures of the rights tests."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from auth import passwords

# Still Argon2id, with the smallest cost: these tests step up often and do not measure
# the hash's cost.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", FAST_HASHER.hash("not-a-password-of-anyone-1"))
