"""Strawberry's ASGI view, wired to the gateway's sessions, viewer and error rules."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cross_web import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from auth.errors import ErrorCode
from auth.services import AuthServices
from auth.sessions import authenticate
from auth.tokens import InvalidToken
from auth.viewer import Viewer
from gateway.graphiql import graphiql_html
from gateway.logging import request_id_var
from models import Account
from resolvers.config import GatewayLimits
from resolvers.context import RequestContext
from resolvers.masking.reveal import revealed_in_clear
from resolvers.privacy.inventory import Inventory

logger = logging.getLogger("gateway.graphql")


def error_response(message: str, code: ErrorCode, status_code: int) -> JSONResponse:
    """A GraphQL-shaped error answer for failures outside execution."""
    extensions: dict[str, str | None] = {"code": code.value}
    if code is ErrorCode.INTERNAL_SERVER_ERROR:
        extensions["requestId"] = request_id_var.get()
    return JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}]}, status_code=status_code
    )


class GatewayGraphQL(GraphQL[RequestContext, None]):
    """One database session per request, committed in one place: after the operation.

    The session is committed only when the operation raised nothing unexpected, and
    before the response is sent, so that a value whose access-log entry could not be
    stored never reaches the client.
    """

    def __init__(
        self,
        schema: BaseSchema,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        services: AuthServices,
        clock: Callable[[], datetime],
        limits: GatewayLimits,
        inventory: Inventory,
        graphiql: bool,
        allow_get: bool,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=allow_get,
        )
        self.session_factory = session_factory
        self.services = services
        self.clock = clock
        self.limits = limits
        self.inventory = inventory

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        context: RequestContext = request.state.graphql_context
        return context

    async def _authenticate(
        self, session: AsyncSession, request: Request
    ) -> tuple[Viewer | None, Account | None]:
        """The viewer of the bearer token; no header is anonymous, a bad token is refused."""
        header = request.headers.get("authorization")
        if header is None:
            return None, None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken
        return await authenticate(session, self.services.tokens, token.strip(), self.clock())

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_html())

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                # An operation the method may not carry (a mutation over GET): the
                # method is wrong, not the document.
                raise HTTPException(405, "This operation is not accepted over GET.") from exc
            raise

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        state = request.state
        failed = any(
            (error.extensions or {}).get("code") == ErrorCode.INTERNAL_SERVER_ERROR.value
            for error in result.errors or ()
        )
        state.graphql_failed = failed
        return processed

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        async with self.session_factory() as session:
            try:
                viewer, account = await self._authenticate(session, request)
            except InvalidToken:
                await session.rollback()
                refusal = error_response(
                    "The bearer token is malformed, expired or revoked.",
                    ErrorCode.UNAUTHENTICATED,
                    401,
                )
                await refusal(scope, receive, send)
                return
            request.state.graphql_context = RequestContext(
                session=session,
                viewer=viewer,
                viewer_account=account,
                services=self.services,
                clock=self.clock,
                limits=self.limits,
                inventory=self.inventory,
                request_id=request_id_var.get() or "",
                client_address=request.client.host if request.client else None,
                user_agent=request.headers.get("user-agent"),
            )
            request.state.graphql_failed = False
            response: Response
            try:
                response = await self.run(request)
            except HTTPException as exc:
                response = error_response(exc.reason, ErrorCode.BAD_USER_INPUT, exc.status_code)
            if request.state.graphql_failed:
                await session.rollback()
                if revealed_in_clear(session):
                    # The clear values' access-log entries went with the rollback.
                    response = error_response(
                        "Internal server error.", ErrorCode.INTERNAL_SERVER_ERROR, 500
                    )
            else:
                try:
                    await session.commit()
                except Exception:
                    logger.exception("commit failed")
                    await session.rollback()
                    response = error_response(
                        "Internal server error.", ErrorCode.INTERNAL_SERVER_ERROR, 500
                    )
        await response(scope, receive, send)
