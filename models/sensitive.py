"""The kinds of personal information that ``@sensitive`` fields carry (RULES.md section 3)."""

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
