"""Log formats: JSON lines (every line one object, no colour codes) or a readable console
line; Python warnings and uvicorn's own lines go the same way. Also what `serve` says
at start and `--version`."""

from __future__ import annotations

import io
import json
import logging
import re
import signal
import subprocess
import tomllib
import warnings
from pathlib import Path

import pytest

from gateway import cli
from gateway.cli import app
from gateway.logging import configure_logging
from gateway.settings import Environment, LogFormat, Settings
from tests.gateway.operator import first_answer, runner, serve, set_variables
from tests.support.loopback import free_loopback_port

ROOT = Path(__file__).resolve().parents[2]
CLOCK = re.compile(r"\d\d:\d\d:\d\d")
STARTUP_SECONDS = 30


class TerminalStream(io.StringIO):
    """What a terminal looks like to the console format."""

    def isatty(self) -> bool:
        return True


def log_samples() -> None:
    """One line of each kind the server writes."""
    logging.getLogger("gateway").info("listening on %s", "http://127.0.0.1:8000")
    # uvicorn passes a coloured copy of its message for its own formatter.
    logging.getLogger("uvicorn.error").info(
        "Started server process [%d]",
        42,
        extra={"color_message": "Started server process [\x1b[36m%d\x1b[0m]"},
    )
    logging.getLogger("some.library").warning("\x1b[31mred\x1b[0m notice")
    logging.getLogger("gateway.access").info("request", extra={"path": "/healthz", "status": 200})
    warnings.warn_explicit("a library notice", UserWarning, "library.py", 7)


def logged_samples(log_format: str) -> io.StringIO:
    """The stream logging is configured to write `log_format` to, holding the samples
    (every warning shown, as the server shows them)."""
    stream = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        configure_logging("INFO", log_format, stream=stream)
        log_samples()
    return stream


def json_lines(output: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in output.splitlines()]
    for line in lines:
        assert isinstance(line, dict)
        assert isinstance(line.pop("ts"), str)
    return lines


@pytest.mark.usefixtures("restore_logging")
def test_json_is_one_object_a_line_with_no_colour_code() -> None:
    stream = logged_samples("json")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("gateway").exception("unexpected error")

    output = stream.getvalue()
    lines = json_lines(output)
    exception = lines[-1].pop("exception")
    assert lines == [
        {"level": "INFO", "logger": "gateway", "message": "listening on http://127.0.0.1:8000"},
        {"level": "INFO", "logger": "uvicorn.error", "message": "Started server process [42]"},
        {"level": "WARNING", "logger": "some.library", "message": "red notice"},
        {
            "level": "INFO",
            "logger": "gateway.access",
            "message": "request",
            "path": "/healthz",
            "status": 200,
        },
        {
            "level": "WARNING",
            "logger": "py.warnings",
            "message": "library.py:7: UserWarning: a library notice",
        },
        {"level": "ERROR", "logger": "gateway", "message": "unexpected error"},
    ]
    assert isinstance(exception, str)
    assert exception.startswith("Traceback (most recent call last):")
    assert exception.endswith("ValueError: boom")
    assert "\x1b" not in output
    assert "\\u001b" not in output


@pytest.mark.usefixtures("restore_logging")
def test_console_is_one_readable_line_an_event_without_colour_off_a_terminal() -> None:
    stream = logged_samples("console")

    lines = [line.split(" ", 1) for line in stream.getvalue().splitlines()]
    assert all(CLOCK.fullmatch(clock) for clock, _ in lines)
    assert [rest for _, rest in lines] == [
        "INFO     gateway: listening on http://127.0.0.1:8000",
        "INFO     uvicorn.error: Started server process [42]",
        "WARNING  some.library: red notice",
        "INFO     gateway.access: request  path=/healthz status=200",
        "WARNING  py.warnings: library.py:7: UserWarning: a library notice",
    ]


@pytest.mark.usefixtures("restore_logging")
def test_console_colours_the_level_on_a_terminal() -> None:
    stream = TerminalStream()
    configure_logging("INFO", "console", stream=stream)

    logging.getLogger("gateway").warning("slow start")

    clock, rest = stream.getvalue().rstrip("\n").split(" ", 1)
    assert CLOCK.fullmatch(clock)
    assert rest == "\x1b[33mWARNING \x1b[0m \x1b[2mgateway\x1b[0m: slow start"


@pytest.mark.usefixtures("restore_logging")
def test_json_never_colours_even_on_a_terminal() -> None:
    stream = TerminalStream()
    configure_logging("INFO", "json", stream=stream)

    logging.getLogger("gateway").warning("slow start")

    assert json_lines(stream.getvalue()) == [
        {"level": "WARNING", "logger": "gateway", "message": "slow start"}
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"env": Environment.DEVELOPMENT}, LogFormat.CONSOLE),
        ({"env": Environment.TEST}, LogFormat.CONSOLE),
        ({"env": Environment.PRODUCTION}, LogFormat.JSON),
        ({"env": Environment.DEVELOPMENT, "log_format": "json"}, LogFormat.JSON),
        ({"env": Environment.PRODUCTION, "log_format": "CONSOLE"}, LogFormat.CONSOLE),
    ],
)
def test_the_format_defaults_to_console_outside_production(
    values: dict[str, object], expected: LogFormat
) -> None:
    assert Settings(**values).log_format_in_use is expected  # type: ignore[arg-type]


