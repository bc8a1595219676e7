"""Phone numbers and e-mail addresses as the gateway stores them."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "CN"


def parse_phone(raw: str) -> str | None:
    """E.164 form of a valid number (mainland by default), or None."""
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_email(raw: str) -> str | None:
    """The normalized address (domain lower-cased), or None when it is not one."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return str(result.normalized)


def looks_like_email(login: str) -> bool:
    return "@" in login
