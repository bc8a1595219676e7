"""Fixtures of the gateway's wiring tests."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.graphql_view import GatewayGraphQL
from tests.conftest import TEST_SECRETS

# Loggers that configure_logging changes besides the root.
CONFIGURED_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "strawberry.execution",
    "httpx",
    "httpcore",
    "py.warnings",
)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Undo what configure_logging does to the process, for tests that run it in-process.

    The run's own handler (the check that no clear value is logged) stays on the root.
    """
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    saved = {
        name: (logger.handlers[:], logger.level, logger.propagate, logger.disabled)
        for name in CONFIGURED_LOGGERS
        for logger in [logging.getLogger(name)]
    }
    showwarning = warnings.showwarning
    yield
    logging.captureWarnings(False)
    warnings.showwarning = showwarning
    root.handlers[:], level = saved_root
    root.setLevel(level)
    for name, (handlers, level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


@pytest.fixture
def operator_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A working test configuration in a fresh folder, and no other GATEWAY_* variable
    of the caller's environment."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GATEWAY_ENV", "test")
    monkeypatch.setenv("GATEWAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/gateway.db")
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(f"GATEWAY_{name.upper()}", value)
    return tmp_path


@pytest.fixture
def broken_authentication(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> pytest.LogCaptureFixture:
    """Authentication fails with an unexpected exception, outside any GraphQL field; the
    records of gateway.errors are captured."""

    async def broken(*args: object) -> None:
        raise RuntimeError("detail that must stay in the log")

    monkeypatch.setattr(GatewayGraphQL, "_authenticate", broken)
    caplog.set_level(logging.ERROR, logger="gateway.errors")
    return caplog
