"""Signed-in viewers: accounts of every kind and staff members, each holding the access
token of a session opened for it, as a sign-in would.

Rows are made in the test's transaction and committed, so that requests see them. Tests
take a `Viewers` from the `viewers` fixture (tests/conftest.py); code that makes its rows
itself opens sessions with `sign_in`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from auth.sessions import elevate, open_session
from models import Account, AccountKind, StaffMember, StaffRole
from tests.helpers import e164, graphql
from tests.support.clock import Clock
from tests.support.passwords import FAST_HASHER
from tests.support.staff import create_staff

PASSWORD = "correct-Horse-7"  # noqa: S105 (every test account's password)
# Still Argon2id, at the smallest cost: verifying reads the cost from the hash itself.
PASSWORD_HASH = FAST_HASHER.hash(PASSWORD)
POLICY_VERSION = "1.0"
KINDS = ("individual", "business", "enterprise", "sub_account")

ELEVATE = """
mutation($input: ElevateSessionInput!) {
  elevateSession(input: $input) { elevatedUntil userErrors { field code message } }
}
"""


@dataclass(frozen=True)
class SignedIn:
    """A viewer: its account (None for staff), its staff row (None for accounts), a token."""

    token: str
    account: Account | None = None
    staff: StaffMember | None = None

    @property
    def me(self) -> Account:
        assert self.account is not None
        return self.account


async def sign_in(
    db: AsyncSession,
    services: AuthServices,
    now: datetime,
    *,
    account: Account | None = None,
    staff: StaffMember | None = None,
    elevated: bool = False,
    user_agent: str | None = None,
) -> str:
    """The access token of a new session at `now`, stepped up when `elevated`;
    everything made so far is committed for the app to see."""
    issued = await open_session(
        db,
        services.tokens,
        now=now,
        account_id=account.id if account is not None else None,
        staff_id=staff.id if staff is not None else None,
        user_agent=user_agent,
    )
    if elevated:
        session_id = services.tokens.verify_access(issued.access_token, now).session_id
        await elevate(db, session_id, now)
    await db.commit()
    return issued.access_token


async def step_up_with_password(
    client: httpx.AsyncClient, token: str, password: str = PASSWORD
) -> None:
    """elevateSession with the password, as the client does before a protected action."""
    body = await graphql(client, ELEVATE, {"input": {"password": password}}, token=token)
    assert body["data"]["elevateSession"]["userErrors"] == [], body


class Viewers:
    """Creates accounts of each kind and staff members, and signs them in."""

    def __init__(self, db: AsyncSession, services: AuthServices, clock: Clock) -> None:
        self.db = db
        self.services = services
        self.clock = clock
        self._made = 0

    def _unique(self, prefix: str) -> str:
        self._made += 1
        return f"{prefix}{self._made}"

    async def _account(
        self,
        kind: AccountKind,
        *,
        phone: str | None,
        email: str | None,
        password: bool,
        accepted_policy_version: str | None = POLICY_VERSION,
        **columns: Any,
    ) -> Account:
        now = self.clock()
        account = Account(
            kind=kind,
            display_name=columns.pop("display_name", self._unique(f"{kind.value.title()} ")),
            created_at=now,
            accepted_policy_version=accepted_policy_version,
            accepted_policy_at=now if accepted_policy_version else None,
            password_hash=PASSWORD_HASH if password else None,
            password_changed_at=now if password else None,
            **columns,
        )
        account.phone = e164(phone) if phone else None
        account.email = email
        self.db.add(account)
        await self.db.flush()
        return account

    async def sign_in(self, account: Account) -> SignedIn:
        """A new session at the clock's time (access tokens live 15 minutes)."""
        token = await sign_in(self.db, self.services, self.clock(), account=account)
        return SignedIn(token=token, account=account)

    async def step_up(self, viewer: SignedIn) -> SignedIn:
        """The viewer's session, stepped up for 5 minutes from now."""
        session_id = self.services.tokens.verify_access(viewer.token, self.clock()).session_id
        await elevate(self.db, session_id, self.clock())
        await self.db.commit()
        return viewer

    async def individual(
        self,
        *,
        phone: str | None = "13812345678",
        email: str | None = None,
        password: bool = False,
        **columns: Any,
    ) -> SignedIn:
        account = await self._account(
            AccountKind.INDIVIDUAL, phone=phone, email=email, password=password, **columns
        )
        return await self.sign_in(account)

    async def person(
        self,
        *,
        phone: str | None = "13812345678",
        kind: AccountKind = AccountKind.INDIVIDUAL,
        **columns: Any,
    ) -> SignedIn:
        """Someone using the privacy centre: an account with a phone and a password."""
        account = await self._account(
            kind,
            phone=phone,
            email=None,
            password=True,
            display_name=columns.pop("display_name", self._unique("Person ")),
            **columns,
        )
        return await self.sign_in(account)

    async def business(
        self, *, email: str = "biz@example.com", phone: str | None = None, **columns: Any
    ) -> SignedIn:
        account = await self._account(
            AccountKind.BUSINESS,
            phone=phone,
            email=email,
            password=True,
            business_name="Acme Trading",
            ur_token="ur-acme",
            **columns,
        )
        return await self.sign_in(account)

    async def enterprise(
        self, *, email: str = "ent@example.com", phone: str | None = "13900139000", **columns: Any
    ) -> SignedIn:
        account = await self._account(
            AccountKind.ENTERPRISE,
            phone=phone,
            email=email,
            password=True,
            company_name=columns.pop("company_name", "Acme Group"),
            **columns,
        )
        return await self.sign_in(account)

    async def sub_account(
        self,
        enterprise: Account | None = None,
        *,
        email: str | None = None,
        phone: str | None = None,
        **columns: Any,
    ) -> SignedIn:
        if enterprise is None:
            enterprise = (await self.enterprise()).me
        account = await self._account(
            AccountKind.SUB_ACCOUNT,
            phone=phone,
            email=email or f"{self._unique('member')}@example.com",
            password=True,
            enterprise_id=enterprise.id,
            **columns,
        )
        return await self.sign_in(account)

    async def of_kind(self, kind: str) -> SignedIn:
        """A viewer of one of KINDS, with the contacts its kind registers with."""
        maker = {
            "individual": self.individual,
            "business": self.business,
            "enterprise": self.enterprise,
            "sub_account": self.sub_account,
        }[kind]
        return await maker()

    async def staff(
        self, role: StaffRole = StaffRole.SUPPORT, *, stepped_up: bool = False
    ) -> SignedIn:
        """A staff member whose password is PASSWORD, signed in (and stepped up with the
        authenticator, as before an irreversible action, when `stepped_up`)."""
        member = await create_staff(
            self.db,
            self.clock(),
            role,
            name=self._unique("Staff "),
            email=f"{self._unique('staff')}@platform.example",
            password=PASSWORD,
        )
        token = await sign_in(
            self.db, self.services, self.clock(), staff=member, elevated=stepped_up
        )
        return SignedIn(token=token, staff=member)
