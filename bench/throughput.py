"""The gateway against a raw Starlette + asyncpg app, on PostgreSQL with 100,000 sub-accounts.

Two requests (bench/documents.py) as the clients send them:

- the SPA home of the demo individual (account, profile, security, verifications, bank
  cards, consents with their history);
- the back-office page of ent@demo.example (`subAccounts(first: 100)`, ten fields each,
  `totalCount`, `pageInfo`), and the same page after its 90,000th sub-account.

Each competitor is served by one uvicorn worker with production settings and driven by
`wrk` with 8 connections, in interleaved rounds (gateway, raw, gateway, raw, ...). Before
the rounds, every request's answer from the raw app must equal the gateway's byte for
byte, or the run stops: the baseline cannot drift from what the gateway answers.

Printed per request: throughput and p50/p99 latency per competitor, the ratio
gateway/raw, CPU milliseconds per request (each server process's CPU time from /proc,
before and after its rounds), SQL statements per request (counted in-process, BEGIN,
COMMIT and pool pings included) and microseconds of CPU per resolved field.

The database comes from GATEWAY_BENCH_DATABASE_URL (default: the local `xiamo_bench`),
created when missing, migrated to head and seeded once (demo data and 100,000
sub-accounts of the demo enterprise).

    make bench                      # BENCH_DURATION=5 BENCH_ROUNDS=3 BENCH_CONNECTIONS=8
    python -m bench.throughput --show-sql
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.senders import Outbox
from auth.sessions import open_session
from bench.backoffice import BENCH_KEYS, bench_settings, ensure_database, write
from bench.documents import BACK_OFFICE_PAGE, SPA_HOME
from bench.statements import StatementLog
from gateway.app import create_app
from gateway.demo import DEMO_INDIVIDUAL_PHONE, seed_demo
from gateway.services import build_services, configure_encryption
from gateway.settings import Settings
from models import (
    Account,
    AccountKind,
    AccountStatus,
    EnterprisePermission,
    SubAccountRole,
    encryption,
    migrate,
    queries,
)
from models.database import create_engine, create_session_factory
from models.pagination import KeysetPosition
from resolvers.pagination import encode_cursor
from resolvers.policies.shipped import ensure_shipped_policy

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/xiamo_bench"
ENTERPRISE_EMAIL = "ent@demo.example"
SUB_ACCOUNTS = 100_000
BATCH = 10_000
DEEP_ROW = 90_000
PAGE_SIZE = 100
# The seeded sub-accounts: moments and ids follow from their number, so the cursor of
# any row can be written without reading the database.
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
ID_NAMESPACE = uuid.UUID("0b6f3c52-8d0e-4a53-9d44-5f1e2a7c9b31")
PRODUCTION_ENVIRONMENT = {
    "GATEWAY_ENV": "production",
    "GATEWAY_TOKEN_SIGNING_KEY": BENCH_KEYS["token_signing_key"],
    "GATEWAY_DATA_KEYS": BENCH_KEYS["data_keys"],
    "GATEWAY_BLIND_INDEX_KEY": BENCH_KEYS["blind_index_key"],
    # Required in production, never called by these two reads.
    "GATEWAY_SMS_GATEWAY_URL": "https://sms.bench.invalid/send",
    "GATEWAY_EMAIL_GATEWAY_URL": "https://mail.bench.invalid/send",
    "GATEWAY_ID_VERIFIER_URL": "https://id.bench.invalid/verify",
    "GATEWAY_LOG_LEVEL": "WARNING",
}


# The data.


def sub_account_id(n: int) -> uuid.UUID:
    return uuid.uuid5(ID_NAMESPACE, f"member-{n}")


def created_at(n: int) -> datetime:
    return EPOCH + timedelta(seconds=n)


def sub_account_rows(enterprise_id: uuid.UUID, numbers: range) -> list[dict[str, Any]]:
    """Rows for one INSERT, phone and e-mail sealed and indexed as the models do."""
    ring = encryption.keyring()
    phone, email = Account.phone, Account.email
    member = sorted((EnterprisePermission.MANAGE_PROJECTS, EnterprisePermission.VIEW_ORDERS))
    rows = []
    for n in numbers:
        row_id = sub_account_id(n)
        at = created_at(n)
        number, address = f"+86136{n:08d}", f"member{n:06d}@ent.demo.example"
        rows.append(
            {
                "id": row_id,
                "kind": AccountKind.SUB_ACCOUNT,
                "status": AccountStatus.DISABLED if n % 10 == 0 else AccountStatus.ACTIVE,
                "display_name": f"Member {n:06d}",
                "created_at": at,
                "enterprise_id": enterprise_id,
                "role": SubAccountRole.ADMIN if n % 50 == 0 else SubAccountRole.MEMBER,
                "permissions": member,
                "needs": [],
                "phone_sealed": ring.seal(number, phone.binding(row_id)),
                "phone_index": phone.index_of(number),
                "email_sealed": ring.seal(address, email.binding(row_id)),
                "email_index": email.index_of(address),
                "last_login_at": at + timedelta(days=1),
                "accepted_policy_version": "1.0",
                "accepted_policy_at": at,
            }
        )
    return rows


@dataclass(frozen=True)
class Demo:
    individual: Account
    enterprise: Account


async def ensure_data(engine: AsyncEngine) -> Demo:
    """The demo data, and 100,000 more sub-accounts of the demo enterprise."""
    factory = create_session_factory(engine)
    now = datetime.now(UTC)
    async with factory() as session, session.begin():
        await ensure_shipped_policy(session, body_file=None, now=now)
        if await queries.account_by_phone(session, DEMO_INDIVIDUAL_PHONE) is None:
            await seed_demo(session, now)
            write("seeded the demo data")
    async with factory() as session:
        individual = await queries.account_by_phone(session, DEMO_INDIVIDUAL_PHONE)
        enterprise = await queries.account_by_email(session, ENTERPRISE_EMAIL)
        if individual is None or enterprise is None:
            raise SystemExit("the demo data is incomplete: drop the benchmark database")
        have = await session.scalar(
            select(text("count(*)"))
            .select_from(Account)
            .where(Account.id.in_([sub_account_id(n) for n in (0, SUB_ACCOUNTS - 1)]))
        )
        seeded = await session.scalar(
            text("SELECT count(*) FROM accounts WHERE display_name LIKE 'Member %'")
        )
    if have != 2 or seeded != SUB_ACCOUNTS:
        write(f"seeding {SUB_ACCOUNTS:,} sub-accounts of {ENTERPRISE_EMAIL}")
        started = time.perf_counter()
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "DELETE FROM accounts WHERE enterprise_id = :id AND display_name LIKE 'Member %'"
                ),
                {"id": enterprise.id},
            )
        for start in range(0, SUB_ACCOUNTS, BATCH):
            rows = sub_account_rows(enterprise.id, range(start, min(start + BATCH, SUB_ACCOUNTS)))
            async with factory() as session, session.begin():
                await session.execute(insert(Account), rows)
            write(f"  {start + len(rows):>7,} rows, {time.perf_counter() - started:5.1f} s")
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE accounts"))
        write(f"seeded in {time.perf_counter() - started:.1f} s")
    return Demo(individual, enterprise)


async def access_tokens(engine: AsyncEngine, settings: Settings, demo: Demo) -> dict[str, str]:
    """A fresh session (and access token, 15 minutes) for each viewer."""
    services = build_services(settings, Outbox())
    tokens = {}
    async with create_session_factory(engine)() as session:
        for name, account in (("individual", demo.individual), ("enterprise", demo.enterprise)):
            issued = await open_session(
                session, services.tokens, now=datetime.now(UTC), account_id=account.id
            )
            tokens[name] = issued.access_token
        await session.commit()
    await services.limiter.close()
    return tokens


# The requests.


@dataclass(frozen=True)
class Request:
    name: str
    viewer: str  # whose token
    body: bytes


def requests() -> list[Request]:
    deep = encode_cursor(
        KeysetPosition(created_at(SUB_ACCOUNTS - DEEP_ROW), sub_account_id(SUB_ACCOUNTS - DEEP_ROW))
    )

    def page(variables: dict[str, Any]) -> bytes:
        return orjson.dumps({"query": BACK_OFFICE_PAGE, "variables": variables})

    return [
        Request("SPA home", "individual", orjson.dumps({"query": SPA_HOME})),
        Request("back-office page", "enterprise", page({"first": PAGE_SIZE})),
        Request("page after 90,000 rows", "enterprise", page({"first": PAGE_SIZE, "after": deep})),
    ]


def resolved_fields(value: Any) -> int:
    """Fields in an answer: every key of every object under `data`."""
    if isinstance(value, dict):
        return len(value) + sum(resolved_fields(item) for item in value.values())
    if isinstance(value, list):
        return sum(resolved_fields(item) for item in value)
    return 0


def checked_answer(name: str, status: int, body: bytes) -> dict[str, Any]:
    answer = orjson.loads(body)
    if status != 200 or "errors" in answer or not answer.get("data"):
        raise SystemExit(f"{name}: answered {status} {body[:500]!r}")
    return answer  # type: ignore[no-any-return]


async def count_statements(
    engine: AsyncEngine, settings: Settings, tokens: dict[str, str], *, show: bool
) -> dict[str, tuple[int, int]]:
    """Statements and resolved fields of each request, through the real app in-process."""
    services = build_services(settings, Outbox())
    app = create_app(settings, engine=engine, services=services)
    log = StatementLog(engine)
    found = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for request in requests():
            headers = {
                "Authorization": f"Bearer {tokens[request.viewer]}",
                "Content-Type": "application/json",
            }
            for _ in range(2):  # the second, warm, is counted
                log.reset()
                log.listen()
                try:
                    response = await client.post("/graphql", content=request.body, headers=headers)
                    await log.settle()
                finally:
                    log.remove()
            answer = checked_answer(request.name, response.status_code, response.content)
            found[request.name] = (log.count, resolved_fields(answer["data"]))
            if show:
                write(f"-- {request.name}: {log.count} statements")
                for statement in log.statements:
                    write("   " + " ".join(statement.split()))
    await services.limiter.close()
    return found


# The servers.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    name: str
    command: list[str]
    environment: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def start(self) -> None:
        env = {**os.environ, **self.environment}
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [*self.command, "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's process so far (/proc/<pid>/stat)."""
        if self.process is None:
            raise RuntimeError(f"{self.name} is not running")
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")


