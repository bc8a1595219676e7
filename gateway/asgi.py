"""The ASGI entry point uvicorn loads (`gateway.asgi:app_from_environment`, a factory)."""

from __future__ import annotations

import sys

from starlette.applications import Starlette

from gateway.app import create_app
from gateway.logging import configure_logging
from gateway.preflight import check_inventory
from gateway.settings import CONFIGURATION_ERRORS, configuration_error_line, load_settings


def app_from_environment() -> Starlette:
    try:
        settings = load_settings()
        check_inventory(settings)
    except CONFIGURATION_ERRORS as exc:
        # uvicorn would print a traceback: one line and exit status 2, as the CLI does.
        sys.stderr.write(configuration_error_line(exc) + "\n")
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    return create_app(settings)
