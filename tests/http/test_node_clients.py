"""Real JavaScript clients against a real gateway: the GraphQL-over-HTTP audit
(graphql-http) and an SPA's Apollo Client 4, both pinned in package.json.

pytest starts the installed gateway (`db upgrade`, `seed --demo`, `serve` with uvicorn on
a free loopback port) and runs each Node script against it; a script's exit status is
the verdict and its output the reason. Skipped only where `node` is missing.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRETS

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "node"
NODE = shutil.which("node")
CLI = "from gateway.cli import main; main()"
STARTUP_SECONDS = 30.0
SCRIPT_SECONDS = 120.0

pytestmark = pytest.mark.skipif(
    NODE is None, reason="node is missing: install Node.js 20 to run the JavaScript clients"
)


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_cli(arguments: list[str], workdir: Path, env: dict[str, str]) -> None:
    # A fixed command line: this interpreter running the gateway's own CLI.
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", CLI, *arguments],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"`xiamo-gateway {' '.join(arguments)}` failed:\n{done.stdout}{done.stderr}")


def wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the gateway exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the gateway did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway in a test environment (dev outbox on) with the demo data, on its own
    SQLite file."""
    if not (REPO_ROOT / "node_modules" / "graphql-http" / "package.json").is_file():
        pytest.fail("the JavaScript clients are not installed: run `make assets`")
    workdir = tmp_path_factory.mktemp("live-gateway")
    env = {name: value for name, value in os.environ.items() if not name.startswith("GATEWAY_")}
    env.update(
        {
            "GATEWAY_ENV": "test",
            "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'gateway.db'}",
            **{f"GATEWAY_{name.upper()}": value for name, value in TEST_SECRETS.items()},
        }
    )
    run_cli(["db", "upgrade"], workdir, env)
    run_cli(["seed", "--demo"], workdir, env)
    port = free_loopback_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / "gateway.log"
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_node(script: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(  # noqa: S603
        [NODE, str(SCRIPTS / script), *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=SCRIPT_SECONDS,
        check=False,
    )


def test_the_graphql_over_http_audit_passes_every_check(gateway_url: str) -> None:
    done = run_node("audit.mjs", f"{gateway_url}/graphql")

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].endswith("audits, 0 not passed")


def test_apollo_client_4_drives_the_spa(gateway_url: str) -> None:
    _, _, signing_key = TEST_SECRETS["token_signing_key"].partition(":")
    key = base64.urlsafe_b64decode(signing_key + "=" * (-len(signing_key) % 4))

    done = run_node("apollo_client.mjs", gateway_url, key.hex())

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "apollo client: all checks passed"