def servers(url: str) -> list[Server]:
    environment = {**PRODUCTION_ENVIRONMENT, "GATEWAY_DATABASE_URL": url}
    python = sys.executable
    gateway = Server(
        "gateway",
        [str(Path(python).parent / "xiamo-gateway"), "serve", "--workers", "1"],
        environment,
    )
    raw = Server(
        "raw",
        [
            python, "-m", "uvicorn", "bench.raw:app_from_environment", "--factory",
            "--workers", "1", "--no-access-log", "--log-level", "warning",
        ],
        environment,
    )  # fmt: skip
    return [gateway, raw]


# wrk.


@dataclass
class Run:
    requests: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.body = [==[{body}]==]
"""
_DURATION = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _milliseconds(value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value.strip())
    if found is None:
        raise SystemExit(f"unreadable wrk latency: {value!r}")
    number, unit = found.groups()
    return float(number) * _DURATION[unit]


def wrk(
    url: str, script: Path, *, connections: int, seconds: int
) -> tuple[int, float, float, float]:
    """Requests, elapsed seconds, p50 and p99 latency (ms) of one wrk run."""
    output = subprocess.run(  # noqa: S603 (wrk from PATH, checked in main)
        [  # noqa: S607
            "wrk", "--threads", "1", "--connections", str(connections),
            "--duration", f"{seconds}s", "--timeout", "30s", "--latency", "--script", str(script), url,
        ],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"wrk saw failures:\n{output}")
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    # The distribution's own lines (a "+/- Stdev" column may also end in "50%").
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE)
    if not (done and p50 and p99):
        raise SystemExit(f"unreadable wrk output:\n{output}")
    elapsed = float(done.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[done.group(3)]
    return int(done.group(1)), elapsed, _milliseconds(p50.group(1)), _milliseconds(p99.group(1))


def same_answers(competitors: list[Server], tokens: dict[str, str]) -> None:
    """Every competitor answers every request with the gateway's exact bytes."""
    for request in requests():
        headers = {
            "Authorization": f"Bearer {tokens[request.viewer]}",
            "Content-Type": "application/json",
        }
        bodies = {}
        for server in competitors:
            response = httpx.post(server.url, content=request.body, headers=headers, timeout=30)
            checked_answer(f"{server.name}, {request.name}", response.status_code, response.content)
            bodies[server.name] = response.content
        reference = bodies[competitors[0].name]
        for name, body in bodies.items():
            if body != reference:
                raise SystemExit(
                    f"{request.name}: {name} does not answer the gateway's bytes "
                    f"({len(body)} against {len(reference)} bytes)"
                )


