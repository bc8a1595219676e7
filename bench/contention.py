"""Does a flood of password checks slow everyone else down?

Starts the gateway with uvicorn (one worker, SQLite in a temporary directory, the
production Argon2id parameters), then measures the latency of an anonymous
`{ privacyPolicy { version } }`:

1. alone;
2. while four streams send sign-ins by password as fast as the gateway answers them
   (each request five aliased `loginWithPassword`, five Argon2 verifications).

It prints p50 and p99 of both and their ratio. Password hashing runs in a bounded
pool of worker threads, never on the event loop, so the second p50 should stay within
a small multiple of the first (the target is 5x on a 2-core machine).

    make bench-contention
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PROBES = 200
STREAMS = 4
ALIASES = 5
PASSWORD = "demo-Password-1"  # noqa: S105 (the demo data's published password)
LOGINS = [f"member{n:02d}@demo.example" for n in range(1, STREAMS + 1)]
PROBE = {"query": "{ privacyPolicy { version } }"}
# Fixed keys of this throw-away database only; they protect nothing else.
KEYS = {
    "GATEWAY_TOKEN_SIGNING_KEY": base64.urlsafe_b64encode(
        b"bench-token-signing-key-32-bytes"
    ).decode(),
    "GATEWAY_DATA_KEYS": "bench1:"
    + base64.urlsafe_b64encode(b"bench-data-key-of-thirty-two-byt").decode(),
    "GATEWAY_BLIND_INDEX_KEY": base64.urlsafe_b64encode(
        b"bench-blind-index-key-32-bytes!!"
    ).decode(),
}


def write(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sign_ins(login: str) -> dict[str, str]:
    fields = " ".join(
        f'a{i}: loginWithPassword(input: {{ login: "{login}", password: "{PASSWORD}" }})'
        " { accessToken userErrors { code } }"
        for i in range(ALIASES)
    )
    return {"query": f"mutation {{ {fields} }}"}


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def probe_latencies(client: httpx.AsyncClient) -> list[float]:
    latencies = []
    for _ in range(PROBES):
        started = time.perf_counter()
        response = await client.post("/graphql", json=PROBE)
        latencies.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return latencies


async def stream(client: httpx.AsyncClient, login: str, stop: asyncio.Event) -> int:
    sent = 0
    while not stop.is_set():
        response = await client.post("/graphql", json=sign_ins(login), timeout=60)
        response.raise_for_status()
        sent += 1
    return sent


async def measure(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        await probe_latencies(client)  # warm up
        alone = await probe_latencies(client)
        stop = asyncio.Event()
        streams = [asyncio.create_task(stream(client, login, stop)) for login in LOGINS]
        await asyncio.sleep(1)
        started = time.perf_counter()
        loaded = await probe_latencies(client)
        elapsed = time.perf_counter() - started
        stop.set()
        requests = sum(await asyncio.gather(*streams))
    write(f"{'privacyPolicy':<32}{'p50 ms':>10}{'p99 ms':>10}")
    write(f"{'alone':<32}{percentile(alone, 0.5):>10.2f}{percentile(alone, 0.99):>10.2f}")
    write(
        f"{'with 4 password streams':<32}{percentile(loaded, 0.5):>10.2f}"
        f"{percentile(loaded, 0.99):>10.2f}"
    )
    ratio = statistics.median(loaded) / statistics.median(alone)
    write(f"p50 ratio: {ratio:.1f}x (target: within 5x)")
    write(
        f"password checks meanwhile: {requests * ALIASES / elapsed:.0f} per second "
        f"({requests} requests of {ALIASES})"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            **KEYS,
            "GATEWAY_ENV": "development",
            "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{scratch}/bench.db",
            "GATEWAY_LOG_LEVEL": "WARNING",
        }
        cli = str(Path(sys.executable).with_name("xiamo-gateway"))
        for command in (["db", "upgrade"], ["seed", "--demo"]):
            subprocess.run([cli, *command], env=env, check=True, capture_output=True)  # noqa: S603
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [cli, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(f"{base_url}/healthz").raise_for_status()
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            asyncio.run(measure(base_url))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