def test_version_prints_the_package_version(operator_environment: Path) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"xiamo-gateway {pyproject['project']['version']}\n"


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(
    ("variables", "arguments", "line"),
    [
        (
            {},
            ["serve"],
            "INFO     gateway: listening on http://127.0.0.1:8000; "
            "GraphiQL at http://127.0.0.1:8000/graphql",
        ),
        (
            {"GATEWAY_GRAPHIQL": "false"},
            ["serve", "--host", "0.0.0.0", "--port", "9000"],
            "INFO     gateway: listening on http://0.0.0.0:9000",
        ),
        (
            {},
            ["serve", "--host", "::1", "--port", "8443"],
            "INFO     gateway: listening on http://[::1]:8443; GraphiQL at http://[::1]:8443/graphql",
        ),
    ],
    ids=["GraphiQL on", "GraphiQL off", "IPv6"],
)
def test_serve_says_where_it_listens(
    operator_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    arguments: list[str],
    line: str,
) -> None:
    set_variables(monkeypatch, {"GATEWAY_LOG_FORMAT": "console", **variables})
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: None)

    result = runner.invoke(app, arguments)

    assert result.exit_code == 0, result.output
    clock, rest = result.stderr.rstrip("\n").split(" ", 1)
    assert CLOCK.fullmatch(clock)
    assert rest == line


# The gateway's CLI, with a library that emits a Python warning while the app is built.
CLI_WITH_A_NOTICE = """
import warnings

from gateway import asgi

build = asgi.create_app


def create_app(settings):
    warnings.warn_explicit("a library notice", UserWarning, "library.py", 7)
    return build(settings)


asgi.create_app = create_app

from gateway.cli import main

main()
"""


def serve_once(workdir: Path, port: int) -> tuple[subprocess.CompletedProcess[str], int]:
    """Start `serve`, ask /healthz once, stop it with SIGTERM; what it printed."""
    server = serve(
        CLI_WITH_A_NOTICE, ["serve", "--port", str(port)], workdir, stdout=subprocess.PIPE
    )
    try:
        answer = first_answer(server, f"http://127.0.0.1:{port}/healthz", within=STARTUP_SECONDS)
        assert answer.status_code == 200
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=STARTUP_SECONDS)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    return subprocess.CompletedProcess(server.args, server.returncode, stdout, stderr), server.pid


def test_every_line_the_server_writes_is_json(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_variables(
        monkeypatch, {"GATEWAY_LOG_FORMAT": "json", "GATEWAY_DATABSE_URL": "sqlite:///typo.db"}
    )
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    port = free_loopback_port()

    result, pid = serve_once(operator_environment, port)

    # uvicorn stops gracefully, then ends by the signal it was sent.
    assert result.returncode == -signal.SIGTERM, result.stderr
    assert result.stdout == ""
    assert "\x1b" not in result.stderr
    lines = json_lines(result.stderr)
    access = lines[7]
    assert isinstance(access.pop("request_id"), str)
    assert isinstance(access.pop("duration_ms"), float)
    base = f"http://127.0.0.1:{port}"
    assert lines == [
        {
            "level": "WARNING",
            "logger": "gateway.settings",
            "message": "GATEWAY_DATABSE_URL is not a setting of the gateway and is ignored; "
            "did you mean GATEWAY_DATABASE_URL?",
        },
        {
            "level": "INFO",
            "logger": "gateway",
            "message": f"listening on {base}; GraphiQL at {base}/graphql",
        },
        {
            "level": "WARNING",
            "logger": "py.warnings",
            "message": "library.py:7: UserWarning: a library notice",
        },
        {"level": "INFO", "logger": "uvicorn.error", "message": f"Started server process [{pid}]"},
        {"level": "INFO", "logger": "uvicorn.error", "message": "Waiting for application startup."},
        {"level": "INFO", "logger": "uvicorn.error", "message": "Application startup complete."},
        {
            "level": "INFO",
            "logger": "uvicorn.error",
            "message": f"Uvicorn running on {base} (Press CTRL+C to quit)",
        },
        {
            "level": "INFO",
            "logger": "gateway.access",
            "message": "request",
            "method": "GET",
            "path": "/healthz",
            "status": 200,
        },
        {"level": "INFO", "logger": "uvicorn.error", "message": "Shutting down"},
        {
            "level": "INFO",
            "logger": "uvicorn.error",
            "message": "Waiting for application shutdown.",
        },
        {"level": "INFO", "logger": "uvicorn.error", "message": "Application shutdown complete."},
        {"level": "INFO", "logger": "uvicorn.error", "message": f"Finished server process [{pid}]"},
    ]
