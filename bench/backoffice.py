"""The enterprise back office on PostgreSQL with 100,000 sub-accounts.

Seeds (once) an enterprise with 100,000 sub-accounts, then sends the back office's
queries through the real application in-process and prints, for each, the median
latency and the number of SQL statements one request costs:

- the first page (`first: 100`);
- a page 500 pages deep (`first: 20` after the 10,000th row);
- an exact e-mail look-up (through the blind index);
- a display-name prefix search.

The database comes from GATEWAY_BENCH_DATABASE_URL (default: the local `xiamo_bench`);
it is created when missing and migrated to head. A later run reuses the seeded
enterprise, and an interrupted seeding resumes where it stopped.

    make bench-backoffice
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from auth.senders import Outbox
from auth.sessions import open_session
from gateway.app import create_app
from gateway.services import build_services, configure_encryption
from gateway.settings import Environment, Settings
from models import (
    Account,
    AccountKind,
    AccountStatus,
    SubAccountRole,
    encryption,
    migrate,
    queries,
)
from models.database import create_engine, create_session_factory
from models.pagination import KeysetPosition
from resolvers.pagination import encode_cursor

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/xiamo_bench"
SUB_ACCOUNTS = 100_000
BATCH = 5_000
RUNS = 20
WARM_UP = 2
DEEP_ROW = 10_000  # 500 pages of 20
ENTERPRISE_EMAIL = "enterprise@bench.example"
# Every sub-account's moment and id follow from its number, so the cursor of any row
# can be written down without reading the database.
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
ID_NAMESPACE = uuid.UUID("6f1c2b1e-3d5a-4c8e-9a7b-2e4f6a8c0d1e")
# Fixed keys of this throw-away benchmark database only; they protect nothing else.
BENCH_KEYS = {
    "token_signing_key": base64.urlsafe_b64encode(b"bench-token-signing-key-32-bytes").decode(),
    "data_keys": "bench1:" + base64.urlsafe_b64encode(b"bench-data-key-of-thirty-two-byt").decode(),
    "blind_index_key": base64.urlsafe_b64encode(b"bench-blind-index-key-32-bytes!!").decode(),
}
ROW_FIELDS = "id displayName phone email role permissions status lastLoginAt"
PAGE = f"""
query($first: Int!, $after: String, $filter: SubAccountFilter) {{
  viewer {{ account {{ ... on EnterpriseAccount {{
    subAccounts(first: $first, after: $after, filter: $filter) {{
      totalCount
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      edges {{ cursor node {{ {ROW_FIELDS} }} }}
    }}
  }} }} }}
}}
"""


def write(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def bench_settings(url: str) -> Settings:
    return Settings(env=Environment.TEST, database_url=url, **BENCH_KEYS)  # type: ignore[arg-type]


def sub_account_id(n: int) -> uuid.UUID:
    return uuid.uuid5(ID_NAMESPACE, f"sub-account-{n}")


def created_at(n: int) -> datetime:
    return EPOCH + timedelta(seconds=n)


def email_of(n: int) -> str:
    return f"member{n:06d}@bench.example"


def phone_of(n: int) -> str:
    return f"+86137{n:08d}"


def name_of(n: int) -> str:
    return f"Member {n:06d}"


def newest(k: int) -> int:
    """The number of the k-th newest sub-account (k = 1 is the newest)."""
    return SUB_ACCOUNTS - k


async def ensure_database(url: str) -> None:
    """Create the benchmark database when the server does not have it yet."""
    parsed = make_url(url)
    name = parsed.database or ""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    server = create_async_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", hide_parameters=True
    )
    try:
        async with server.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
                write(f"created database {name}")
    finally:
        await server.dispose()


def sealed_rows(enterprise_id: uuid.UUID, numbers: range) -> list[dict[str, Any]]:
    """Rows ready for one INSERT, phone and e-mail sealed and indexed as the models do."""
    ring = encryption.keyring()
    phone, email = Account.phone, Account.email
    rows = []
    for n in numbers:
        row_id = sub_account_id(n)
        at = created_at(n)
        rows.append(
            {
                "id": row_id,
                "kind": AccountKind.SUB_ACCOUNT,
                "status": AccountStatus.DISABLED if n % 10 == 0 else AccountStatus.ACTIVE,
                "display_name": name_of(n),
                "created_at": at,
                "enterprise_id": enterprise_id,
                "role": SubAccountRole.ADMIN if n % 50 == 0 else SubAccountRole.MEMBER,
                "permissions": ["MANAGE_PROJECTS", "VIEW_ORDERS"],
                "needs": [],
                "phone_sealed": ring.seal(phone_of(n), phone.binding(row_id)),
                "phone_index": phone.index_of(phone_of(n)),
                "email_sealed": ring.seal(email_of(n), email.binding(row_id)),
                "email_index": email.index_of(email_of(n)),
                "last_login_at": at + timedelta(days=1),
                "accepted_policy_version": "1.0",
                "accepted_policy_at": at,
            }
        )
    return rows


async def ensure_enterprise(engine: AsyncEngine) -> Account:
    """The benchmark's enterprise with all its sub-accounts, seeded when missing."""
    factory = create_session_factory(engine)
    async with factory() as session, session.begin():
        enterprise = await queries.account_by_email(session, ENTERPRISE_EMAIL)
        if enterprise is None:
            enterprise = Account(
                kind=AccountKind.ENTERPRISE,
                display_name="Bench Enterprise",
                company_name="Bench Enterprise Co., Ltd.",
                created_at=EPOCH - timedelta(days=1),
                accepted_policy_version="1.0",
                accepted_policy_at=EPOCH,
            )
            enterprise.email = ENTERPRISE_EMAIL
            session.add(enterprise)
        have = await queries.count_sub_accounts(session, enterprise.id)
    if have >= SUB_ACCOUNTS:
        write(f"reusing {have:,} sub-accounts of the seeded enterprise")
        return enterprise
    write(f"seeding sub-accounts {have:,} to {SUB_ACCOUNTS:,} in batches of {BATCH:,}")
    started = time.perf_counter()
    for start in range(have, SUB_ACCOUNTS, BATCH):
        rows = sealed_rows(enterprise.id, range(start, min(start + BATCH, SUB_ACCOUNTS)))
        async with factory() as session, session.begin():
            await session.execute(insert(Account), rows)
        write(f"  {start + len(rows):>7,} rows, {time.perf_counter() - started:6.1f} s")
    # VACUUM as autovacuum would: an index-only count needs the visibility map.
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE accounts"))
    write(f"seeded in {time.perf_counter() - started:.1f} s")
    return enterprise


