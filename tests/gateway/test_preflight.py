"""A database that is down, missing or not migrated, or a broken inventory, stops every
command that needs it with one line, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from gateway.cli import app
from models import migrate
from tests.gateway.operator import (
    COMMANDS,
    SCHEMA_COMMANDS,
    assert_refused,
    run_process,
    runner,
)

SHIPPED_INVENTORY = Path(__file__).resolve().parents[2] / "resolvers" / "privacy" / "data"


async def _admin(db_url: str, statement: str, *arguments: str) -> None:
    connection = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(statement, *arguments)
    finally:
        await connection.close()


@pytest.fixture
def empty_database(
    is_postgres: bool, db_url: str, operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A database of the run's kind that exists and holds nothing, set as the gateway's."""
    if is_postgres:
        name = f"xiamo_empty_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(db_url, f'CREATE DATABASE "{name}"'))
        url = f"{db_url.rpartition('/')[0]}/{name}"
    else:
        (operator_environment / "empty.db").touch()
        url = f"sqlite+aiosqlite:///{operator_environment}/empty.db"
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    yield url
    if is_postgres:
        asyncio.run(_admin(db_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


CREATE_VERSION_TABLE = "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"


def stamp(url: str, revision: str, *, is_postgres: bool) -> None:
    """Record ``revision`` as the database's migration, as Alembic would."""
    if is_postgres:
        asyncio.run(_admin(url, CREATE_VERSION_TABLE))
        asyncio.run(_admin(url, "INSERT INTO alembic_version VALUES ($1)", revision))
        return
    connection = sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///"))
    with connection:
        connection.execute(CREATE_VERSION_TABLE)
        connection.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    connection.close()


@pytest.mark.parametrize("arguments", COMMANDS.values(), ids=COMMANDS.keys())
def test_an_unreachable_database_is_one_line_with_the_password_masked(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str]
) -> None:
    # Nothing listens on port 1 of the loopback interface.
    monkeypatch.setenv("GATEWAY_DATABASE_URL", "postgresql+asyncpg://app:s3cret@127.0.0.1:1/xiamo")

    assert_refused(
        arguments,
        "error: GATEWAY_DATABASE_URL: cannot connect to "
        "postgresql+asyncpg://app:***@127.0.0.1:1/xiamo: connection refused",
    )


@pytest.mark.parametrize("arguments", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_missing_database_is_one_line(
    operator_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    is_postgres: bool,
    db_url: str,
    arguments: list[str],
) -> None:
    if is_postgres:
        name = f"xiamo_missing_{uuid.uuid4().hex[:8]}"
        url = f"{db_url.rpartition('/')[0]}/{name}"
        line = (
            f"error: GATEWAY_DATABASE_URL: cannot connect to {url}: "
            f'database "{name}" does not exist'
        )
    else:
        folder = operator_environment / "no-such-folder"
        url = f"sqlite+aiosqlite:///{folder}/gateway.db"
        line = (
            f"error: GATEWAY_DATABASE_URL: {url} does not exist; "
            "run `xiamo-gateway db upgrade` first"
            if arguments != ["db", "upgrade"]
            else f"error: GATEWAY_DATABASE_URL: cannot open {url}: the folder {folder} "
            "does not exist"
        )
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)

    assert_refused(arguments, line)
    assert not (operator_environment / "no-such-folder").exists()


@pytest.mark.parametrize("arguments", SCHEMA_COMMANDS.values(), ids=SCHEMA_COMMANDS.keys())
def test_a_database_without_the_schema_is_one_line_until_db_upgrade(
    empty_database: str, arguments: list[str]
) -> None:
    assert_refused(
        arguments,
        f"error: GATEWAY_DATABASE_URL: {empty_database} holds no gateway tables; "
        "run `xiamo-gateway db upgrade` first",
    )

    upgraded = runner.invoke(app, ["db", "upgrade"])
    seeded = runner.invoke(app, ["seed", "--demo"])

    assert upgraded.stdout == "database is up to date; policy 1.0 stored\n"
    assert seeded.stdout == "accounts: 28 added, staff: 1 added\n"


def test_a_database_behind_the_code_is_one_line(empty_database: str, is_postgres: bool) -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    first = list(scripts.walk_revisions())[-1].revision
    stamp(empty_database, first, is_postgres=is_postgres)

    assert_refused(
        ["keys", "rotate"],
        f"error: GATEWAY_DATABASE_URL: {empty_database} is at migration {first}, this "
        f"version of the gateway needs {scripts.get_current_head()}; "
        "run `xiamo-gateway db upgrade` first",
    )


def test_a_database_migrated_by_a_newer_version_is_one_line(
    empty_database: str, is_postgres: bool
) -> None:
    stamp(empty_database, "0123456789ab", is_postgres=is_postgres)

    assert_refused(
        ["retention", "run"],
        f"error: GATEWAY_DATABASE_URL: {empty_database} is at migration 0123456789ab, which "
        "this version of the gateway does not know (a newer version migrated it); run that "
        "version",
    )


@pytest.mark.parametrize(
    "arguments", [COMMANDS["serve"], COMMANDS["retention run"]], ids=["serve", "retention run"]
)
def test_a_broken_inventory_file_is_one_line(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str]
) -> None:
    inventory = operator_environment / "inventory"
    shutil.copytree(SHIPPED_INVENTORY, inventory)
    recipients = inventory / "data-recipients.json"
    recipients.write_text(json.dumps({"not": "an array"}), encoding="utf-8")
    monkeypatch.setenv("GATEWAY_INVENTORY_DIR", str(inventory))

    assert_refused(
        arguments,
        f"error: GATEWAY_INVENTORY_DIR: {recipients}: must hold a JSON array, found an object",
    )


def test_a_real_process_prints_the_database_line_and_no_traceback(
    operator_environment: Path,
) -> None:
    missing = operator_environment / "missing.db"

    unreachable = run_process(
        ["keys", "rotate"], GATEWAY_DATABASE_URL="postgresql+asyncpg://app:pw@127.0.0.1:1/x"
    )
    not_there = run_process(
        ["seed", "--demo"], GATEWAY_DATABASE_URL=f"sqlite+aiosqlite:///{missing}"
    )

    assert (unreachable.returncode, unreachable.stdout) == (2, "")
    assert unreachable.stderr == (
        "error: GATEWAY_DATABASE_URL: cannot connect to "
        "postgresql+asyncpg://app:***@127.0.0.1:1/x: connection refused\n"
    )
    assert (not_there.returncode, not_there.stdout) == (2, "")
    assert not_there.stderr == (
        f"error: GATEWAY_DATABASE_URL: sqlite+aiosqlite:///{missing} does not exist; "
        "run `xiamo-gateway db upgrade` first\n"
    )
    assert not missing.exists()
