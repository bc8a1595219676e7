"""Fixtures of the settings tests."""

from __future__ import annotations

import pytest

from auth import passwords
from tests.resolvers.settings.viewers import FAST_HASHER


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """setPassword stores Argon2id at the smallest cost; production keeps the library's."""
    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)
