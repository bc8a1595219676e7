"""Can a failed sign-in tell a registered login from an unknown one by its time?

Sends `loginWithPassword` with a wrong password through the real application
in-process (SQLite in a temporary directory, the production Argon2id parameters) for
registered logins and for unknown ones, interleaved, each login tried once and each
try from its own client address, so that no rate limit answers instead, and prints the median time of each and their ratio. The
gateway verifies one Argon2 hash either way (a dummy one for an unknown login), so the
two should be within 20 % of each other.

    make bench-login
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime

import httpx

from auth import passwords
from auth.senders import Outbox
from gateway.app import create_app
from gateway.services import build_services, configure_encryption
from gateway.settings import Environment, Settings
from models import Account, AccountKind, migrate
from models.database import create_engine, create_session_factory
from resolvers.policies.shipped import ensure_shipped_policy

TRIES = 60
WRONG = "not-the-Password-9"  # noqa: S105 (a wrong password, on purpose)
# Fixed keys of this throw-away database only; they protect nothing else.
KEYS = {
    "token_signing_key": base64.urlsafe_b64encode(b"bench-token-signing-key-32-bytes").decode(),
    "data_keys": "bench1:" + base64.urlsafe_b64encode(b"bench-data-key-of-thirty-two-byt").decode(),
    "blind_index_key": base64.urlsafe_b64encode(b"bench-blind-index-key-32-bytes!!").decode(),
}
LOGIN = """
mutation($login: String!, $password: String!) {
  loginWithPassword(input: { login: $login, password: $password }) { userErrors { code } }
}
"""


def write(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def seed(url: str) -> list[str]:
    """TRIES registered logins with a password, all sharing one real Argon2id hash."""
    engine = create_engine(url)
    await migrate.upgrade(engine)
    password_hash = await passwords.hash_password("a-registered-Password-1")
    now = datetime.now(UTC)
    logins = [f"known{n:03d}@bench.example" for n in range(TRIES)]
    async with create_session_factory(engine)() as session, session.begin():
        await ensure_shipped_policy(session, body_file=None, now=now)
        for login in logins:
            account = Account(
                kind=AccountKind.BUSINESS,
                display_name="Bench",
                business_name="Bench",
                ur_token="ur-bench",  # noqa: S106 (a registration token, not a secret)
                created_at=now,
                password_hash=password_hash,
            )
            account.email = login
            session.add(account)
    await engine.dispose()
    return logins


async def timed(app: object, login: str, n: int) -> float:
    transport = httpx.ASGITransport(app=app, client=(f"10.0.{n // 250}.{n % 250 + 1}", 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        return await _timed(client, login)


async def _timed(client: httpx.AsyncClient, login: str) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/graphql", json={"query": LOGIN, "variables": {"login": login, "password": WRONG}}
    )
    elapsed = (time.perf_counter() - started) * 1000
    codes = [e["code"] for e in response.json()["data"]["loginWithPassword"]["userErrors"]]
    if codes != ["INVALID_CREDENTIALS"]:
        raise RuntimeError(f"expected INVALID_CREDENTIALS, got {codes}")
    return elapsed


async def measure(url: str) -> None:
    settings = Settings(env=Environment.TEST, database_url=url, **KEYS)  # type: ignore[arg-type]
    configure_encryption(settings)
    known = await seed(url)
    unknown = [f"nobody{n:03d}@bench.example" for n in range(TRIES)]
    services = build_services(settings, Outbox())
    app = create_app(settings, services=services)
    known_ms: list[float] = []
    unknown_ms: list[float] = []
    await timed(app, "warm-up@bench.example", 0)
    for n, (registered, stranger) in enumerate(zip(known, unknown, strict=True), start=1):
        known_ms.append(await timed(app, registered, 2 * n))
        unknown_ms.append(await timed(app, stranger, 2 * n + 1))
    await services.limiter.close()
    known_median, unknown_median = statistics.median(known_ms), statistics.median(unknown_ms)
    write(f"{'failed loginWithPassword':<28}{'median ms':>12}")
    write(f"{'registered login':<28}{known_median:>12.1f}")
    write(f"{'unknown login':<28}{unknown_median:>12.1f}")
    difference = abs(known_median - unknown_median) / max(known_median, unknown_median)
    write(f"difference: {difference:.0%} (target: within 20%)")


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(measure(f"sqlite+aiosqlite:///{scratch}/bench.db"))


if __name__ == "__main__":
    main()
