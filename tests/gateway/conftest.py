"""Fixtures of the gateway's wiring tests."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator

import pytest

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
