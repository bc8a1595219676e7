"""The command line as an operator runs it: the commands that read the settings, and
what a refused start looks like."""

from __future__ import annotations

import os
import subprocess
import sys

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
