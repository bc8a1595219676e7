"""One caller per viewer of the back office, each with a live session.

The enterprise "Acme Group" has two sub-accounts: an admin holding
MANAGE_SUB_ACCOUNTS and VIEW_SUB_ACCOUNTS, and a member holding MANAGE_PROJECTS.
"Other Corp" is another enterprise; a support staff member and an anonymous caller
complete the set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from tests.conftest import ClientWith, Clock
from tests.resolvers.enterprise.helpers import (
    Caller,
    make_caller,
    make_enterprise,
    make_staff,
    make_sub_account,
)

MAX_SUB_ACCOUNTS = 2


@pytest.fixture
async def owner(
    client: httpx.AsyncClient, db: AsyncSession, services: AuthServices, clock: Clock
) -> Caller:
    """The enterprise account itself."""
    enterprise = await make_enterprise(db, clock, "Acme Group", "owner@acme.example", 0)
    return await make_caller(client, db, services, clock, enterprise)


@pytest.fixture
async def admin(
    client: httpx.AsyncClient, db: AsyncSession, services: AuthServices, clock: Clock, owner: Caller
) -> Caller:
    """A sub-account with MANAGE_SUB_ACCOUNTS and VIEW_SUB_ACCOUNTS (not MANAGE_BILLING)."""
    account = await make_sub_account(
        db,
        clock,
        owner.row,
        "Ada Admin",
        number=1,
        role="ADMIN",
        permissions=["MANAGE_SUB_ACCOUNTS", "VIEW_SUB_ACCOUNTS"],
        age_minutes=120,
    )
    return await make_caller(client, db, services, clock, account)


@pytest.fixture
async def member(
    client: httpx.AsyncClient,
    db: AsyncSession,
    services: AuthServices,
    clock: Clock,
    owner: Caller,
    admin: Caller,
) -> Caller:
    """A sub-account without any sub-account permission."""
    account = await make_sub_account(
        db,
        clock,
        owner.row,
        "Mia Member",
        number=2,
        role="MEMBER",
        permissions=["MANAGE_PROJECTS"],
        age_minutes=60,
    )
    return await make_caller(client, db, services, clock, account)


@pytest.fixture
async def sibling(
    client: httpx.AsyncClient,
    db: AsyncSession,
    services: AuthServices,
    clock: Clock,
    owner: Caller,
    admin: Caller,
) -> Caller:
    """A sub-account holding nothing the admin lacks: a peer the admin may act on."""
    account = await make_sub_account(
        db, clock, owner.row, "Sid Sibling", number=3, permissions=[], age_minutes=30
    )
    return await make_caller(client, db, services, clock, account)


@pytest.fixture
async def outsider(
    client: httpx.AsyncClient, db: AsyncSession, services: AuthServices, clock: Clock
) -> Caller:
    """Another enterprise."""
    enterprise = await make_enterprise(db, clock, "Other Corp", "owner@other.example", 9)
    return await make_caller(client, db, services, clock, enterprise)


@pytest.fixture
async def staff(
    client: httpx.AsyncClient, db: AsyncSession, services: AuthServices, clock: Clock
) -> Caller:
    """Platform support staff."""
    return await make_staff(client, db, services, clock)


@pytest.fixture
def anonymous(client: httpx.AsyncClient) -> Caller:
    return Caller(client, None)


@pytest.fixture
async def capped_client(client_with: ClientWith) -> AsyncIterator[httpx.AsyncClient]:
    """The app built with a cap of MAX_SUB_ACCOUNTS sub-accounts per enterprise."""
    async with client_with(max_sub_accounts=MAX_SUB_ACCOUNTS) as client:
        yield client


@pytest.fixture
def viewer(request: pytest.FixtureRequest) -> Caller:
    """The caller a test is parametrized with by fixture name (`indirect=True`)."""
    caller: Caller = request.getfixturevalue(request.param)
    return caller
