"""The settings tests' common viewer."""

from __future__ import annotations

import pytest

from tests.support.viewers import SignedIn, Viewers


@pytest.fixture
async def viewer(viewers: Viewers) -> SignedIn:
    """The viewer a settings test takes when it names none: an individual, signed in
    and stepped up, as before changing a sign-in method."""
    return await viewers.step_up(await viewers.individual())
