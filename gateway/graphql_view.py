"""Strawberry's ASGI view, wired to the gateway's sessions, viewer and error rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult

from auth import service_credentials
from auth.errors import ErrorCode
from auth.security_log import security_event
from auth.services import AuthServices
from auth.sessions import authenticate
from auth.tokens import InvalidToken
from auth.viewer import Viewer
from gateway.graphiql import graphiql_html
from gateway.http_errors import error_response, persisted_refusal_response
from gateway.logging import request_id_var
from gateway.media_types import GRAPHQL_RESPONSE_JSON, response_media_type
from gateway.persisted_documents import PersistedDocumentRefusal, PersistedDocuments
from gateway.request_body import is_json_media_type, read_json_object
from models import Account, ServiceCredential
from models.database import SerializedSession
from models.unit_of_work import RequestScope
from resolvers.config import GatewayLimits
from resolvers.context import RequestContext
from resolvers.privacy.inventory import Inventory


def _with_json_content_type(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [
        (name, b"application/json" if name == b"content-type" else value) for name, value in headers
    ]


def is_request_error(result: ExecutionResult) -> bool:
    """Whether the request itself was wrong: its document did not parse or validate, or
    its variables did not coerce. Execution never started, so no error has a path (a
    field's error always has one)."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


async def _document_id(request: Request) -> object:
    """The `documentId` of a request (GraphQL over HTTP's persisted documents)."""
    if request.method == "GET":
        return request.query_params.get("documentId")
    body = await request.body()  # read already, and kept, by the view
    if b"documentId" not in body:
        return None
    return read_json_object(body).get("documentId")


def _shaped(response: Response, media_type: str, request_error: bool) -> Response:
    """The answer in the negotiated media type. Under application/graphql-response+json
    a request that could not run answers 400 (its body has no `data` entry)."""
    if media_type != GRAPHQL_RESPONSE_JSON or response.media_type == "text/html":
        return response
    if response.headers.get("content-type", "").startswith("application/json"):
        response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
        if request_error and response.status_code == 200:
            response.status_code = 400
    return response


class GatewayGraphQL(GraphQL[RequestContext, None]):
    """One request scope per request (models/unit_of_work.py): the viewer is read in it,
    each root mutation field commits its own unit of work, and what the answer needs is
    committed before the response is sent."""

    def __init__(
        self,
        schema: BaseSchema,
        *,
        session_factory: async_sessionmaker[SerializedSession],
        services: AuthServices,
        clock: Callable[[], datetime],
        limits: GatewayLimits,
        inventory: Inventory,
        graphiql: bool,
        allow_get: bool,
        persisted: PersistedDocuments,
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
        self.persisted = persisted

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        # Every HTTP request hands `run` the context of its request scope (`__call__`);
        # nothing else is served here.
        raise RuntimeError("the gateway serves GraphQL over HTTP only")

    async def _authenticate(
        self, work: RequestScope, request: Request
    ) -> tuple[Viewer | None, Account | None]:
        """The viewer of the bearer token; no header is anonymous, a bad token is refused."""
        header = request.headers.get("authorization")
        if header is None:
            return None, None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken
        return await authenticate(work, self.services.tokens, token.strip(), self.clock())

    async def _service(self, work: RequestScope, request: Request) -> ServiceCredential | None:
        """The platform service whose credential is the bearer token, if it is one; a
        revoked or forged service token is refused like any bad token."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not service_credentials.is_service_token(token.strip()):
            return None
        credential = await service_credentials.authenticate(work.session, token.strip())
        if credential is None:
            raise InvalidToken
        return credential

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming a persisted document by hash or id asks for its result.
        params = request.query_params
        named = params.get("extensions") is not None or params.get("documentId") is not None
        return not named and super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_html())

    def decode_json(self, data: str | bytes) -> object:
        return read_json_object(data)

    def encode_json(self, data: object) -> str | bytes:
        """The answer as compact UTF-8 JSON, by orjson: a page of a hundred accounts is
        encoded in a twentieth of the time. What orjson refuses (a string with a lone
        surrogate, an integer past 64 bits) is encoded as before, escaped."""
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:
            return super().encode_json(data)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        if is_request_error(result):
            request.state.request_error = True
            if request.state.media_type == GRAPHQL_RESPONSE_JSON:
                processed.pop("data", None)
        return processed

    async def execute_single(  # noqa: PLR0917
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        resolved = await self.persisted.resolve(
            request_data.query, request_data.extensions, await _document_id(request)
        )
        request_data = dataclasses.replace(request_data, query=resolved.query)
        try:
            result = await super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                # An operation the method may not carry (a mutation over GET): the
                # method is wrong, not the document.
                raise HTTPException(405, "This operation is not accepted over GET.") from exc
            if type(exc.__cause__) is CannotGetOperationTypeError:
                # Strawberry's reason quotes the client's operationName, whatever it is.
                raise HTTPException(
                    400, "The document holds no operation by the name given."
                ) from exc
            raise
        if resolved.register is not None and resolved.query is not None:
            if not is_request_error(result):
                await self.persisted.register(resolved.register, resolved.query)
        return result

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        media_type = response_media_type(request.headers.get("accept"))
        if request.method == "POST":
            if not is_json_media_type(request.headers.get("content-type")):
                refusal = error_response(
                    "Send the operation as application/json.", ErrorCode.BAD_USER_INPUT, 415
                )
                await _shaped(refusal, media_type, False)(scope, receive, send)
                return
            # Media types are case-insensitive; the view underneath compares them as text.
            scope = {**scope, "headers": _with_json_content_type(scope["headers"])}
            request = Request(scope, receive)
        request.state.media_type = media_type
        request.state.request_error = False
        async with RequestScope(self.session_factory) as work:
            # The session and its account are read for display (the executor decides
            # for each operation, and gives one that is not a query the ORM's account).
            work.display_reads = True
            try:
                service = await self._service(work, request)
                viewer, account = (
                    (None, None) if service is not None else await self._authenticate(work, request)
                )
            except InvalidToken:
                security_event(
                    "token_rejected",
                    "refused",
                    client_address=request.client.host if request.client else None,
                )
                refusal = error_response(
                    "The bearer token is malformed, expired or revoked.",
                    ErrorCode.UNAUTHENTICATED,
                    401,
                )
                await _shaped(refusal, media_type, False)(scope, receive, send)
                return
            context = RequestContext(
                scope=work,
                viewer=viewer,
                viewer_account=account,
                service=service,
                services=self.services,
                clock=self.clock,
                limits=self.limits,
                inventory=self.inventory,
                request_id=request_id_var.get() or "",
                client_address=request.client.host if request.client else None,
                user_agent=request.headers.get("user-agent"),
            )
            response: Response
            try:
                response = await self.run(request, context=context)
            except HTTPException as exc:
                response = error_response(exc.reason, ErrorCode.BAD_USER_INPUT, exc.status_code)
            except PersistedDocumentRefusal as refusal:
                response = persisted_refusal_response(refusal)
            if not await work.finish():
                # A clear value whose access-log entry could not be stored never leaves.
                response = error_response(
                    "Internal server error.", ErrorCode.INTERNAL_SERVER_ERROR, 500
                )
        await _shaped(response, media_type, request.state.request_error)(scope, receive, send)