@contextlib.contextmanager
def running(competitors: list[Server]) -> Iterator[None]:
    try:
        for server in competitors:
            server.start()
        yield
    finally:
        for server in competitors:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-sql", action="store_true", help="print each request's statements")
    round_options(parser, rounds=3)
    options = parser.parse_args()
    url, counts, tokens = prepared(show=options.show_sql)
    results = measure(servers(url), tokens, options)
    report(results, counts, options)


def round_options(parser: argparse.ArgumentParser, *, rounds: int) -> None:
    """--duration, --rounds and --connections, by default from BENCH_DURATION,
    BENCH_ROUNDS and BENCH_CONNECTIONS."""
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 5)))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", rounds)))
    parser.add_argument(
        "--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS", 8))
    )


def prepared(*, show: bool) -> tuple[str, dict[str, tuple[int, int]], dict[str, str]]:
    """The database's URL, made ready (migrated, seeded), each request's statements and
    fields, and the viewers' tokens."""
    needs_wrk()
    url = bench_url()
    settings = bench_settings(url)
    configure_encryption(settings)
    counts, tokens = asyncio.run(prepare(url, settings, show=show))
    return url, counts, tokens


def needs_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit(
            "make bench needs wrk (the HTTP benchmarking tool): "
            "apt-get install wrk (Debian/Ubuntu), brew install wrk (macOS)"
        )


