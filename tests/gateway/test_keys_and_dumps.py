"""Key rotation, and what a dump of the database holds: no clear personal value."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from gateway.cli import app
from gateway.demo import DEMO_CARD_NUMBER, DEMO_ID_NUMBER, DEMO_REAL_NAME
from gateway.services import configure_encryption
from models import (
    Account,
    AccountKind,
    IdentityProvider,
    LoginEvent,
    LoginMethod,
    StaffMember,
    ThirdPartyIdentity,
    queries,
)
from models.database import create_engine, create_session_factory
from models.encryption import KeyRing
from models.key_rotation import sealed_models
from tests.conftest import TEST_SECRETS, make_settings

runner = CliRunner()
OLD_KEYS = TEST_SECRETS["data_keys"]
NEW_KEYS = OLD_KEYS + ",test2:" + base64.urlsafe_b64encode(b"e" * 32).decode()
NEW_INDEX_KEYS = (
    TEST_SECRETS["blind_index_key"] + ",b2:" + base64.urlsafe_b64encode(b"i" * 32).decode()
)

# Values that must never appear in clear in a dump.
CLEAR_VALUES = {
    "phone": "+8618912345678",
    "email": "dump.probe@example.org",
    "open_id": "oDumpProbeOpenId0123456789ab",
    "union_id": "uDumpProbeUnion0123456789",
    "ip": "198.51.100.77",
    "staff_email": "staff.probe@example.org",
}


async def write_probe_rows(url: str) -> None:
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with create_session_factory(engine)() as session, session.begin():
        account = Account(kind=AccountKind.INDIVIDUAL, display_name="Probe", created_at=now)
        account.phone = CLEAR_VALUES["phone"]
        account.email = CLEAR_VALUES["email"]
        session.add(account)
        await session.flush()
        identity = ThirdPartyIdentity(
            account_id=account.id, provider=IdentityProvider.WECHAT, created_at=now
        )
        identity.open_id = CLEAR_VALUES["open_id"]
        identity.union_id = CLEAR_VALUES["union_id"]
        event = LoginEvent(
            account_id=account.id, created_at=now, method=LoginMethod.SMS_CODE, success=True
        )
        event.ip_address = CLEAR_VALUES["ip"]
        staff = StaffMember(name="Probe Staff", role="SUPPORT", password_hash="x", created_at=now)
        staff.email = CLEAR_VALUES["staff_email"]
        session.add_all([identity, event, staff])
    await engine.dispose()


def assert_no_clear_value(dump: bytes) -> None:
    for name, value in CLEAR_VALUES.items():
        assert value.encode() not in dump, f"{name} found in clear"
    assert b"18912345678" not in dump
    assert b"dump.probe" not in dump
    # The demo individual's verified real name, ID number and bank card.
    assert DEMO_ID_NUMBER.encode() not in dump
    assert DEMO_CARD_NUMBER.encode() not in dump
    assert DEMO_REAL_NAME.encode() not in dump


@pytest.fixture
def sqlite_workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GATEWAY_ENV", "test")
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(f"GATEWAY_{name.upper()}", value)
    url = f"sqlite+aiosqlite:///{tmp_path}/dump.db"
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return url


def test_a_sqlite_file_holds_no_clear_value(sqlite_workdir: str, tmp_path: Path) -> None:
    asyncio.run(write_probe_rows(sqlite_workdir))
    assert runner.invoke(app, ["seed", "--demo"]).exit_code == 0

    dump = b"".join(path.read_bytes() for path in tmp_path.glob("dump.db*"))

    assert_no_clear_value(dump)
    assert b"13800138000" not in dump
    assert b"biz@demo.example" not in dump


def test_keys_rotate_reseals_and_reindexes_everything_and_keeps_it_readable(
    sqlite_workdir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(write_probe_rows(sqlite_workdir))
    monkeypatch.setenv("GATEWAY_DATA_KEYS", NEW_KEYS)
    monkeypatch.setenv("GATEWAY_BLIND_INDEX_KEY", NEW_INDEX_KEYS)

    rotated = runner.invoke(app, ["keys", "rotate"])
    again = runner.invoke(app, ["keys", "rotate"])

    assert rotated.exit_code == 0, rotated.output
    lines = rotated.output.splitlines()
    assert "accounts: 2 re-sealed, 2 re-indexed" in lines
    assert "third_party_identities: 2 re-sealed, 1 re-indexed" in lines
    assert "login_events: 1 re-sealed, 0 re-indexed" in lines
    assert "staff_members: 1 re-sealed, 1 re-indexed" in lines
    assert len(lines) == len(sealed_models())
    assert again.output.count(": 0 re-sealed, 0 re-indexed") == len(sealed_models())

    # Only the new keys remain: every value still opens, and is found by its index.
    only_new = make_settings(
        sqlite_workdir,
        data_keys=NEW_KEYS.split(",")[-1],
        blind_index_key=NEW_INDEX_KEYS.split(",")[-1],
    )
    configure_encryption(only_new)
    try:
        values, key_ids = asyncio.run(read_everything(sqlite_workdir))
        found = asyncio.run(find_probe(sqlite_workdir))
    finally:
        configure_encryption(make_settings(sqlite_workdir))
    assert set(CLEAR_VALUES.values()) <= values
    assert key_ids == {"test2"}
    assert found == (True, True, True, True)


async def find_probe(url: str) -> tuple[bool, ...]:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        found = (
            await queries.account_by_phone(session, CLEAR_VALUES["phone"]) is not None,
            await queries.account_by_email(session, CLEAR_VALUES["email"]) is not None,
            await queries.staff_by_email(session, CLEAR_VALUES["staff_email"]) is not None,
            await queries.identity_by_open_id(
                session, IdentityProvider.WECHAT, CLEAR_VALUES["open_id"]
            )
            is not None,
        )
    await engine.dispose()
    return found


async def read_everything(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    values: set[str] = set()
    key_ids: set[str] = set()
    async with create_session_factory(engine)() as session:
        for model, attributes in sealed_models():
            for row in (await session.scalars(select(model))).all():
                for attribute in attributes:
                    blob = getattr(row, attribute.column)
                    if blob is not None:
                        key_ids.add(KeyRing.key_id_of(blob))
                        value = getattr(row, attribute.name)
                        assert value is not None
                        values.add(value)
    await engine.dispose()
    return values, key_ids


@pytest.fixture
def scratch_postgres(is_postgres: bool, db_url: str) -> str:
    """A database of its own, so that the dump holds only what this test wrote."""
    if not is_postgres:
        pytest.skip("pg_dump needs the PostgreSQL run (GATEWAY_TEST_DATABASE_URL)")
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is not installed")
    name = f"xiamo_dump_{uuid.uuid4().hex[:8]}"
    admin = db_url.replace("postgresql+asyncpg://", "postgresql://")

    async def run(statement: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    base, _, _ = db_url.rpartition("/")
    yield f"{base}/{name}"  # type: ignore[misc]
    asyncio.run(run(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_a_pg_dump_holds_no_clear_value(
    scratch_postgres: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", scratch_postgres)
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(f"GATEWAY_{name.upper()}", value)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["seed", "--demo"]).exit_code == 0
    asyncio.run(write_probe_rows(scratch_postgres))

    plain_url = scratch_postgres.replace("postgresql+asyncpg://", "postgresql://")
    dump = subprocess.run(  # noqa: S603
        ["pg_dump", "--data-only", plain_url],  # noqa: S607
        check=True,
        capture_output=True,
        env={**os.environ},
    ).stdout

    assert b"COPY public.accounts" in dump
    assert_no_clear_value(dump)
    assert b"13800138000" not in dump
    assert b"biz@demo.example" not in dump