@dataclass
class StatementCounter:
    """How many statements the engine sent, and how long they took, since `reset`."""

    count: int = 0
    seconds: float = 0.0
    _started: float = 0.0

    def reset(self) -> None:
        self.count, self.seconds = 0, 0.0

    def before(self, *args: Any) -> None:
        self.count += 1
        self._started = time.perf_counter()

    def after(self, *args: Any) -> None:
        self.seconds += time.perf_counter() - self._started

    def listen(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self.before)
        event.listen(engine.sync_engine, "after_cursor_execute", self.after)

    def remove(self, engine: AsyncEngine) -> None:
        event.remove(engine.sync_engine, "before_cursor_execute", self.before)
        event.remove(engine.sync_engine, "after_cursor_execute", self.after)


@dataclass(frozen=True)
class Scenario:
    name: str
    variables: dict[str, Any]
    expected_rows: int
    expected_first: int | None  # the number of the first row of the page


def scenarios() -> Iterator[Scenario]:
    deep = newest(DEEP_ROW)
    cursor = encode_cursor(KeysetPosition(created_at(deep), sub_account_id(deep)))
    looked_up = 54_321
    yield Scenario("first page (first: 100)", {"first": 100}, 100, newest(1))
    yield Scenario(
        "500 pages deep (first: 20, after row 10,000)",
        {"first": 20, "after": cursor},
        20,
        newest(DEEP_ROW + 1),
    )
    yield Scenario(
        "exact e-mail (blind index)",
        {"first": 20, "filter": {"email": email_of(looked_up)}},
        1,
        looked_up,
    )
    # Ten names start with "Member 04217": numbers 42170 to 42179, newest first.
    yield Scenario(
        'display-name prefix ("Member 04217")',
        {"first": 20, "filter": {"search": "Member 04217"}},
        10,
        42_179,
    )


