"""Rate limits: "may this key act now, and if not, in how many seconds?"

A thin layer over the ``limits`` library's asynchronous API with its moving-window
strategy: every accepted hit is kept with its timestamp, so "at most N per window" holds
over any window of that length, not only over calendar-aligned ones. That is what makes
"at least 60 s between codes" (1 per 60 s) and "at most 10 a day" (10 per 86,400 s) exact
(docs/spec/limits.md#rate-limits).

Storage is in process memory when no Redis URL is configured (each worker then counts on
its own), or Redis (``GATEWAY_REDIS_URL``), where the check and the consumption of a hit
run as one Lua script, so workers sharing the server share the limits exactly.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, cast

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from prometheus_client import Counter

if TYPE_CHECKING:
    import redis.asyncio

DEFAULT_KEY_PREFIX: Final = "gateway:limits"

# Refused hits, counts and tests, by the limit's name only (a fixed set in the code),
# never the key.
REFUSALS = Counter("gateway_rate_limit_refusals", "Hits a rate limit refused, by limit.", ["limit"])

_REDIS_SCHEMES: Final = {
    "redis": "async+redis",
    "rediss": "async+rediss",
    "redis+unix": "async+redis+unix",
    "unix": "async+redis+unix",
}


@dataclass(frozen=True)
class Limit:
    """At most ``amount`` hits per key within any ``per_seconds`` seconds.

    ``name`` is part of the storage key, so two limits on the same key (e.g. "one per
    minute" and "ten per day" for one phone) count separately.
    """

    name: str
    amount: int
    per_seconds: int

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ValueError("a limit name must be non-empty and hold no '/'")
        if self.amount < 1 or self.per_seconds < 1:
            raise ValueError("a limit needs amount >= 1 and per_seconds >= 1")


@dataclass(frozen=True)
class RateDecision:
    """``allowed``, or else the whole seconds (at least 1) to wait before asking again."""

    allowed: bool
    retry_after_seconds: int


class RateLimitStorageError(Exception):
    """The limit store (Redis) did not answer; the caller decides whether to fail closed."""


class ClearableMemoryStorage(MemoryStorage):
    """`limits`' in-process storage, with a `clear` its background expiry cannot trip on.

    The library's expiry task walks a snapshot of the keys and reads each one's events
    after an await, so a key cleared in between (a right password clears its tries)
    made that task fail with a KeyError. Clearing empties the key's events under the
    key's lock instead of removing them; the expiry task removes the empty entry itself.
    """

    async def clear(self, key: str) -> None:
        async with self.locks[key]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)
            if key in self.events:
                self.events[key] = []


class RateLimiter:
    """Asks and records rate-limit hits against one storage.

    Keys must not hold personal data in clear: callers pass keys that are already hashed
    (a keyed blind index of the phone, e-mail or client address), because keys end up as
    Redis key names, visible to anyone who can list the server's keys. This class stores
    keys as given and does not hash them itself.

    Build one per process with :meth:`from_url` and :meth:`close` it at shutdown.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._strategy = MovingWindowRateLimiter(storage)
        self._counter = FixedWindowRateLimiter(storage)

    @classmethod
    def from_url(
        cls, redis_url: str | None, *, key_prefix: str = DEFAULT_KEY_PREFIX
    ) -> RateLimiter:
        """Memory storage when ``redis_url`` is ``None``, Redis otherwise.

        ``redis_url`` may be a ``redis://``, ``rediss://`` or ``unix://`` URL (the form of
        ``GATEWAY_REDIS_URL``) or already a ``limits`` URI (``async+redis://...``,
        ``async+memory://``). ``key_prefix`` starts every Redis key name, so the gateway's
        keys stay apart from anything else kept in the same database.
        """
        if redis_url is None:
            return cls(ClearableMemoryStorage())
        uri = _limits_uri(redis_url)
        if uri.startswith("async+memory://"):
            return cls(ClearableMemoryStorage())
        storage = storage_from_string(
            uri,
            implementation="redispy",
            key_prefix=key_prefix,
            wrap_exceptions=True,
        )
        return cls(_as_async_storage(storage))

    async def check(self) -> bool:
        """Whether the storage answers (always, in memory; a PING to Redis)."""
        try:
            return bool(await self._storage.check())
        except Exception:
            return False

    @property
    def shared(self) -> bool:
        """Whether other processes see this limiter's hits (Redis) or not (memory)."""
        return isinstance(self._storage, RedisStorage)

    async def hit(self, limit: Limit, key: str, *, cost: int = 1) -> RateDecision:
        """Counts ``cost`` hits if they fit in the window; refused hits count for nothing.

        The check and the count are one atomic step (one Lua script on Redis, one lock in
        memory), so concurrent callers can never exceed the limit together.
        """
        item = self._item(limit, cost)
        with _storage_errors():
            allowed = await self._strategy.hit(item, limit.name, key, cost=cost)
            return await self._decision(allowed, item, limit, key)

    async def test(self, limit: Limit, key: str, *, cost: int = 1) -> RateDecision:
        """What :meth:`hit` would answer now, without counting anything."""
        item = self._item(limit, cost)
        with _storage_errors():
            allowed = await self._strategy.test(item, limit.name, key, cost=cost)
            return await self._decision(allowed, item, limit, key)

    async def count(self, limit: Limit, key: str) -> RateDecision:
        """Counts one try in a fixed window of `limit.per_seconds` and decides on it in the
        same atomic step; a try that succeeded can be given back with :meth:`refund`.

        For counts of failures that must be exact under concurrency ("hit, then decide")
        yet must not count what succeeded. Use a limit name of its own: a fixed-window
        count and a moving window never share one.
        """
        item = self._item(limit, 1)
        with _storage_errors():
            allowed = await self._counter.hit(item, limit.name, key)
            return await self._decision(allowed, item, limit, key, window=self._counter)

    async def refund(self, limit: Limit, key: str) -> None:
        """Gives back one try counted with :meth:`count` (it succeeded)."""
        item = self._item(limit, 1)
        with _storage_errors():
            await self._storage.incr(item.key_for(limit.name, key), item.get_expiry(), amount=-1)

    async def clear(self, limit: Limit, key: str) -> None:
        """Forgets every hit of ``key`` under ``limit`` (e.g. after a successful login)."""
        with _storage_errors():
            await self._strategy.clear(self._item(limit, 1), limit.name, key)

    async def close(self) -> None:
        """Releases the Redis connections, or stops the memory storage's expiry task.

        ``limits`` storages have no close method of their own.
        """
        storage = self._storage
        if isinstance(storage, RedisStorage):
            bridge = storage.bridge
            if isinstance(bridge, RedispyBridge):
                # The bridge built its client with redis-py's Redis.from_url, which owns
                # its connection pool: aclose() disconnects the pool too.
                client = cast("redis.asyncio.Redis", bridge.storage)
                await client.aclose()
        elif isinstance(storage, MemoryStorage):
            timer = storage.timer
            if timer is not None and not timer.done():
                timer.cancel()
                await asyncio.wait([timer])
            await storage.reset()

    @staticmethod
    def _item(limit: Limit, cost: int) -> RateLimitItem:
        if not 1 <= cost <= limit.amount:
            raise ValueError("cost must be between 1 and the limit's amount")
        return RateLimitItemPerSecond(limit.amount, limit.per_seconds)

    async def _decision(
        self,
        allowed: bool,
        item: RateLimitItem,
        limit: Limit,
        key: str,
        *,
        window: FixedWindowRateLimiter | MovingWindowRateLimiter | None = None,
    ) -> RateDecision:
        """Counts a refusal and adds the wait to it: until the oldest hit in the window
        (of `window`, the moving one unless told) leaves it. A refused test counts like a
        refused hit: callers act on both alike (they refuse or wait).

        Rounded up to whole seconds, at least 1. For ``cost`` 1 that is exactly when the
        next hit fits; for a larger cost it is a lower bound (asking again then answers
        the rest of the wait).
        """
        if allowed:
            return RateDecision(allowed=True, retry_after_seconds=0)
        REFUSALS.labels(limit.name).inc()
        stats = await (window or self._strategy).get_window_stats(item, limit.name, key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        return RateDecision(allowed=False, retry_after_seconds=wait)


@contextmanager
def _storage_errors() -> Iterator[None]:
    try:
        yield
    except StorageError as exc:
        raise RateLimitStorageError("the rate-limit store did not answer") from exc


def _limits_uri(url: str) -> str:
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ValueError("the rate-limit storage URL has no scheme")
    scheme = scheme.lower()
    if scheme in _REDIS_SCHEMES:
        return f"{_REDIS_SCHEMES[scheme]}://{rest}"
    if scheme.startswith("async+redis") or scheme == "async+memory":
        return f"{scheme}://{rest}"
    # The URL may hold a password: name the scheme only.
    raise ValueError(f"unsupported rate-limit storage scheme {scheme!r}")


def _as_async_storage(storage: object) -> Storage:
    if not isinstance(storage, Storage):
        raise TypeError("expected an asynchronous limits storage")
    return storage
