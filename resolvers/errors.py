"""What a person can fix in a mutation: returned in the payload's `userErrors`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from auth.contacts import parse_email, parse_phone
from auth.passwords import password_problem
from auth.sms_codes import CodeCheck


class UserErrorCode(StrEnum):
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_ID_NUMBER = "INVALID_ID_NUMBER"
    INVALID_BANK_CARD = "INVALID_BANK_CARD"
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_CODE = "INVALID_CODE"
    CODE_EXPIRED = "CODE_EXPIRED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    RATE_LIMITED = "RATE_LIMITED"
    WEAK_PASSWORD = "WEAK_PASSWORD"  # noqa: S105 (an error code, not a secret)
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    NOT_FOUND = "NOT_FOUND"
    POLICY_NOT_ACCEPTED = "POLICY_NOT_ACCEPTED"
    MINOR_UNDER_14 = "MINOR_UNDER_14"
    GUARDIAN_CONSENT_REQUIRED = "GUARDIAN_CONSENT_REQUIRED"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    CONTACT_REQUIRED = "CONTACT_REQUIRED"
    NAME_MISMATCH = "NAME_MISMATCH"
    LAST_LOGIN_METHOD = "LAST_LOGIN_METHOD"
    KIND_NOT_ALLOWED = "KIND_NOT_ALLOWED"
    LIMIT_REACHED = "LIMIT_REACHED"
    STEP_UP_REQUIRED = "STEP_UP_REQUIRED"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    REFUSAL_REASON_REQUIRED = "REFUSAL_REASON_REQUIRED"
    INVALID_STATE = "INVALID_STATE"


@dataclass(frozen=True)
class UserError:
    code: UserErrorCode
    message: str
    field: tuple[str, ...] | None = None


def user_error(code: UserErrorCode, message: str, *field: str) -> UserError:
    return UserError(code=code, message=message, field=field or None)


def on_field(error: UserError, field: str) -> UserError:
    """The same error, named on another input field."""
    return UserError(code=error.code, message=error.message, field=(field,))


# What a phone number or an e-mail address that does not parse answers (`on_field` names
# another input field).
INVALID_PHONE = user_error(
    UserErrorCode.INVALID_PHONE, "This is not a valid phone number.", "phone"
)
INVALID_EMAIL = user_error(UserErrorCode.INVALID_EMAIL, "This is not an e-mail address.", "email")


def weak_password(password: str, field: str = "password") -> UserError | None:
    """WEAK_PASSWORD, naming the rule a new password breaks; None when it meets them."""
    problem = password_problem(password)
    return None if problem is None else user_error(UserErrorCode.WEAK_PASSWORD, problem, field)


# What a code that fails its check answers, on the input's `code`.
CODE_ERRORS = {
    CodeCheck.INVALID: user_error(UserErrorCode.INVALID_CODE, "The code is not right.", "code"),
    CodeCheck.EXPIRED: user_error(
        UserErrorCode.CODE_EXPIRED, "The code has expired; ask for a new one.", "code"
    ),
    CodeCheck.TOO_MANY_ATTEMPTS: user_error(
        UserErrorCode.TOO_MANY_ATTEMPTS, "Too many tries; ask for a new code.", "code"
    ),
}


class Refused(Exception):
    """A use case's answer that the person can fix: the mutation's payload carries these
    user errors (schema/payloads.py), and `details` any other payload field the answer
    fills (`retry_after_seconds` of a code asked too soon).

    A refusal is an answer, not a failure: what the unit of work did before it (a try
    counted, a child's account cancelled) is committed like any other answer.
    """

    def __init__(self, *errors: UserError, **details: Any) -> None:
        super().__init__(", ".join(error.code for error in errors))
        self.errors = errors
        self.details = details


def refused(code: UserErrorCode, message: str, *field: str) -> Refused:
    """A refusal with one user error."""
    return Refused(user_error(code, message, *field))


def valid_phone(raw: str) -> str:
    """The phone number in E.164 form; INVALID_PHONE when it does not parse."""
    parsed = parse_phone(raw)
    if parsed is None:
        raise Refused(INVALID_PHONE)
    return parsed


def valid_email(raw: str) -> str:
    """The normalized e-mail address; INVALID_EMAIL when it is not one."""
    parsed = parse_email(raw)
    if parsed is None:
        raise Refused(INVALID_EMAIL)
    return parsed


def asked_too_soon(retry_after_seconds: int) -> Refused:
    """RATE_LIMITED for a code asked again before its sending limit allows, saying (in the
    payload's `retryAfterSeconds` too) how long to wait."""
    return Refused(
        user_error(
            UserErrorCode.RATE_LIMITED,
            f"Wait {retry_after_seconds} s before asking for another code.",
        ),
        retry_after_seconds=retry_after_seconds,
    )
