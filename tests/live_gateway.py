"""The installed gateway started as an operator starts it: `xiamo-gateway db upgrade`, then
`xiamo-gateway serve` on a free loopback port, from a working directory of the test's
choosing, with its own SQLite database."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRETS
from tests.support.loopback import free_loopback_port

# The console script pip installed beside this interpreter: the command an operator runs.
XIAMO_GATEWAY = str(Path(sys.executable).with_name("xiamo-gateway"))
STARTUP_SECONDS = 30.0


@dataclass(frozen=True)
class LiveGateway:
    url: str
    log: Path

    def output(self) -> str:
        """What `serve` has written to standard output and standard error so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")


def gateway_environment(workdir: Path, **variables: str) -> dict[str, str]:
    """This process's environment less every GATEWAY_* variable, then a test gateway's."""
    inherited = {
        name: value for name, value in os.environ.items() if not name.startswith("GATEWAY_")
    }
    return {
        **inherited,
        "GATEWAY_ENV": "test",
        "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'gateway.db'}",
        **{f"GATEWAY_{name.upper()}": value for name, value in TEST_SECRETS.items()},
        **variables,
    }


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the gateway exited with {server.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=1.0, trust_env=False).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"the gateway did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


@contextlib.contextmanager
def live_gateway(
    workdir: Path, *, seed_demo: bool = False, **variables: str
) -> Iterator[LiveGateway]:
    """The gateway serving from `workdir` (its working directory, where nothing of the
    project is) until the block ends; `variables` are added to its environment."""
    env = gateway_environment(workdir, **variables)
    commands = [["db", "upgrade"]] + ([["seed", "--demo"]] if seed_demo else [])
    for arguments in commands:
        # A fixed command line: the gateway's own console script.
        done = subprocess.run(  # noqa: S603
            [XIAMO_GATEWAY, *arguments],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=STARTUP_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(
                f"`xiamo-gateway {' '.join(arguments)}` failed:\n{done.stdout}{done.stderr}"
            )
    port = free_loopback_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603
            [XIAMO_GATEWAY, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, server, log)
        yield LiveGateway(url=url, log=log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
