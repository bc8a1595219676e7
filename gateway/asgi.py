"""The ASGI entry point uvicorn loads (`gateway.asgi:app_from_environment`, a factory)."""

from __future__ import annotations

from starlette.applications import Starlette

from gateway.app import create_app
from gateway.logging import configure_logging
from gateway.settings import load_settings


def app_from_environment() -> Starlette:
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
