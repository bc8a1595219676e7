"""The kinds of personal information that ``@sensitive`` fields carry
(docs/spec/masking-and-viewers.md#sensitive-fields)."""

from __future__ import annotations

from enum import StrEnum


class SensitiveKind(StrEnum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    PERSON_NAME = "PERSON_NAME"
    ID_NUMBER = "ID_NUMBER"
    BANK_CARD = "BANK_CARD"
    OPEN_ID = "OPEN_ID"
    IP_ADDRESS = "IP_ADDRESS"
    # Clear to the person they describe, masked to staff working a request that needs
    # them, refused to everyone else.
    SEARCH_QUERY = "SEARCH_QUERY"
    BIRTH_DATE = "BIRTH_DATE"
    SCHOOL = "SCHOOL"
    MAJOR = "MAJOR"
    REQUEST_DETAILS = "REQUEST_DETAILS"
    USER_AGENT = "USER_AGENT"
