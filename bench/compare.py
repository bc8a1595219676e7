"""The gateway as it stands against the gateway of another checkout, on the throughput
benchmark's requests and data.

A change meant to make the gateway faster is measured here against the commit before
it, both served the same way (one uvicorn worker, production settings) and driven by
`wrk` in interleaved rounds, so that a shared, noisy machine slows both alike. Both
must answer every request with the same bytes, before the rounds and after.

The other checkout needs its own environment (`make install` there):

    git worktree add ../before HEAD~1 && make -C ../before install
    python -m bench.compare ../before        # BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS

Printed per request and per gateway: throughput, p50/p99, CPU ms per request, and the
ratio of this checkout's throughput and CPU per request to the other's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from bench.backoffice import write
from bench.throughput import (
    PRODUCTION_ENVIRONMENT,
    Run,
    Server,
    measure,
    prepared,
    requests,
    round_options,
)


def gateways(url: str, other: Path) -> list[Server]:
    environment = {**PRODUCTION_ENVIRONMENT, "GATEWAY_DATABASE_URL": url}
    command = ["serve", "--workers", "1"]
    this = Path(sys.executable).parent / "xiamo-gateway"
    before = other / ".venv" / "bin" / "xiamo-gateway"
    if not before.exists():
        raise SystemExit(f"{before} is missing: run `make install` in {other}")
    return [
        Server("this", [str(this), *command], environment),
        Server("other", [str(before), *command], environment),
    ]


def report(results: dict[tuple[str, str], Run], other: Path) -> None:
    write()
    write(f"this checkout against {other}; CPU time of each server process.")
    write()
    write("| request | gateway | req/s | p50 ms | p99 ms | CPU ms/req | this/other req/s | CPU |")
    write("|---|---|---:|---:|---:|---:|---:|---:|")
    for request in requests():
        runs = {name: results[(request.name, name)] for name in ("this", "other")}
        cpu = {name: run.cpu * 1000 / max(run.requests, 1) for name, run in runs.items()}
        for name, run in runs.items():
            ratios = " | "
            if name == "this":
                speed = run.throughput / runs["other"].throughput
                ratios = f"{speed:.2f}× | {cpu['this'] / cpu['other']:.2f}×"
            write(
                f"| {request.name} | {name} | {run.throughput:,.0f} "
                f"| {statistics.median(run.p50_ms):.1f} | {statistics.median(run.p99_ms):.1f} "
                f"| {cpu[name]:.2f} | {ratios} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout (with its .venv)")
    round_options(parser, rounds=4)
    options = parser.parse_args()
    url, _, tokens = prepared(show=False)
    other = options.other.resolve()
    report(measure(gateways(url, other), tokens, options), other)


if __name__ == "__main__":
    main()
