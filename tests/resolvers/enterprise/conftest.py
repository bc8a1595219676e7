"""One caller per viewer of the back office, each with a live session.

The enterprise "Acme Group" has two sub-accounts: an admin holding
MANAGE_SUB_ACCOUNTS and VIEW_SUB_ACCOUNTS, and a member holding MANAGE_PROJECTS.
"Other Corp" is another enterprise; a support staff member and an anonymous caller
complete the set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import ClientWith
from tests.resolvers.enterprise.helpers import (
    Caller,
    make_caller,
    make_enterprise,
    make_staff,
    make_sub_account,
)
from tests.support.api import Api

MAX_SUB_ACCOUNTS = 2


@pytest.fixture
async def owner(api: Api) -> Caller:
    """The enterprise account itself."""
    enterprise = await make_enterprise(api.db, api.clock, "Acme Group", "owner@acme.example", 0)
    return await make_caller(api, enterprise)


async def sub_account(api: Api, owner: Caller, name: str, **details: Any) -> Caller:
    """A signed-in sub-account of the owner's enterprise (make_sub_account's `details`)."""
    return await make_caller(
        api, await make_sub_account(api.db, api.clock, owner.row, name, **details)
    )


@pytest.fixture
async def admin(api: Api, owner: Caller) -> Caller:
    """A sub-account with MANAGE_SUB_ACCOUNTS and VIEW_SUB_ACCOUNTS (not MANAGE_BILLING)."""
    manages = ["MANAGE_SUB_ACCOUNTS", "VIEW_SUB_ACCOUNTS"]
    return await sub_account(
        api, owner, "Ada Admin", number=1, role="ADMIN", permissions=manages, age_minutes=120
    )


@pytest.fixture
async def member(api: Api, owner: Caller, admin: Caller) -> Caller:
    """A sub-account without any sub-account permission."""
    return await sub_account(
        api,
        owner,
        "Mia Member",
        number=2,
        role="MEMBER",
        permissions=["MANAGE_PROJECTS"],
        age_minutes=60,
    )


@pytest.fixture
async def sibling(api: Api, owner: Caller, admin: Caller) -> Caller:
    """A sub-account holding nothing the admin lacks: a peer the admin may act on."""
    return await sub_account(api, owner, "Sid Sibling", number=3, permissions=[], age_minutes=30)


@pytest.fixture
async def outsider(api: Api) -> Caller:
    """Another enterprise."""
    enterprise = await make_enterprise(api.db, api.clock, "Other Corp", "owner@other.example", 9)
    return await make_caller(api, enterprise)


@pytest.fixture
async def staff(api: Api) -> Caller:
    """Platform support staff."""
    return await make_staff(api)


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
