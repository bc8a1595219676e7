"""The viewer: who is asking in this request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Viewer:
    """A signed-in caller: an account or a staff member, through one session."""

    session_id: uuid.UUID
    account_id: uuid.UUID | None = None
    staff_id: uuid.UUID | None = None
    elevated_until: datetime | None = None
    # For a sub-account: its enterprise and what it may do there.
    enterprise_id: uuid.UUID | None = None
    permissions: frozenset[str] = frozenset()

    def may(self, *permissions: str) -> bool:
        """Whether the sub-account holds any of `permissions`."""
        return any(permission in self.permissions for permission in permissions)

    def is_elevated(self, now: datetime) -> bool:
        return self.elevated_until is not None and now < self.elevated_until
