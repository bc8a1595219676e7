"""Errors that end a field or a request with a top-level code (docs/spec/limits.md#errors).

What a person can fix inside a mutation goes in the payload's ``userErrors`` instead.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    STEP_UP_REQUIRED = "STEP_UP_REQUIRED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class GatewayError(Exception):
    """An expected refusal: its message is safe to show and names no personal value."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(GatewayError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(GatewayError):
    code = ErrorCode.FORBIDDEN


class StepUpRequired(GatewayError):
    code = ErrorCode.STEP_UP_REQUIRED


class BadUserInput(GatewayError):
    code = ErrorCode.BAD_USER_INPUT
