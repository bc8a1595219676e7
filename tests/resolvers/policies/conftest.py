from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from tests.conftest import Clock
from tests.resolvers.consents.helpers import People


@pytest.fixture
def people(db: AsyncSession, services: AuthServices, clock: Clock) -> People:
    return People(db, services, clock)
