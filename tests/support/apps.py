"""Clients of an app a test builds itself, in-process through httpx's ASGI transport (the
`client` fixture is one of the test's own app)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.types import ASGIApp

from gateway.app import create_app
from gateway.settings import Settings


def client_of(app: ASGIApp) -> httpx.AsyncClient:
    """A client of `app` at http://testserver; open it with `async with`."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@asynccontextmanager
async def own_app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app built from `settings` alone, as `serve` builds it: with an
    engine and services of its own, closed again when the client is done."""
    app = create_app(settings)
    try:
        async with client_of(app) as client:
            yield client
    finally:
        await app.state.services.limiter.close()
        await app.state.engine.dispose()
