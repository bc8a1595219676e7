"""Programs the tests run in a process of their own: a tool, node or this interpreter,
each with a command line the test fixes itself (never one read from input)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict, Unpack


class Options(TypedDict, total=False):
    """What a test may set of subprocess.run's options."""

    cwd: Path
    input: str
    timeout: float


def run(command: Sequence[str], **options: Unpack[Options]) -> subprocess.CompletedProcess[str]:
    """`command` run to its end, its output captured as text; the exit status is the
    test's to check."""
    # A command line the test fixes.
    return subprocess.run(list(command), capture_output=True, text=True, check=False, **options)  # noqa: S603


def run_successfully(
    command: Sequence[str], **options: Unpack[Options]
) -> subprocess.CompletedProcess[str]:
    """`command` run as `run` runs it, which must exit with status 0."""
    done = run(command, **options)
    assert done.returncode == 0, done.stderr
    return done


def stop(server: subprocess.Popen[str], timeout: float) -> None:
    """End a server with SIGTERM, killing it when it has not ended within `timeout`."""
    server.terminate()
    try:
        server.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.communicate()
