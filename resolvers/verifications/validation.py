"""Format checks for verification and bank-card input.

The rules: docs/spec/settings.md#real-name-verification,
docs/spec/settings.md#student-verification and docs/spec/settings.md#bank-cards.

Pure functions: no I/O and no clock (``today`` is passed in). Each parser answers a
normalised value, or ``None`` for anything it does not accept; callers turn ``None`` into
their userError (INVALID_ID_NUMBER, INVALID_BANK_CARD, INVALID_CODE).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

# --- mainland resident ID numbers (GB 11643-1999) ---------------------------------------

# Province-level administrative division codes of GB/T 2260: the first two digits of an
# ID number. 71 (Taiwan), 81 (Hong Kong) and 82 (Macao) are part of the standard too.
PROVINCE_CODES: Final = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip

# ISO 7064 MOD 11-2 as GB 11643 applies it: the weighted sum of the first 17 digits,
# modulo 11, selects the check character.
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARACTERS: Final = "10X98765432"
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
_EARLIEST_BIRTH_DATE: Final = date(1900, 1, 1)


@dataclass(frozen=True)
class IdNumber:
    """A valid ID number, upper-case, and what it encodes."""

    value: str
    birth_date: date
    province_code: str
    female: bool


def parse_id_number(raw: str, *, today: date) -> IdNumber | None:
    """``raw`` as a mainland resident ID number, or ``None`` when it is not a valid one.

    Surrounding whitespace is ignored and a lower-case ``x`` check character accepted
    (both are common when the number is typed). Valid means: 17 ASCII digits and a check
    digit or ``X``; the ISO 7064 MOD 11-2 check character matches; digits 7 to 14 are a
    real calendar date (YYYYMMDD) between 1900-01-01 and ``today``; the first two digits
    are a known province-level code. The 17th digit is odd for men, even for women.

    The 15-digit numbers issued before 1999 are no longer valid and are refused.
    """
    value = raw.strip().upper()
    if not _ID_NUMBER.fullmatch(value):
        return None
    if _id_check_character(value[:17]) != value[17]:
        return None
    province_code = value[:2]
    if province_code not in PROVINCE_CODES:
        return None
    try:
        birth_date = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None
    if not _EARLIEST_BIRTH_DATE <= birth_date <= today:
        return None
    female = int(value[16]) % 2 == 0
    return IdNumber(value=value, birth_date=birth_date, province_code=province_code, female=female)


def _id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARACTERS[total % 11]


# --- bank cards ----------------------------------------------------------------------------

CardType = Literal["DEBIT", "CREDIT", "UNKNOWN"]

MIN_CARD_LENGTH: Final = 12
MAX_CARD_LENGTH: Final = 19

# Issuer prefixes (BINs) of a few large mainland banks, as (prefix, bank, card type).
# The table is deliberately small: only long-established prefixes on which public BIN
# lists agree for both the bank and the card type are kept, and nothing is guessed.
# "62" is UnionPay's own range: it names the card scheme, not the issuing bank or whether
# the card is a debit or credit card, so a card matching only that prefix stays UNKNOWN
# with no bank. The longest matching prefix wins.
BIN_TABLE: Final[tuple[tuple[str, str | None, CardType], ...]] = (
    ("62", None, "UNKNOWN"),
    # Industrial and Commercial Bank of China
    ("622202", "中国工商银行", "DEBIT"),
    ("622203", "中国工商银行", "DEBIT"),
    ("622208", "中国工商银行", "DEBIT"),
    ("621226", "中国工商银行", "DEBIT"),
    ("622210", "中国工商银行", "CREDIT"),
    ("622230", "中国工商银行", "CREDIT"),
    ("622235", "中国工商银行", "CREDIT"),
    ("427020", "中国工商银行", "CREDIT"),
    # China Construction Bank
    ("622700", "中国建设银行", "DEBIT"),
    ("621700", "中国建设银行", "DEBIT"),
    ("622280", "中国建设银行", "DEBIT"),
    ("436742", "中国建设银行", "DEBIT"),
    ("622166", "中国建设银行", "CREDIT"),
    ("622708", "中国建设银行", "CREDIT"),
    # Agricultural Bank of China
    ("622848", "中国农业银行", "DEBIT"),
    ("622845", "中国农业银行", "DEBIT"),
    ("622841", "中国农业银行", "DEBIT"),
    ("622836", "中国农业银行", "CREDIT"),
    ("622837", "中国农业银行", "CREDIT"),
    # Bank of China
    ("621660", "中国银行", "DEBIT"),
    ("621661", "中国银行", "DEBIT"),
    ("621663", "中国银行", "DEBIT"),
    ("601382", "中国银行", "DEBIT"),
    ("625908", "中国银行", "CREDIT"),
    ("625910", "中国银行", "CREDIT"),
    ("409666", "中国银行", "CREDIT"),
    # Bank of Communications
    ("622260", "交通银行", "DEBIT"),
    ("622262", "交通银行", "DEBIT"),
    ("622258", "交通银行", "DEBIT"),
    ("622252", "交通银行", "CREDIT"),
    ("622253", "交通银行", "CREDIT"),
    ("458123", "交通银行", "CREDIT"),
    # China Merchants Bank
    ("622588", "招商银行", "DEBIT"),
    ("622609", "招商银行", "DEBIT"),
    ("621483", "招商银行", "DEBIT"),
    ("621485", "招商银行", "DEBIT"),
    ("621486", "招商银行", "DEBIT"),
    ("622575", "招商银行", "CREDIT"),
    ("622576", "招商银行", "CREDIT"),
    ("622577", "招商银行", "CREDIT"),
    ("622578", "招商银行", "CREDIT"),
    ("622579", "招商银行", "CREDIT"),
    ("622581", "招商银行", "CREDIT"),
    ("622582", "招商银行", "CREDIT"),
    ("439225", "招商银行", "CREDIT"),
)

_BINS: Final = {prefix: (bank, card_type) for prefix, bank, card_type in BIN_TABLE}
_CARD_SEPARATORS = re.compile(r"[ \-]")
_ASCII_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class CardNumber:
    """A card number that passed the checks: digits only, and what its prefix tells."""

    value: str
    last4: str
    card_type: CardType
    bank_name: str | None


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` (ASCII digits only, at least one) passes the Luhn check."""
    if not _ASCII_DIGITS.fullmatch(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def parse_card_number(raw: str) -> CardNumber | None:
    """``raw`` as a bank card number, or ``None`` when it is not a valid one.

    Spaces and dashes anywhere are dropped (cards are printed in groups); what remains
    must be 12 to 19 ASCII digits passing the Luhn check. Issuer and card type come from
    :data:`BIN_TABLE`; a prefix it does not know gives ``UNKNOWN`` and no bank.
    """
    value = _CARD_SEPARATORS.sub("", raw.strip())
    if not MIN_CARD_LENGTH <= len(value) <= MAX_CARD_LENGTH or not luhn_valid(value):
        return None
    bank_name, card_type = card_issuer(value)
    return CardNumber(value=value, last4=value[-4:], card_type=card_type, bank_name=bank_name)


def card_issuer(digits: str) -> tuple[str | None, CardType]:
    """The issuing bank and card type of the longest :data:`BIN_TABLE` prefix of ``digits``."""
    for length in range(len(digits), 0, -1):
        known = _BINS.get(digits[:length])
        if known is not None:
            return known
    return None, "UNKNOWN"


# --- student verification codes and names ----------------------------------------------------

_VERIFICATION_CODE = re.compile(r"[A-Za-z0-9]{10,16}")


def verification_code_valid(code: str) -> bool:
    """Whether ``code`` is 10 to 16 ASCII letters or digits, nothing else."""
    return _VERIFICATION_CODE.fullmatch(code) is not None


def names_match(a: str, b: str) -> bool:
    """Whether two person names are the same name as typed by different people.

    Both are NFKC-normalised (full-width letters and spaces become their ordinary
    forms), trimmed, and each run of inner whitespace becomes one space; then they must
    be equal. Case stays significant and nothing else is folded: this compares a card
    holder or student with a verified real name, where a looser match would let a
    different person's name through.
    """
    return _normalise_name(a) == _normalise_name(b)


def _normalise_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split())
