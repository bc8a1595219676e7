"""Rate limits over memory and Redis (docs/spec/limits.md#rate-limits).

The Redis cases run against ``GATEWAY_TEST_REDIS_URL`` (CI: ``redis://127.0.0.1:6379/15``)
and are skipped when it is unset. When it is set, Redis must answer: a CI run never skips
them silently. Each test writes under its own random key prefix and deletes only the keys
under it, so a shared database is never flushed.

``limits`` reads the wall clock directly (no fake clock), so the few tests about a window
moving use 1-second windows and sleep for about a second.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio

from auth.rate_limits import (
    ClearableMemoryStorage,
    Limit,
    RateDecision,
    RateLimiter,
    RateLimitStorageError,
)

REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL")
REPO_ROOT = Path(__file__).resolve().parents[2]

requires_redis = pytest.mark.skipif(
    not REDIS_URL,
    reason=(
        "GATEWAY_TEST_REDIS_URL is not set, so the Redis-backed limits are not exercised "
        "(CI sets redis://127.0.0.1:6379/15)"
    ),
)

ALLOWED = RateDecision(allowed=True, retry_after_seconds=0)

MakeLimiter = Callable[[], RateLimiter]


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A fresh key prefix; afterwards, the keys under it (and only those) are deleted."""
    prefix = f"gateway-test:{uuid.uuid4().hex}"
    yield prefix
    if REDIS_URL:
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        try:
            keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=requires_redis)])
async def make_limiter(
    request: pytest.FixtureRequest, redis_prefix: str
) -> AsyncIterator[MakeLimiter]:
    """Builds limiters on one backend, as separate worker processes would; closes them."""
    url = REDIS_URL if request.param == "redis" else None
    built: list[RateLimiter] = []

    def make() -> RateLimiter:
        limiter = RateLimiter.from_url(url, key_prefix=redis_prefix)
        built.append(limiter)
        return limiter

    yield make
    for limiter in built:
        await limiter.close()


@pytest.fixture
def limiter(make_limiter: MakeLimiter) -> RateLimiter:
    return make_limiter()


@pytest.fixture
def key() -> str:
    """Stands for an already-hashed key (callers never pass personal data in clear)."""
    return uuid.uuid4().hex


async def hits(limiter: RateLimiter, limit: Limit, key: str, count: int) -> list[RateDecision]:
    return [await limiter.hit(limit, key) for _ in range(count)]


# --- Both backends ---------------------------------------------------------------------


async def test_allows_the_amount_then_refuses_with_the_wait(limiter: RateLimiter, key: str) -> None:
    limit = Limit("burst", amount=3, per_seconds=60)

    assert await hits(limiter, limit, key, 3) == [ALLOWED] * 3
    refused = await limiter.hit(limit, key)

    assert not refused.allowed
    assert 59 <= refused.retry_after_seconds <= 60
    assert await limiter.test(limit, key) == refused


async def test_one_code_a_minute_answers_the_seconds_left(limiter: RateLimiter, key: str) -> None:
    gap = Limit("sms-gap", amount=1, per_seconds=60)

    assert await limiter.hit(gap, key) == ALLOWED
    second = await limiter.hit(gap, key)

    assert second.allowed is False
    assert second.retry_after_seconds in (59, 60)


async def test_the_window_moves_and_refused_hits_do_not_count(
    limiter: RateLimiter, key: str
) -> None:
    limit = Limit("moving", amount=2, per_seconds=1)

    assert await limiter.hit(limit, key) == ALLOWED
    started = time.monotonic()  # the hit's timestamp was taken before this
    await asyncio.sleep(0.5)
    assert await limiter.hit(limit, key) == ALLOWED
    refused = await limiter.hit(limit, key)
    assert refused == RateDecision(allowed=False, retry_after_seconds=1)

    # Just after the first hit leaves the window: exactly one hit fits again, because
    # the second one (0.5 s younger) is still in it and the refused one never counted.
    await asyncio.sleep(max(0.0, 1.1 - (time.monotonic() - started)))
    assert await limiter.hit(limit, key) == ALLOWED
    assert (await limiter.hit(limit, key)).allowed is False


async def test_peeking_consumes_nothing(limiter: RateLimiter, key: str) -> None:
    limit = Limit("peek", amount=2, per_seconds=60)

    for _ in range(5):
        assert await limiter.test(limit, key) == ALLOWED
    assert await hits(limiter, limit, key, 2) == [ALLOWED] * 2

    peeked = await limiter.test(limit, key)
    assert peeked.allowed is False
    assert peeked.retry_after_seconds >= 59


