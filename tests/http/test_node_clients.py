"""Real JavaScript clients against a real gateway: the GraphQL-over-HTTP audit
(graphql-http) and an SPA's Apollo Client 4, both pinned in package.json.

pytest starts the installed gateway (`db upgrade`, `seed --demo`, `serve` with uvicorn on
a free loopback port) and runs each Node script against it; a script's exit status is
the verdict and its output the reason. Skipped only where `node` is missing.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRETS
from tests.live_gateway import live_gateway
from tests.support.processes import run

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "node"
NODE = shutil.which("node")
SCRIPT_SECONDS = 120.0

pytestmark = pytest.mark.skipif(
    NODE is None, reason="node is missing: install Node.js 20 to run the JavaScript clients"
)


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway in a test environment (dev outbox on) with the demo data, on its own
    SQLite file."""
    if not (REPO_ROOT / "node_modules" / "graphql-http" / "package.json").is_file():
        pytest.fail("the JavaScript clients are not installed: run `make assets`")
    workdir = tmp_path_factory.mktemp("live-gateway")
    with live_gateway(workdir, seed_demo=True) as gateway:
        yield gateway.url


def run_node(script: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return run([NODE, str(SCRIPTS / script), *arguments], cwd=REPO_ROOT, timeout=SCRIPT_SECONDS)


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
