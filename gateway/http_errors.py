"""GraphQL-shaped answers for requests refused before or outside GraphQL execution."""

from __future__ import annotations

from starlette.responses import JSONResponse

from auth.errors import ErrorCode
from gateway.logging import request_id_var
from gateway.metrics import GRAPHQL_ERRORS


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
