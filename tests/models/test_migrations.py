"""The migrations and the models describe the same schema, on every database of the run."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from models import migrate


async def test_autogenerate_finds_no_difference_after_upgrade(engine: AsyncEngine) -> None:
    assert await migrate.model_differences(engine) == []
