"""`xiamo-gateway retention run [--dry-run]` and the batched deletes under it
(docs/spec/rights.md#retention)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from gateway.cli import app
from models import (
    Account,
    AccountKind,
    EmailConfirmation,
    LoginEvent,
    LoginMethod,
    OAuthState,
    SearchEntry,
    SmsCode,
    SmsPurpose,
)
from models.database import create_engine, create_session_factory
from resolvers.privacy.inventory import shipped_inventory
from resolvers.rights.retention import run_retention
from tests.conftest import TEST_SECRETS, StatementCounter

runner = CliRunner()
RETAINED = (SearchEntry, LoginEvent, SmsCode, OAuthState, EmailConfirmation)
# The categories after these three, in the order the job reports them (their own test is
# test_retention_rules.py).
LATER_CATEGORIES = [
    "real_name",
    "student",
    "notifications",
    "rights_requests",
    "privacy_events",
    "cancelled_account_logs",
]


@pytest.fixture
def cli_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A SQLite file set up by `db upgrade`, as an operator would; the run's keys."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GATEWAY_ENV", raising=False)
    monkeypatch.delenv("GATEWAY_INVENTORY_DIR", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path}/retention.db"
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(f"GATEWAY_{name.upper()}", value)
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    return url


class Rows:
    """Rows made by `seed`, by whether retention should delete them."""

    def __init__(self) -> None:
        self.old: dict[str, set[uuid.UUID]] = {model.__tablename__: set() for model in RETAINED}
        self.young: dict[str, set[uuid.UUID]] = {model.__tablename__: set() for model in RETAINED}


def search_entry(account: Account, created_at: datetime) -> SearchEntry:
    entry = SearchEntry(account_id=account.id, created_at=created_at)
    entry.query = f"posters {uuid.uuid4().hex[:6]}"
    return entry


def login_event(account: Account, created_at: datetime) -> LoginEvent:
    event = LoginEvent(
        account_id=account.id, created_at=created_at, method=LoginMethod.SMS_CODE, success=True
    )
    event.ip_address = "203.0.113.7"
    return event


def sms_code(created_at: datetime) -> SmsCode:
    return SmsCode(
        phone_index=uuid.uuid4().bytes * 2,
        purpose=SmsPurpose.LOGIN,
        code_hash=uuid.uuid4().bytes * 2,
        created_at=created_at,
        expires_at=created_at + timedelta(minutes=5),
    )


def oauth_state(account: Account, created_at: datetime) -> OAuthState:
    return OAuthState(
        state_hash=uuid.uuid4().bytes * 2,
        redirect_uri="http://localhost:5173/auth/wechat",
        account_id=account.id,
        created_at=created_at,
        expires_at=created_at + timedelta(minutes=10),
    )


def email_confirmation(account: Account, created_at: datetime) -> EmailConfirmation:
    confirmation = EmailConfirmation(
        account_id=account.id,
        token_hash=uuid.uuid4().bytes * 2,
        created_at=created_at,
        expires_at=created_at + timedelta(hours=24),
    )
    confirmation.email = "pending@example.com"
    return confirmation


async def zhang_san(session: AsyncSession, now: datetime) -> Account:
    """An individual made at `now`, the owner of the rows a test ages."""
    account = Account(kind=AccountKind.INDIVIDUAL, display_name="Zhang San", created_at=now)
    session.add(account)
    await session.flush()
    return account


async def seed(session: AsyncSession, now: datetime) -> Rows:
    """Search entries and login events 181 and 179 days old; codes, states and e-mail
    confirmations 2 days old and fresh. Each category has its own count of old rows."""
    account = await zhang_san(session, now)
    old, young = now - timedelta(days=181), now - timedelta(days=179)
    stale, fresh = now - timedelta(days=2), now
    made: list[tuple[bool, Any]] = [
        (True, search_entry(account, old)),
        (True, search_entry(account, old - timedelta(days=30))),
        (False, search_entry(account, young)),
        (True, login_event(account, old)),
        (False, login_event(account, young)),
        (True, sms_code(stale)),
        (True, sms_code(stale - timedelta(hours=1))),
        (False, sms_code(fresh)),
        (True, oauth_state(account, stale)),
        (False, oauth_state(account, fresh)),
        (True, email_confirmation(account, stale)),
        (False, email_confirmation(account, fresh)),
    ]
    session.add_all(row for _, row in made)
    await session.flush()
    rows = Rows()
    for is_old, row in made:
        (rows.old if is_old else rows.young)[type(row).__tablename__].add(row.id)
    return rows


async def stored_ids(session: AsyncSession) -> dict[str, set[uuid.UUID]]:
    return {
        model.__tablename__: set((await session.scalars(select(model.id))).all())
        for model in RETAINED
    }


def in_cli_database(url: str, work: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_retention_run_deletes_exactly_what_outlived_its_retention(cli_database: str) -> None:
    rows: Rows = in_cli_database(cli_database, lambda s: seed(s, datetime.now(UTC)))
    everything = {table: rows.old[table] | rows.young[table] for table in rows.old}

    dry_run = runner.invoke(app, ["retention", "run", "--dry-run"])
    after_dry_run = in_cli_database(cli_database, stored_ids)
    run = runner.invoke(app, ["retention", "run"])
    after_run = in_cli_database(cli_database, stored_ids)
    again = runner.invoke(app, ["retention", "run"])
    after_again = in_cli_database(cli_database, stored_ids)

    assert dry_run.exit_code == 0, dry_run.output
    assert dry_run.output == (
        "search_history: would delete 2\n"
        "device_and_access_logs: would delete 1\n"
        "one_time_codes: would delete 4\n"
        + "".join(f"{category}: would delete 0\n" for category in LATER_CATEGORIES)
    )
    assert after_dry_run == everything
    assert run.exit_code == 0, run.output
    assert run.output == (
        "search_history: deleted 2\ndevice_and_access_logs: deleted 1\none_time_codes: deleted 4\n"
        + "".join(f"{category}: deleted 0\n" for category in LATER_CATEGORIES)
    )
    assert after_run == rows.young
    assert again.exit_code == 0, again.output
    assert again.output == (
        "search_history: deleted 0\ndevice_and_access_logs: deleted 0\none_time_codes: deleted 0\n"
        + "".join(f"{category}: deleted 0\n" for category in LATER_CATEGORIES)
    )
    assert after_again == rows.young


def deletes_from(counter: StatementCounter, table: str) -> int:
    return sum(
        1 for statement in counter.statements if statement.split()[:3] == ["DELETE", "FROM", table]
    )


async def test_run_retention_deletes_in_batches(
    db: AsyncSession, sql_statements: StatementCounter
) -> None:
    now = datetime.now(UTC)
    account = await zhang_san(db, now)
    old = [search_entry(account, now - timedelta(days=181, hours=n)) for n in range(5)]
    young = search_entry(account, now - timedelta(days=179))
    old_logins = [login_event(account, now - timedelta(days=200 + n)) for n in range(3)]
    db.add_all([*old, young, *old_logins])
    await db.commit()
    sql_statements.reset()

    counts = await run_retention(db, shipped_inventory(), now, batch_size=2)

    assert counts == {
        "search_history": 5,
        "device_and_access_logs": 3,
        "one_time_codes": 0,
        **dict.fromkeys(LATER_CATEGORIES, 0),
    }
    # 2 + 2 + 1 search entries, 2 + 1 login events: one statement per batch.
    assert deletes_from(sql_statements, "search_entries") == 3
    assert deletes_from(sql_statements, "login_events") == 2
    remaining = (await db.scalars(select(SearchEntry.id))).all()
    assert remaining == [young.id]
    assert (await db.scalars(select(LoginEvent.id))).all() == []


async def test_a_batch_size_that_divides_the_rows_ends_with_an_empty_batch(
    db: AsyncSession, sql_statements: StatementCounter
) -> None:
    now = datetime.now(UTC)
    db.add_all([sms_code(now - timedelta(days=2, minutes=n)) for n in range(4)])
    db.add(sms_code(now))
    await db.commit()
    sql_statements.reset()

    counts = await run_retention(db, shipped_inventory(), now, batch_size=2)

    assert counts["one_time_codes"] == 4
    assert deletes_from(sql_statements, "sms_codes") == 3
    assert len((await db.scalars(select(SmsCode.id))).all()) == 1


async def test_a_dry_run_counts_and_deletes_nothing(
    db: AsyncSession, sql_statements: StatementCounter
) -> None:
    now = datetime.now(UTC)
    account = await zhang_san(db, now)
    db.add_all([search_entry(account, now - timedelta(days=181, hours=n)) for n in range(5)])
    db.add_all([oauth_state(account, now - timedelta(days=2)), oauth_state(account, now)])
    await db.commit()
    sql_statements.reset()

    counts = await run_retention(db, shipped_inventory(), now, dry_run=True, batch_size=2)

    assert counts == {
        "search_history": 5,
        "device_and_access_logs": 0,
        "one_time_codes": 1,
        **dict.fromkeys(LATER_CATEGORIES, 0),
    }
    assert not [s for s in sql_statements.statements if s.lstrip().upper().startswith("DELETE")]
    assert len((await db.scalars(select(SearchEntry.id))).all()) == 5
    assert len((await db.scalars(select(OAuthState.id))).all()) == 2
