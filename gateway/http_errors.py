"""GraphQL-shaped answers for requests refused before or outside GraphQL execution."""

from __future__ import annotations

from starlette.responses import JSONResponse

from auth.errors import ErrorCode
from gateway.logging import request_id_var
from gateway.metrics import GRAPHQL_ERRORS
from gateway.persisted_documents import PERSISTED_QUERY_NOT_FOUND, PersistedDocumentRefusal


def error_response(message: str, code: ErrorCode, status_code: int) -> JSONResponse:
    """`{"errors": [{"message", "extensions": {"code"}}]}` with the given status.

    A request the gateway could not read or did not expect to fail carries its request
    id, the one on the response's `X-Request-ID` and on every log line of the request.
    """
    extensions: dict[str, str | None] = {"code": code.value}
    if code in (ErrorCode.BAD_USER_INPUT, ErrorCode.INTERNAL_SERVER_ERROR):
        extensions["requestId"] = request_id_var.get()
    GRAPHQL_ERRORS.labels(code.value).inc()
    return JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}]}, status_code=status_code
    )


def persisted_refusal_response(refusal: PersistedDocumentRefusal) -> JSONResponse:
    """The answer to a request whose persisted document cannot run. A miss is not kept
    by any cache: the client's next request registers the document."""
    extensions: dict[str, str | None] = {"code": refusal.code}
    if refusal.code == ErrorCode.BAD_USER_INPUT.value:
        extensions["requestId"] = request_id_var.get()
    GRAPHQL_ERRORS.labels(refusal.code).inc()
    response = JSONResponse(
        {"errors": [{"message": refusal.message, "extensions": extensions}]},
        status_code=refusal.status,
    )
    if refusal.code == PERSISTED_QUERY_NOT_FOUND:
        response.headers["cache-control"] = "private, no-cache, must-revalidate"
    return response
