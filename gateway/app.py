"""The Starlette application factory."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import anyio
import strawberry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from auth.senders import Outbox
from auth.services import AuthServices
from gateway.dev_routes import outbox_endpoint
from gateway.extensions import request_extensions
from gateway.graphiql import graphiql_assets_mount
from gateway.graphql_view import GatewayGraphQL
from gateway.metrics import HttpMetricsMiddleware, metrics_endpoint, worker_exited
from gateway.middleware import (
    BodySizeLimitMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from gateway.observe import observe_engine
from gateway.persisted_documents import (
    DocumentStore,
    MemoryDocumentStore,
    PersistedDocuments,
    RedisDocumentStore,
    load_manifest,
)
from gateway.services import build_services, configure_encryption
from gateway.settings import Settings
from gateway.tracing import HttpTracingMiddleware, flush_traces
from models.database import SerializedSession, create_engine, create_session_factory
from resolvers.config import GatewayLimits
from resolvers.context import utc_now
from resolvers.privacy.inventory import load_inventory, shipped_inventory
from schema import build_schema

logger = logging.getLogger("gateway")
READINESS_TIMEOUT_SECONDS = 2.0


@functools.cache
def gateway_schema(*, introspection: bool, federation: bool = False) -> strawberry.Schema:
    """Built once per process: its extensions are made afresh for every request. With
    federation, the subgraph's SDL is as public as introspection is."""
    return build_schema(
        extensions=request_extensions(introspection=introspection),
        federation=federation,
        public_sdl=introspection,
    )


def persisted_documents(settings: Settings) -> PersistedDocuments:
    """Trusted documents when GATEWAY_TRUSTED_DOCUMENTS is set (and no APQ store: nothing
    registers); else the APQ store, shared in Redis when GATEWAY_REDIS_URL is set."""
    if settings.trusted_documents is not None:
        return PersistedDocuments(None, load_manifest(settings.trusted_documents))
    store: DocumentStore = (
        RedisDocumentStore.from_url(settings.redis_url, settings.apq_max_bytes)
        if settings.redis_url
        else MemoryDocumentStore(settings.apq_max_bytes)
    )
    return PersistedDocuments(store, None)


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    session_factory: async_sessionmaker[SerializedSession] | None = None,
    services: AuthServices | None = None,
    outbox: Outbox | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Starlette:
    """Build the gateway. Tests pass their own engine, session factory, services (with
    the outbox their console senders write to) and clock."""
    configure_encryption(settings)
    outbox = outbox or Outbox()
    services = services or build_services(settings, outbox)
    owns_engine = engine is None
    engine = engine or create_engine(settings.database_url)
    session_factory = session_factory or create_session_factory(engine)
    observe_engine(engine)
    schema = gateway_schema(
        introspection=settings.introspection_enabled, federation=settings.federation
    )
    persisted = persisted_documents(settings)
    graphql = GatewayGraphQL(
        schema,
        session_factory=session_factory,
        services=services,
        clock=clock,
        limits=GatewayLimits(max_sub_accounts=settings.max_sub_accounts),
        inventory=load_inventory(settings.inventory_dir)
        if settings.inventory_dir
        else shipped_inventory(),
        graphiql=settings.graphiql_enabled,
        allow_get=settings.get_queries_enabled,
        persisted=persisted,
    )

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        """Ready while the database answers and, when one is configured, Redis."""
        try:
            async with session_factory() as session:
                with anyio.fail_after(READINESS_TIMEOUT_SECONDS):
                    await session.execute(text("SELECT 1"))
        except Exception:
            logger.warning("database not ready", exc_info=True)
            return JSONResponse({"status": "unavailable"}, status_code=503)
        if services.limiter.shared:
            answered = False
            with anyio.move_on_after(READINESS_TIMEOUT_SECONDS):
                answered = await services.limiter.check()
            if not answered:
                logger.warning("redis not ready")
                return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await services.limiter.close()
            await persisted.close()
            if owns_engine:
                await engine.dispose()
            flush_traces()
            worker_exited()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        # Every method reaches the view, which answers those it does not take (405)
        # with a GraphQL-shaped error.
        Route("/graphql", graphql),
        graphiql_assets_mount(settings.graphiql_assets_dir),
    ]
    if not settings.is_production:
        routes.append(Route("/dev/outbox", outbox_endpoint(outbox), methods=["GET"]))
        # Production serves metrics on their own listener only (GATEWAY_METRICS_PORT).
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(RequestIdMiddleware),
        Middleware(HttpTracingMiddleware, routes=routes),
        Middleware(HttpMetricsMiddleware, routes=routes),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        ),
        Middleware(BodySizeLimitMiddleware),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.services = services
    app.state.outbox = outbox
    app.state.persisted = persisted
    return app