async def test_cost_counts_several_hits_at_once(limiter: RateLimiter, key: str) -> None:
    limit = Limit("cost", amount=5, per_seconds=60)

    assert await limiter.test(limit, key, cost=5) == ALLOWED
    assert await limiter.hit(limit, key, cost=3) == ALLOWED
    assert (await limiter.hit(limit, key, cost=3)).allowed is False
    assert await limiter.hit(limit, key, cost=2) == ALLOWED
    assert (await limiter.hit(limit, key)).retry_after_seconds >= 59

    for bad in (0, -1, 6):
        with pytest.raises(ValueError, match="cost"):
            await limiter.hit(limit, key, cost=bad)


async def test_limits_and_keys_count_separately(limiter: RateLimiter, key: str) -> None:
    minute = Limit("per-minute", amount=1, per_seconds=60)
    day = Limit("per-day", amount=10, per_seconds=86_400)
    other_key = uuid.uuid4().hex

    assert await limiter.hit(minute, key) == ALLOWED
    assert await limiter.hit(day, key) == ALLOWED
    assert await limiter.hit(minute, other_key) == ALLOWED
    assert (await limiter.hit(minute, key)).allowed is False

    refused_day = await hits(limiter, day, key, 10)
    assert [d.allowed for d in refused_day] == [True] * 9 + [False]
    assert 86_399 <= refused_day[-1].retry_after_seconds <= 86_400


async def test_clear_forgets_a_keys_hits(limiter: RateLimiter, key: str) -> None:
    limit = Limit("clear", amount=1, per_seconds=60)
    other_key = uuid.uuid4().hex
    await limiter.hit(limit, key)
    await limiter.hit(limit, other_key)

    await limiter.clear(limit, key)

    assert await limiter.hit(limit, key) == ALLOWED
    assert (await limiter.hit(limit, other_key)).allowed is False


async def test_concurrent_hits_never_exceed_the_limit(make_limiter: MakeLimiter, key: str) -> None:
    first, second = make_limiter(), make_limiter()
    limit = Limit("concurrent", amount=10, per_seconds=60)

    decisions = await asyncio.gather(
        *(limiter.hit(limit, key) for _ in range(25) for limiter in (first, second))
    )

    allowed = sum(d.allowed for d in decisions)
    # Sharing Redis, the two count together; in memory, each counts its own.
    assert allowed == (10 if first.shared else 20)


# --- Sharing between workers -------------------------------------------------------------


async def test_two_memory_limiters_do_not_see_each_others_hits(key: str) -> None:
    limit = Limit("per-process", amount=1, per_seconds=60)
    first, second = RateLimiter.from_url(None), RateLimiter.from_url(None)
    try:
        assert not first.shared
        assert await first.hit(limit, key) == ALLOWED
        assert await second.hit(limit, key) == ALLOWED
        assert (await first.hit(limit, key)).allowed is False
    finally:
        await first.close()
        await second.close()


@requires_redis
async def test_two_redis_limiters_see_each_others_hits(redis_prefix: str, key: str) -> None:
    limit = Limit("shared", amount=3, per_seconds=60)
    first = RateLimiter.from_url(REDIS_URL, key_prefix=redis_prefix)
    second = RateLimiter.from_url(REDIS_URL, key_prefix=redis_prefix)
    try:
        assert first.shared
        assert await hits(first, limit, key, 2) == [ALLOWED] * 2
        assert await second.hit(limit, key) == ALLOWED

        refused = await second.hit(limit, key)
        assert refused.allowed is False
        assert 59 <= refused.retry_after_seconds <= 60
        assert (await first.test(limit, key)).allowed is False

        await second.clear(limit, key)
        assert await first.hit(limit, key) == ALLOWED
    finally:
        await first.close()
        await second.close()


# One worker process: connects, says "ready", waits for "go" on stdin, then fires all its
# hits at once and prints how many were allowed.
WORKER = """
import asyncio
import sys

from auth.rate_limits import Limit, RateLimiter


async def main() -> None:
    url, prefix, key, amount, count = sys.argv[1:6]
    limit = Limit("processes", int(amount), 60)
    limiter = RateLimiter.from_url(url, key_prefix=prefix)
    try:
        await asyncio.wait_for(limiter.test(limit, key), 5)
        print("ready", flush=True)
        sys.stdin.readline()
        decisions = await asyncio.wait_for(
            asyncio.gather(*(limiter.hit(limit, key) for _ in range(int(count)))), 10
        )
        print(sum(d.allowed for d in decisions), flush=True)
    finally:
        await limiter.close()


asyncio.run(main())
"""


