"""One fixture for request-level tests: the client of the test's app, the test's database
session, the services and the clock, which such tests otherwise each take one by one."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from models import Account, StaffMember
from tests.support.clock import Clock
from tests.support.viewers import sign_in


@dataclass(frozen=True)
class Api:
    """The `api` fixture (tests/conftest.py): what `client`, `db`, `services` and `clock`
    give, bundled."""

    client: httpx.AsyncClient
    db: AsyncSession
    services: AuthServices
    clock: Clock

    async def sign_in(
        self,
        *,
        account: Account | None = None,
        staff: StaffMember | None = None,
        elevated: bool = False,
    ) -> str:
        """The access token of a new session at the clock's time, everything made so far
        committed (tests/support/viewers.py `sign_in`)."""
        return await sign_in(
            self.db, self.services, self.clock(), account=account, staff=staff, elevated=elevated
        )
