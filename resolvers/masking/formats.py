"""Mask formats for sensitive values (docs/spec/masking-and-viewers.md#mask-formats).

Each format keeps a fixed, small part of the clear value and replaces the rest with
``*``. A value too short for its format to hide anything is masked completely, and a
value that cannot be read as its kind (an unparseable phone number or IP address, an
e-mail address without ``@``) becomes a single ``*``: masking never fails and never
falls back to the clear value.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

import phonenumbers

from models.sensitive import SensitiveKind

MASK = "*"
UNREADABLE = MASK

_MAINLAND_COUNTRY_CODE = 86
_MAINLAND_MOBILE_LENGTH = 11
_PHONE_KEPT_TAIL = 4
_BANK_CARD_KEPT_TAIL = 4
_OPEN_ID_KEPT_HEAD = 4
_IPV6_KEPT_GROUPS = 4
# A mainland mobile number as the gateway stores it (E.164): its national number is the
# 11 digits after +86, as phonenumbers reads it, without parsing it again for every
# value of a page.
_STORED_MAINLAND_MOBILE = re.compile(r"\+86(1[3-9][0-9]{9})")


# Kinds whose values have no masked form of their own type (a date that is not a date
# would be a lie): masked, they read null.
WITHHELD = frozenset({SensitiveKind.BIRTH_DATE})


def mask(kind: SensitiveKind, value: str) -> str:
    """The masked form of ``value``, a clear value of the given kind."""
    return _MASKERS[kind](value)


def mask_text(value: str) -> str:
    """``chairs for kids`` → ``c***** *** ****``: free text keeps its first character and
    its spaces, every other character becomes ``*``; one character alone is hidden."""
    visible = [i for i, char in enumerate(value) if not char.isspace()]
    kept = visible[0] if len(visible) > 1 else None
    return "".join(char if char.isspace() or i == kept else MASK for i, char in enumerate(value))


def mask_phone(value: str) -> str:
    """``+8613812345678`` → ``138****5678``; ``+447911123456`` → ``+44******3456``.

    Mainland mobile numbers (11 national digits) keep their first 3 and last 4 digits.
    Every other number, including mainland numbers of another length (fixed lines,
    where 3 + 4 kept digits would be most of the number), shows its country code and
    the last 4 national digits, one ``*`` for each digit hidden; a national number of 4
    digits or fewer is hidden completely.
    """
    stored = _STORED_MAINLAND_MOBILE.fullmatch(value)
    if stored is not None:
        national = stored[1]
        return f"{national[:3]}{MASK * 4}{national[-_PHONE_KEPT_TAIL:]}"
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return UNREADABLE
    country_code = number.country_code
    national = phonenumbers.national_significant_number(number)
    if not national:
        return UNREADABLE
    if country_code == _MAINLAND_COUNTRY_CODE and len(national) == _MAINLAND_MOBILE_LENGTH:
        return f"{national[:3]}{MASK * 4}{national[-_PHONE_KEPT_TAIL:]}"
    return f"+{country_code}{_keep_tail(national, _PHONE_KEPT_TAIL)}"


def mask_email(value: str) -> str:
    """``zhang@example.com`` → ``z***@example.com``: the local part's length is not kept."""
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        return UNREADABLE
    return f"{local[0]}{MASK * 3}@{domain}"


def mask_person_name(value: str) -> str:
    """``张三`` → ``*三``, ``Ann Lee`` → ``*** **e``: only the last character is shown.

    Whitespace is kept as it is; "the last character" is the last one that is not
    whitespace. A name with a single such character is masked completely, since
    showing it would show the whole name.
    """
    visible = [i for i, char in enumerate(value) if not char.isspace()]
    kept = visible[-1] if len(visible) > 1 else None
    return "".join(char if char.isspace() or i == kept else MASK for i, char in enumerate(value))


def mask_id_number(value: str) -> str:
    """``11010519491231002X`` → ``1****************X``; 2 characters or fewer: all ``*``."""
    if len(value) <= 2:
        return MASK * len(value)
    return f"{value[0]}{MASK * (len(value) - 2)}{value[-1]}"


def mask_bank_card(value: str) -> str:
    """``6222020200001234`` → ``************1234``; 4 characters or fewer: all ``*``."""
    return _keep_tail(value, _BANK_CARD_KEPT_TAIL)


def mask_open_id(value: str) -> str:
    """``oAbC…`` → ``oAbC****…``: the first 4 characters; 4 or fewer: all ``*``."""
    if len(value) <= _OPEN_ID_KEPT_HEAD:
        return MASK * len(value)
    return value[:_OPEN_ID_KEPT_HEAD] + MASK * (len(value) - _OPEN_ID_KEPT_HEAD)


def mask_ip_address(value: str) -> str:
    """``203.0.113.7`` → ``203.0.113.*``; ``2001:db8:85a3:8d3:…`` → ``2001:db8:85a3:8d3:*``.

    An IPv4 address keeps its first three octets. An IPv6 address keeps its first four
    16-bit groups (the /64 network prefix) written in lower-case hexadecimal without
    leading zeros, whatever the notation of the input; its zone index is dropped. An
    IPv4-mapped IPv6 address (``::ffff:203.0.113.7``, an IPv4 client seen through a
    dual-stack socket) is masked as the IPv4 address it carries, since its first four
    groups are always zero and would say nothing.
    """
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return UNREADABLE
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv4Address):
        octets = str(address).split(".")
        return ".".join([*octets[:3], MASK])
    # From the integer, not the text: ``exploded`` raises for an address with a zone index.
    bits = int(address)
    groups = [(bits >> (112 - 16 * i)) & 0xFFFF for i in range(_IPV6_KEPT_GROUPS)]
    return ":".join([*(f"{group:x}" for group in groups), MASK])


def _keep_tail(value: str, kept: int) -> str:
    """One ``*`` per character but the last ``kept``; all ``*`` when nothing would stay hidden."""
    if len(value) <= kept:
        return MASK * len(value)
    return MASK * (len(value) - kept) + value[-kept:]


_MASKERS: dict[SensitiveKind, Callable[[str], str]] = {
    SensitiveKind.PHONE: mask_phone,
    SensitiveKind.EMAIL: mask_email,
    SensitiveKind.PERSON_NAME: mask_person_name,
    SensitiveKind.ID_NUMBER: mask_id_number,
    SensitiveKind.BANK_CARD: mask_bank_card,
    SensitiveKind.OPEN_ID: mask_open_id,
    SensitiveKind.IP_ADDRESS: mask_ip_address,
    SensitiveKind.SEARCH_QUERY: mask_text,
    SensitiveKind.SCHOOL: mask_text,
    SensitiveKind.MAJOR: mask_text,
    SensitiveKind.REQUEST_DETAILS: mask_text,
    SensitiveKind.USER_AGENT: mask_text,
}
