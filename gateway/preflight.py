"""Checks before a command or the server starts, beyond the values of the settings.

Does the database answer, and does it hold the schema? Are the operator's inventory
files sound? A database that is down, missing or not migrated, or a broken inventory,
is a configuration mistake like any other: it stops the command with one line naming
the setting (a URL's password masked) rather than a traceback, and says what to do.
"""

from __future__ import annotations

import socket
from pathlib import Path

import anyio
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from gateway.settings import ConfigurationError, Settings, mask_url
from models import migrate
from models.database import create_engine, is_sqlite
from resolvers.privacy.inventory import Inventory, InventoryError, load_inventory, shipped_inventory

SETTING = "GATEWAY_DATABASE_URL"
CONNECT_TIMEOUT_SECONDS = 10
UPGRADE_HINT = "run `xiamo-gateway db upgrade` first"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; ``None`` for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def _reason(error: OSError | DBAPIError) -> str:
    if isinstance(error, DBAPIError):
        # The driver's own words ('database "x" does not exist'); never the URL.
        lines = str(error.orig).strip().splitlines()
        return lines[0] if lines else type(error.orig).__name__
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return f"host not found ({error.strerror})"
    return error.strerror or str(error) or type(error).__name__


def _current_revision(connection: Connection) -> str | None:
    revision: str | None = MigrationContext.configure(connection).get_current_revision()
    return revision


def _migrations() -> tuple[str | None, set[str]]:
    """The newest migration of this version of the gateway, and every one it knows."""
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    return scripts.get_current_head(), {script.revision for script in scripts.walk_revisions()}


async def check_database(url: str, *, migrated: bool) -> None:
    """Raise :class:`ConfigurationError` unless ``url`` answers (and, when ``migrated``,
    is at the newest migration)."""
    shown = mask_url(url)
    if is_sqlite(url):
        path = sqlite_file(url)
        # SQLite would create a missing file empty; a command that needs the schema
        # says so instead.
        if path is not None and migrated and not path.exists():
            raise ConfigurationError(SETTING, f"{shown} does not exist; {UPGRADE_HINT}")
        if path is not None and not path.parent.is_dir():
            raise ConfigurationError(
                SETTING, f"cannot open {shown}: the folder {path.parent} does not exist"
            )
    engine = create_engine(url)
    try:
        with anyio.fail_after(CONNECT_TIMEOUT_SECONDS):
            async with engine.connect() as connection:
                current = await connection.run_sync(_current_revision)
    except TimeoutError:
        raise ConfigurationError(
            SETTING, f"cannot connect to {shown}: no answer within {CONNECT_TIMEOUT_SECONDS} s"
        ) from None
    except (OSError, DBAPIError) as exc:
        raise ConfigurationError(SETTING, f"cannot connect to {shown}: {_reason(exc)}") from None
    finally:
        await engine.dispose()
    if not migrated:
        return
    head, known = _migrations()
    if current is None:
        raise ConfigurationError(SETTING, f"{shown} holds no gateway tables; {UPGRADE_HINT}")
    if current not in known:
        raise ConfigurationError(
            SETTING,
            f"{shown} is at migration {current}, which this version of the gateway does not "
            "know (a newer version migrated it); run that version",
        )
    if current != head:
        raise ConfigurationError(
            SETTING,
            f"{shown} is at migration {current}, this version of the gateway needs {head}; "
            f"{UPGRADE_HINT}",
        )


def check_inventory(settings: Settings) -> Inventory:
    """The inventory the gateway will tell people about, or one line about its files."""
    if settings.inventory_dir is None:
        return shipped_inventory()
    try:
        return load_inventory(settings.inventory_dir)
    except InventoryError as exc:
        raise ConfigurationError("GATEWAY_INVENTORY_DIR", str(exc)) from None
