"""Where the SPA home's CPU goes, layer by layer, against the raw app's whole SPA home.

The production gateway and the raw Starlette + asyncpg baseline (bench/raw.py) are built
in one process, on the throughput benchmark's data, and called as uvicorn calls them on
uvicorn's event loop (uvloop): one ASGI call per request, one at a time, with no HTTP
parsing and no client socket in between. Each step adds one layer to the one before it:

1. `{ __typename }` with no token: the middleware, the view, Strawberry's request path
   and the schema extensions, the executor;
2. the same with the demo individual's token: the request's session, its connection,
   and the session-with-account statement;
3. `{ viewer { account { id } } }`: the viewer and its account, the first fields;
4. the same with `bankCards { id }`: one dataloader and its statement;
5. the SPA home (bench/documents.py);
6. the raw app's SPA home, whose answer must equal the gateway's byte for byte.

The steps run in interleaved rounds (forwards, then backwards), so that a shared, noisy
machine slows them alike. Each step's first answer is checked before the rounds, and
every later one must equal it (compared as bytes, outside the measured time). Printed
for each step: CPU milliseconds per request (this process's CPU time) and its share of
the raw app's SPA home.

    make bench-floor                # BENCH_REQUESTS=2000 BENCH_ROUNDS=10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from bench.backoffice import bench_settings, write
from bench.documents import SPA_HOME
from bench.throughput import PRODUCTION_ENVIRONMENT, bench_url, checked_answer, prepare
from gateway.services import configure_encryption

App = Callable[..., Any]


@dataclass(frozen=True)
class Step:
    name: str
    document: str
    signed_in: bool
    raw: bool = False


STEPS = (
    Step("`{ __typename }`, no token", "{ __typename }", signed_in=False),
    Step("`{ __typename }`, signed in", "{ __typename }", signed_in=True),
    Step("`viewer { account { id } }`", "{ viewer { account { id } } }", signed_in=True),
    Step(
        "… and `bankCards { id }`",
        "{ viewer { account { id bankCards { id } } } }",
        signed_in=True,
    ),
    Step("SPA home", SPA_HOME, signed_in=True),
    Step("SPA home, raw app", SPA_HOME, signed_in=True, raw=True),
)


@contextlib.asynccontextmanager
async def lifespan(app: App) -> AsyncIterator[None]:
    """The app started and, on leaving, shut down, as uvicorn does."""
    messages: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    started, stopped = asyncio.Event(), asyncio.Event()

    async def send(message: dict[str, str]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()
        elif message["type"].startswith("lifespan.shutdown"):
            stopped.set()

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    running = asyncio.create_task(app(scope, messages.get, send))
    await messages.put({"type": "lifespan.startup"})
    await started.wait()
    try:
        yield
    finally:
        await messages.put({"type": "lifespan.shutdown"})
        await stopped.wait()
        await running


async def call(app: App, body: bytes, token: str | None) -> tuple[int, bytes]:
    """One POST /graphql, as uvicorn hands it to the app: its status and body."""
    headers = [(b"host", b"bench"), (b"content-type", b"application/json")]
    if token is not None:
        headers.append((b"authorization", b"Bearer " + token.encode()))
    headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    disconnected = asyncio.Event()
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    disconnected.set()
    return status, b"".join(chunks)


async def measure(
    gateway: App, raw: App, token: str, options: argparse.Namespace
) -> dict[str, float]:
    bodies = {step.name: orjson.dumps({"query": step.document}) for step in STEPS}

    async def answer(step: Step) -> tuple[int, bytes]:
        return await call(
            raw if step.raw else gateway, bodies[step.name], token if step.signed_in else None
        )

    # Each step's answer checked once, then compared (bytes only) on every request, so
    # that no JSON is parsed within the measured time.
    expected = {}
    for step in STEPS:
        status, body = await answer(step)
        checked_answer(step.name, status, body)
        expected[step.name] = body
    if expected[STEPS[-2].name] != expected[STEPS[-1].name]:
        raise SystemExit("the raw app does not answer the gateway's SPA home byte for byte")
    per_round = max(options.requests // options.rounds, 1)
    cpu = dict.fromkeys(bodies, 0.0)
    for round_ in range(options.rounds):
        for step in STEPS if round_ % 2 == 0 else STEPS[::-1]:
            for _ in range(10):  # warm
                await answer(step)
            gc.collect()
            answers = []
            before = time.process_time()
            for _ in range(per_round):
                answers.append(await answer(step))
            cpu[step.name] += time.process_time() - before
            if any(found != (200, expected[step.name]) for found in answers):
                raise SystemExit(f"{step.name}: an answer differed from the first")
    return {name: seconds * 1000 / (per_round * options.rounds) for name, seconds in cpu.items()}


async def run(options: argparse.Namespace) -> None:
    url = bench_url()
    settings = bench_settings(url)
    configure_encryption(settings)
    _, tokens = await prepare(url, settings, show=False)
    os.environ.update({**PRODUCTION_ENVIRONMENT, "GATEWAY_DATABASE_URL": url})
    # Imported here: each reads the environment set just above when it builds its app.
    from bench.raw import app_from_environment as raw_app  # noqa: PLC0415
    from gateway.asgi import app_from_environment as gateway_app  # noqa: PLC0415

    gateway, raw = gateway_app(), raw_app()
    async with lifespan(gateway), lifespan(raw):
        costs = await measure(gateway, raw, tokens["individual"], options)
    reference = costs[STEPS[-1].name]
    write()
    write(
        f"In one process on {type(asyncio.get_running_loop()).__module__.split('.')[0]}'s loop, "
        f"production settings, the heap settled as `serve` settles it; "
        f"{options.rounds} interleaved rounds, {options.requests:,} requests per step."
    )
    write()
    write("| step | CPU ms/request | share of the raw SPA home |")
    write("|---|---:|---:|")
    for step in STEPS:
        write(f"| {step.name} | {costs[step.name]:.3f} | {costs[step.name] / reference:.2f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_REQUESTS", 2000)))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 10)))
    options = parser.parse_args()
    try:
        import uvloop  # noqa: PLC0415 (uvicorn's loop where it is installed, as here)
    except ImportError:
        asyncio.run(run(options))
    else:
        uvloop.run(run(options))


if __name__ == "__main__":
    main()