@dataclass(frozen=True)
class Measurement:
    scenario: Scenario
    median_ms: float
    median_sql_ms: float
    statements: int
    statements_seen: tuple[int, ...]
    rows: int


async def measure(
    client: httpx.AsyncClient, token: str, counter: StatementCounter, scenario: Scenario
) -> Measurement:
    headers = {"Authorization": f"Bearer {token}"}
    timings: list[float] = []
    sql_timings: list[float] = []
    counts: list[int] = []
    rows = 0
    for run in range(WARM_UP + RUNS):
        counter.reset()
        started = time.perf_counter()
        response = await client.post(
            "/graphql", json={"query": PAGE, "variables": scenario.variables}, headers=headers
        )
        elapsed = (time.perf_counter() - started) * 1000
        body = response.json()
        if response.status_code != 200 or "errors" in body:
            raise SystemExit(f"{scenario.name}: {response.status_code} {body}")
        connection = body["data"]["viewer"]["account"]["subAccounts"]
        edges = connection["edges"]
        rows = len(edges)
        if rows != scenario.expected_rows or (
            scenario.expected_first is not None
            and edges[0]["node"]["displayName"] != name_of(scenario.expected_first)
        ):
            raise SystemExit(f"{scenario.name}: unexpected page {edges[:1]} ({rows} rows)")
        if run >= WARM_UP:
            timings.append(elapsed)
            sql_timings.append(counter.seconds * 1000)
            counts.append(counter.count)
    most_common = Counter(counts).most_common(1)[0][0]
    return Measurement(
        scenario,
        statistics.median(timings),
        statistics.median(sql_timings),
        most_common,
        tuple(sorted(set(counts))),
        rows,
    )


async def main() -> None:
    url = os.environ.get("GATEWAY_BENCH_DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgresql"):
        raise SystemExit("the back-office benchmark runs on PostgreSQL only")
    settings = bench_settings(url)
    configure_encryption(settings)
    await ensure_database(url)
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        enterprise = await ensure_enterprise(engine)
        services = build_services(settings, Outbox())
        async with create_session_factory(engine)() as session:
            issued = await open_session(
                session, services.tokens, now=datetime.now(UTC), account_id=enterprise.id
            )
            await session.commit()
        counter = StatementCounter()
        counter.listen(engine)
        app = create_app(settings, engine=engine, services=services)
        transport = httpx.ASGITransport(app=app)
        results = []
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for scenario in scenarios():
                results.append(await measure(client, issued.access_token, counter, scenario))
        counter.remove(engine)
        await services.limiter.close()
        async with engine.connect() as connection:
            total = await connection.scalar(
                text("SELECT count(*) FROM accounts WHERE enterprise_id = :id"),
                {"id": enterprise.id},
            )
    finally:
        await engine.dispose()
    report(results, int(total or 0))


def report(results: list[Measurement], total: int) -> None:
    write()
    write(
        f"Back office on PostgreSQL: one enterprise with {total:,} sub-accounts; "
        f"median of {RUNS} requests after {WARM_UP} warm-up ones."
    )
    write()
    header = (
        f"| {'query':<44} | {'median ms':>9} | {'of which SQL ms':>15} "
        f"| {'SQL statements':>14} | {'rows':>4} |"
    )
    write(header)
    write("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for result in results:
        seen = ""
        if len(result.statements_seen) > 1:
            seen = f" ({'/'.join(map(str, result.statements_seen))})"
        write(
            f"| {result.scenario.name:<44} | {result.median_ms:>9.1f} "
            f"| {result.median_sql_ms:>15.1f} "
            f"| {str(result.statements) + seen:>14} | {result.rows:>4} |"
        )
    write()
    write("SQL statements per request: the session with the viewer's account, the page, its count.")


if __name__ == "__main__":
    asyncio.run(main())