@requires_redis
async def test_worker_processes_sharing_redis_allow_exactly_the_limit(
    redis_prefix: str, key: str
) -> None:
    assert REDIS_URL is not None
    amount, processes, per_process = 20, 3, 15
    arguments = [REDIS_URL, redis_prefix, key, str(amount), str(per_process)]

    allowed = await asyncio.to_thread(_run_workers, processes, arguments)

    assert sum(allowed) == amount
    observer = RateLimiter.from_url(REDIS_URL, key_prefix=redis_prefix)
    try:
        assert (await observer.test(Limit("processes", amount, 60), key)).allowed is False
    finally:
        await observer.close()


def _run_workers(processes: int, arguments: list[str]) -> list[int]:
    """Starts the workers, releases them together once all are connected, collects counts."""
    workers = [
        subprocess.Popen(  # noqa: S603  # the test's own interpreter and fixed arguments
            [sys.executable, "-c", WORKER, *arguments],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = worker.stdout.readline().strip()
            if line != "ready":
                _, err = worker.communicate(timeout=10)
                raise AssertionError(f"worker failed to start: {line!r} {err}")
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        allowed = []
        for worker in workers:
            out, err = worker.communicate(timeout=15)
            assert worker.returncode == 0, err
            allowed.append(int(out))
        return allowed
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
            worker.communicate()


# --- Construction and failures -----------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "per_seconds", "name"),
    [(0, 60, "x"), (1, 0, "x"), (-1, 60, "x"), (1, 60, ""), (1, 60, "a/b")],
)
def test_limit_rejects_meaningless_values(amount: int, per_seconds: int, name: str) -> None:
    with pytest.raises(ValueError, match="limit"):
        Limit(name, amount, per_seconds)


def test_unknown_storage_schemes_are_refused_without_echoing_the_url() -> None:
    with pytest.raises(ValueError, match="memcached") as raised:
        RateLimiter.from_url("memcached://user:pa55word@cache:11211")
    assert "pa55word" not in str(raised.value)

    with pytest.raises(ValueError, match="no scheme"):
        RateLimiter.from_url("localhost:6379")


@pytest.mark.parametrize(
    "url", ["async+memory://", "ASYNC+MEMORY://"], ids=["limits-uri", "upper-case"]
)
async def test_a_limits_memory_uri_is_accepted(url: str, key: str) -> None:
    limiter = RateLimiter.from_url(url)
    try:
        assert not limiter.shared
        assert await limiter.hit(Limit("uri", 1, 60), key) == ALLOWED
    finally:
        await limiter.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("scheme", ["redis", "async+redis"])
async def test_an_unreachable_redis_raises_a_storage_error(scheme: str, key: str) -> None:
    limiter = RateLimiter.from_url(f"{scheme}://:pa55word@127.0.0.1:{_free_port()}/0")
    limit = Limit("down", 1, 60)
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: limiter.hit(limit, key),
        lambda: limiter.test(limit, key),
        lambda: limiter.clear(limit, key),
    ]
    try:
        assert limiter.shared
        for call in calls:
            with pytest.raises(RateLimitStorageError) as raised:
                await call()
            assert "pa55word" not in str(raised.value)
    finally:
        await limiter.close()


async def test_clearing_a_key_while_expiry_walks_the_keys_raises_nothing() -> None:
    """The library's expiry task reads each key's events after an await; a key cleared
    in between made it fail with a KeyError (a right password clears its tries)."""
    storage = ClearableMemoryStorage()
    for key in ("a", "b"):
        assert await storage.acquire_entry(key, 5, 60)
    expiry = storage.timer  # the expiry task the entries scheduled
    assert expiry is not None
    await asyncio.sleep(0)  # it took its snapshot of the keys and awaits a thread for "a"

    await storage.clear("b")
    await expiry

    assert expiry.exception() is None
    # The cleared key starts afresh: its five entries are there to take again.
    assert [await storage.acquire_entry("b", 5, 60) for _ in range(6)] == [True] * 5 + [False]
