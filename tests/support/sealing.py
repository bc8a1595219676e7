"""The clear values sealed (encrypted into a column) while a test runs, for tests that
look for them where they must never be: logs, traces, dumps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from models.encryption import Encrypted


@contextmanager
def recording_sealed_values() -> Iterator[set[str]]:
    """Every value sealed while the block runs, in the set it gives."""
    sealed: set[str] = set()
    original = Encrypted.__set__

    def recording(self: Encrypted, obj: object, value: str | None) -> None:
        if value is not None:
            sealed.add(value)
        original(self, obj, value)

    Encrypted.__set__ = recording  # type: ignore[method-assign]
    try:
        yield sealed
    finally:
        Encrypted.__set__ = original  # type: ignore[method-assign]
