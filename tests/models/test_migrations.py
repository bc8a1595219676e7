"""The migrations and the models describe the same schema, on every database of the run."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from models import migrate
from models.database import create_engine

FIRST_REVISION = "eb84240dec32"


async def test_autogenerate_finds_no_difference_after_upgrade(engine: AsyncEngine) -> None:
    assert await migrate.model_differences(engine) == []


async def test_upgrading_a_database_that_holds_accounts_keeps_them(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/old.db")

    def to_first_revision(connection: Connection) -> None:
        command.upgrade(migrate.alembic_config(connection), FIRST_REVISION)

    async with engine.begin() as connection:
        await connection.run_sync(to_first_revision)
        await connection.execute(
            text(
                "INSERT INTO accounts (id, kind, status, display_name, created_at) "
                "VALUES ('0123456789abcdef0123456789abcdef', 'INDIVIDUAL', 'ACTIVE', 'Old', "
                "'2024-01-01 00:00:00')"
            )
        )
    await migrate.upgrade(engine)
    async with engine.connect() as connection:
        row = (
            await connection.execute(text("SELECT display_name, needs, permissions FROM accounts"))
        ).one()
    await engine.dispose()

    assert tuple(row) == ("Old", "[]", "[]")
