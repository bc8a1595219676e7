"""The ASGI entry point uvicorn loads (`gateway.asgi:app_from_environment`, a factory)."""

from __future__ import annotations

import gc
import logging
import os
import sys

from starlette.applications import Starlette

from gateway.app import create_app
from gateway.logging import configure_logging
from gateway.preflight import check_inventory
from gateway.settings import (
    CONFIGURATION_ERRORS,
    Settings,
    configuration_error_line,
    load_settings,
    unknown_variable_warnings,
)
from gateway.tracing import configure_tracing

logger = logging.getLogger("gateway.settings")
# Warnings already logged by this process: `serve` and the factory it starts in the same
# process both configure logging.
_reported: set[str] = set()


def start_logging(settings: Settings) -> None:
    """Configure this process's logging, then warn (once) about unknown variables."""
    configure_logging(settings.log_level, settings.log_format_in_use)
    for warning in unknown_variable_warnings(os.environ):
        if warning not in _reported:
            _reported.add(warning)
            logger.warning(warning)


def app_from_environment() -> Starlette:
    try:
        settings = load_settings()
        check_inventory(settings)
        configure_tracing(os.environ)
    except CONFIGURATION_ERRORS as exc:
        # uvicorn would print a traceback: one line and exit status 2, as the CLI does.
        sys.stderr.write(configuration_error_line(exc) + "\n")
        raise SystemExit(2) from None
    start_logging(settings)
    app = create_app(settings)
    settle_heap()
    return app


# Allocations between two collections of the youngest generation (Python's default is
# 700): a page holds tens of thousands of objects until its answer is sent, and every
# collection walks those still alive.
YOUNG_COLLECTION_THRESHOLD = 10_000


def settle_heap() -> None:
    """Move everything made at start (the schema, the models' metadata, the modules) out
    of the collector's sight: it is never garbage, and the full collections a request's
    objects set off would otherwise walk all of it again; and collect the young less
    often (docs/performance.md#then-again)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)