def bench_url() -> str:
    url = os.environ.get("GATEWAY_BENCH_DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgresql"):
        raise SystemExit("the throughput benchmark runs on PostgreSQL only")
    return url


def measure(
    competitors: list[Server], tokens: dict[str, str], options: argparse.Namespace
) -> dict[tuple[str, str], Run]:
    """Every request served by every competitor under wrk, in interleaved rounds, after
    checking that they all answer the first competitor's exact bytes (before and after)."""
    results: dict[tuple[str, str], Run] = {}
    with running(competitors), tempfile.TemporaryDirectory() as scratch:
        same_answers(competitors, tokens)
        scripts: dict[str, Path] = {}
        for request in requests():
            script = Path(scratch) / f"{len(scripts)}.lua"
            script.write_text(
                WRK_SCRIPT.format(token=tokens[request.viewer], body=request.body.decode())
            )
            scripts[request.name] = script
        # One short warm-up of each, then interleaved rounds.
        for request in requests():
            for server in competitors:
                wrk(server.url, scripts[request.name], connections=options.connections, seconds=1)
        for round_ in range(options.rounds):
            write(f"round {round_ + 1} of {options.rounds}")
            for request in requests():
                for server in competitors:
                    before = server.cpu_seconds()
                    done, elapsed, p50, p99 = wrk(
                        server.url,
                        scripts[request.name],
                        connections=options.connections,
                        seconds=options.duration,
                    )
                    run = results.setdefault((request.name, server.name), Run())
                    run.cpu += server.cpu_seconds() - before
                    run.requests += done
                    run.seconds += elapsed
                    run.p50_ms.append(p50)
                    run.p99_ms.append(p99)
        same_answers(competitors, tokens)
    return results


async def prepare(
    url: str, settings: Settings, *, show: bool
) -> tuple[dict[str, tuple[int, int]], dict[str, str]]:
    await ensure_database(url)
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        demo = await ensure_data(engine)
        tokens = await access_tokens(engine, settings, demo)
        counts = await count_statements(engine, settings, tokens, show=show)
    finally:
        await engine.dispose()
    return counts, tokens


def report(
    results: dict[tuple[str, str], Run],
    counts: dict[str, tuple[int, int]],
    options: argparse.Namespace,
) -> None:
    write()
    write(
        f"{SUB_ACCOUNTS:,} sub-accounts on PostgreSQL; one uvicorn worker each, production "
        f"settings; wrk, {options.connections} connections, {options.rounds} interleaved "
        f"rounds of {options.duration} s; CPU time of the server process."
    )
    write()
    header = (
        "| request | competitor | req/s | p50 ms | p99 ms | CPU ms/req | SQL statements "
        "| gateway/raw | µs/field |"
    )
    write(header)
    write("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for request in requests():
        gateway, raw = results[(request.name, "gateway")], results[(request.name, "raw")]
        statements, fields = counts[request.name]
        for name, run in (("gateway", gateway), ("raw", raw)):
            cpu_ms = run.cpu * 1000 / max(run.requests, 1)
            ratio = per_field = ""
            shown_statements = str(statements) if name == "gateway" else ""
            if name == "gateway":
                ratio = f"{gateway.throughput / raw.throughput:.2f}×"
                per_field = f"{cpu_ms * 1000 / fields:.1f}"
            write(
                f"| {request.name} | {name} | {run.throughput:,.0f} "
                f"| {statistics.median(run.p50_ms):.1f} | {statistics.median(run.p99_ms):.1f} "
                f"| {cpu_ms:.2f} | {shown_statements} | {ratio} | {per_field} |"
            )
    write()
    write(
        "Resolved fields per answer: "
        + ", ".join(f"{name} {fields}" for name, (_, fields) in counts.items())
        + ". µs/field: the gateway's CPU per request over them."
    )


if __name__ == "__main__":
    main()
