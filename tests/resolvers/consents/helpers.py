"""Signed-in people and staff for the privacy-centre tests, and the answers they expect.

Accounts and staff are rows of the test's transaction, committed so that requests see
them; each holds the access token of a session opened for it, as a sign-in would.
"""

from __future__ import annotations

from typing import Any

import httpx
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from auth.sessions import open_session
from models import Account, AccountKind, AccountStatus, StaffMember, StaffRole
from tests.conftest import Clock
from tests.helpers import SignedIn, e164, graphql

PASSWORD = "privacy-Centre-9"
# Argon2id at the smallest cost: verifying reads the cost from the hash, and no test
# here measures it.
PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
SHIPPED_VERSION = "1.0"
USER_ERRORS = "userErrors { field code message }"

ELEVATE_SESSION = f"""
mutation($input: ElevateSessionInput!) {{
  elevateSession(input: $input) {{ elevatedUntil {USER_ERRORS} }}
}}
"""


class People:
    """Creates accounts and staff members and signs them in."""

    def __init__(self, db: AsyncSession, services: AuthServices, clock: Clock) -> None:
        self.db = db
        self.services = services
        self.clock = clock
        self._made = 0

    async def account(
        self,
        *,
        phone: str | None = "13812345678",
        status: AccountStatus = AccountStatus.ACTIVE,
        accepted_policy_version: str | None = SHIPPED_VERSION,
        **columns: Any,
    ) -> SignedIn:
        self._made += 1
        now = self.clock()
        account = Account(
            kind=columns.pop("kind", AccountKind.INDIVIDUAL),
            display_name=f"Person {self._made}",
            status=status,
            created_at=now,
            accepted_policy_version=accepted_policy_version,
            accepted_policy_at=now if accepted_policy_version else None,
            password_hash=PASSWORD_HASH,
            password_changed_at=now,
            **columns,
        )
        account.phone = e164(phone) if phone else None
        self.db.add(account)
        await self.db.flush()
        return await self.sign_in(account)

    async def sign_in(self, account: Account) -> SignedIn:
        """A new session at the clock's time (access tokens live 15 minutes)."""
        issued = await open_session(
            self.db, self.services.tokens, now=self.clock(), account_id=account.id
        )
        await self.db.commit()
        return SignedIn(token=issued.access_token, account=account)

    async def staff(self, role: StaffRole) -> SignedIn:
        self._made += 1
        member = StaffMember(
            name=f"Staff {self._made}",
            role=role,
            password_hash=PASSWORD_HASH,
            created_at=self.clock(),
        )
        member.email = f"staff{self._made}@platform.example"
        self.db.add(member)
        await self.db.flush()
        issued = await open_session(
            self.db, self.services.tokens, now=self.clock(), staff_id=member.id
        )
        await self.db.commit()
        return SignedIn(token=issued.access_token, staff=member)


async def step_up(client: httpx.AsyncClient, who: SignedIn) -> None:
    """Elevate the session with the password, as the client does before a retry."""
    body = await graphql(
        client, ELEVATE_SESSION, {"input": {"password": PASSWORD}}, token=who.token
    )
    assert body["data"]["elevateSession"]["userErrors"] == [], body


def error(code: str, message: str, *field: str) -> dict[str, Any]:
    """One entry of a payload's userErrors."""
    return {"field": list(field) or None, "code": code, "message": message}
