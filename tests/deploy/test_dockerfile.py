"""The Dockerfile: lint-clean, and its image runs the gateway as the project expects.

No Docker engine is needed: hadolint reads the file, the rest is read from its text.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from gateway.graphiql import ASSET_FILES
from tests.deploy.files import (
    DOCKERFILE,
    PACKAGES,
    REPO_ROOT,
    TOOLS,
    Stage,
    dockerfile_stages,
    env_values,
    exec_form,
)
from tests.support.processes import run

SERVE_PORT = "8000"


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    # From the repository root, so that hadolint reads the project's .hadolint.yaml.
    return run([str(TOOLS / "hadolint"), "--format", "json", str(path)], cwd=REPO_ROOT)


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return dockerfile_stages(DOCKERFILE.read_text(encoding="utf-8"))[1]


@pytest.fixture(scope="module")
def runtime(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = hadolint(DOCKERFILE)

    assert (result.returncode, json.loads(result.stdout)) == (0, [])


def test_hadolint_fails_a_dockerfile_that_breaks_its_rules(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text(
        "FROM python:latest\n"
        "RUN apt-get update && apt-get install -y gcc\n"
        "FROM ghcr.io/example/base:1.0\n"
        "USER root\n"
        "CMD xiamo-gateway serve\n"
    )

    result = hadolint(broken)

    assert result.returncode == 1
    codes = {finding["code"] for finding in json.loads(result.stdout)}
    assert {"DL3007", "DL3008", "DL3015", "DL3026", "DL3002", "DL3025"} <= codes


def test_the_build_and_runtime_stages_share_one_slim_python(stages: list[Stage]) -> None:
    global_args, _ = dockerfile_stages(DOCKERFILE.read_text(encoding="utf-8"))
    assets, build, runtime = stages

    assert assets.name == "assets"
    assert (build.name, build.base) == ("build", "${PYTHON_IMAGE}")
    assert (runtime.name, runtime.base) == (None, "${PYTHON_IMAGE}")
    assert re.fullmatch(r"python:3\.11-slim-\w+", global_args["PYTHON_IMAGE"])


def test_the_runtime_stage_installs_nothing(runtime: Stage) -> None:
    # Compilers and Node stay in the build stages: the runtime only copies their results.
    for command in runtime.arguments("RUN"):
        assert not re.search(r"\b(apt-get|apt|pip|npm)\b", command), command
    assert runtime.arguments("COPY") == [
        "--from=build /opt/venv /opt/venv",
        "--from=assets /graphiql /opt/xiamo-gateway/graphiql",
    ]


def test_the_runtime_stage_runs_as_an_unprivileged_user(runtime: Stage) -> None:
    (user,) = runtime.arguments("USER")
    uid, _, gid = user.partition(":")

    assert int(uid) >= 1000
    assert int(gid) >= 1000
    assert "--uid " + uid in " ".join(runtime.arguments("RUN"))


def test_the_entry_point_is_the_packages_command_serving_on_all_interfaces(
    runtime: Stage,
) -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (entrypoint,) = runtime.arguments("ENTRYPOINT")
    (cmd,) = runtime.arguments("CMD")

    assert exec_form(entrypoint) == ["xiamo-gateway"]
    assert pyproject["project"]["scripts"]["xiamo-gateway"] == "gateway.cli:main"
    assert exec_form(cmd) == ["serve", "--host", "0.0.0.0", "--port", SERVE_PORT]
    assert runtime.arguments("EXPOSE") == [SERVE_PORT]


def test_the_image_points_the_gateway_at_the_graphiql_assets_it_copies(
    stages: list[Stage],
) -> None:
    assets, _, runtime = stages
    (copy,) = [command for command in assets.arguments("RUN") if "cp --parents" in command]
    copied = copy.split("cp --parents", 1)[1].split()

    assert copied[-1] == "/graphiql/"
    assert set(ASSET_FILES.values()) <= set(copied[:-1])
    assert env_values(runtime)["GATEWAY_GRAPHIQL_ASSETS_DIR"] == "/opt/xiamo-gateway/graphiql"
    assert env_values(runtime)["GATEWAY_ENV"] == "production"


async def test_the_healthcheck_asks_the_liveness_route_on_the_served_port(
    runtime: Stage, client: httpx.AsyncClient
) -> None:
    (healthcheck,) = runtime.arguments("HEALTHCHECK")
    command = exec_form(healthcheck)

    assert command[:2] == ["python", "-c"]
    assert f"'http://127.0.0.1:{SERVE_PORT}/healthz'" in command[2]
    assert (await client.get("/healthz")).status_code == 200


class _Status(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def status_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_healthcheck_fails_unless_the_answer_is_200(
    runtime: Stage, status_server: ThreadingHTTPServer
) -> None:
    (healthcheck,) = runtime.arguments("HEALTHCHECK")
    code = exec_form(healthcheck)[2]
    port = status_server.server_address[1]

    def exit_status(answer: int, url_port: int) -> int:
        _Status.status = answer
        probe = code.replace(f":{SERVE_PORT}/", f":{url_port}/")
        return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode  # noqa: S603

    free = ThreadingHTTPServer(("127.0.0.1", 0), _Status)
    closed_port = free.server_address[1]
    free.server_close()
    assert exit_status(200, port) == 0
    assert exit_status(503, port) != 0
    assert exit_status(200, closed_port) != 0


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    patterns = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern) for pattern in patterns)

    for secret_or_local in (".env", ".env.production", ".git", ".venv", "node_modules", "var"):
        assert ignored(secret_or_local), secret_or_local
    # What the build stages copy and `pip install .` reads.
    for needed in ("pyproject.toml", "README.md", "package.json", "package-lock.json"):
        assert not ignored(needed), needed
    assert PACKAGES
    for package in PACKAGES:
        assert not ignored(package), package
