"""The time the app sees in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """The time the app sees; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
