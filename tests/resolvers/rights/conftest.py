"""The rights tests' common person."""

from __future__ import annotations

import pytest

from models import Account
from tests.resolvers.rights.helpers import create_person
from tests.support.api import Api


@pytest.fixture
async def person(api: Api) -> Account:
    """Zhang San (`create_person`): an individual with a phone, an e-mail address and a
    password, not signed in yet."""
    return await create_person(api.db, api.clock())
