"""The command line as an operator runs it: the commands that read the settings, what a
refused start looks like, and `serve` in a process of its own."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gateway.cli import app

runner = CliRunner()

# Every command that reads the settings, with arguments it accepts.
COMMANDS = {
    "serve": ["serve"],
    "db upgrade": ["db", "upgrade"],
    "seed": ["seed", "--demo"],
    "keys rotate": ["keys", "rotate"],
    "retention run": ["retention", "run", "--dry-run"],
    "staff create": [
        "staff",
        "create",
        "--name",
        "Li Officer",
        "--email",
        "li@corp.example",
        "--role",
        "SUPPORT",
        "--password",
        "Str0ng-Passw0rd",
    ],
}
# The commands that work on the gateway's tables (all but `db upgrade`, which makes them).
SCHEMA_COMMANDS = {name: arguments for name, arguments in COMMANDS.items() if name != "db upgrade"}


def set_variables(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def assert_refused(arguments: list[str], line: str) -> None:
    """Exit status 2, nothing on standard output, exactly ``line`` on standard error."""
    result = runner.invoke(app, arguments)

    assert result.exit_code == 2, result.output
    assert result.stderr == line + "\n"
    assert result.stdout == ""
    assert isinstance(result.exception, SystemExit)


# The gateway's own command line, run by this interpreter as the installed script would.
CLI = "from gateway.cli import main; main()"


def run_process(arguments: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own, as an operator's shell runs it."""
    # A fixed command line: this interpreter running the gateway's own CLI.
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", CLI, *arguments],
        env={**os.environ, **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def serve(
    script: str,
    arguments: list[str],
    cwd: Path,
    *,
    env: dict[str, str] | None = None,
    stdout: int = subprocess.DEVNULL,
) -> subprocess.Popen[str]:
    """`script` (CLI, or the CLI with something added) run by this interpreter with
    `arguments`, as a server in a process of its own; its standard error piped."""
    # A fixed command line: this interpreter running the gateway's own CLI.
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", script, *arguments],
        cwd=cwd,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_answer(
    server: subprocess.Popen[str], url: str, *, within: float, status: int | None = None
) -> httpx.Response:
    """The first answer of `url` (with `status`, when one is given), asked every 0.2 s
    while the server runs, for `within` seconds at most."""
    deadline = time.monotonic() + within
    while True:
        assert server.poll() is None, server.communicate()
        assert time.monotonic() < deadline, "the gateway did not answer"
        with contextlib.suppress(httpx.TransportError):
            answer = httpx.get(url, timeout=1.0)
            if status is None or answer.status_code == status:
                return answer
        time.sleep(0.2)
