"""The policy tests' common staff member."""

from __future__ import annotations

import pytest

from models import StaffRole
from tests.support.viewers import SignedIn, Viewers


@pytest.fixture
async def officer(viewers: Viewers) -> SignedIn:
    """A privacy officer, signed in and stepped up with the authenticator, as before
    publishing a version."""
    return await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)
