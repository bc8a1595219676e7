"""Mask formats: the examples of docs/spec/masking-and-viewers.md#mask-formats, and
properties over realistic clear values.

Each property states how much of the clear value its format keeps and checks that the
masked value shows exactly that much, and no more.
"""

from __future__ import annotations

import ipaddress
import string
from datetime import date

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from models.sensitive import SensitiveKind
from resolvers.masking.formats import mask

# --- strategies ------------------------------------------------------------------

DIGITS = "0123456789"

# Mainland mobile prefixes in use (China Mobile, Unicom, Telecom, Broadnet, virtual).
MAINLAND_MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "145", "147", "150", "151", "152", "153", "155", "156", "157", "158",
    "159", "166", "170", "171", "173", "175", "176", "177", "178", "180",
    "181", "182", "183", "184", "185", "186", "187", "188", "189", "191",
    "192", "193", "195", "196", "197", "198", "199",
]  # fmt: skip


def _example_numbers() -> list[tuple[int, str]]:
    """(country code, national significant number) of phonenumbers' examples abroad."""
    examples: set[tuple[int, str]] = set()
    for region in sorted(phonenumbers.SUPPORTED_REGIONS - {"CN"}):
        for number_type in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE,
        ):
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is not None and example.country_code is not None:
                nsn = phonenumbers.national_significant_number(example)
                examples.add((example.country_code, nsn))
    return sorted(examples)


FOREIGN_EXAMPLES = _example_numbers()


@st.composite
def mainland_mobiles(draw: st.DrawFn) -> str:
    """A mainland mobile's national number, 11 digits."""
    prefix = draw(st.sampled_from(MAINLAND_MOBILE_PREFIXES))
    return prefix + draw(st.text(DIGITS, min_size=8, max_size=8))


@st.composite
def foreign_numbers(draw: st.DrawFn) -> tuple[int, str]:
    """A valid number outside the mainland: (country code, national significant number).

    An example number of some region with up to its last 4 digits redrawn, kept only
    when phonenumbers still holds it valid.
    """
    country_code, example = draw(st.sampled_from(FOREIGN_EXAMPLES))
    redrawn = draw(st.integers(min_value=0, max_value=min(4, len(example) - 1)))
    nsn = example[: len(example) - redrawn] + draw(
        st.text(DIGITS, min_size=redrawn, max_size=redrawn)
    )
    assume(phonenumbers.is_valid_number(phonenumbers.parse(f"+{country_code}{nsn}")))
    return country_code, nsn


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
LATIN = st.sampled_from(string.ascii_letters + "éèüöñçåøÉÖ'-")

cjk_names = st.text(CJK, min_size=1, max_size=4)
latin_names = st.lists(st.text(LATIN, min_size=1, max_size=10), min_size=1, max_size=4).map(
    " ".join
)
person_names = st.one_of(cjk_names, latin_names, st.text(CJK, min_size=1, max_size=1))

# Province-level codes of the administrative divisions (GB/T 2260) and a few full ones.
DIVISION_CODES = ["110105", "120101", "310101", "320102", "330106", "440305", "510104", "650102"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK_CHARACTERS = "10X98765432"


def id_check_character(first_17: str) -> str:
    """GB 11643's check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first_17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARACTERS[total % 11]


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    """A well-formed 18-character resident ID number with a correct check character."""
    division = draw(st.sampled_from(DIVISION_CODES))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31)))
    sequence = draw(st.text(DIGITS, min_size=3, max_size=3))
    first_17 = f"{division}{born:%Y%m%d}{sequence}"
    return first_17 + id_check_character(first_17)


def luhn_check_digit(payload: str) -> str:
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


@st.composite
def bank_cards(draw: st.DrawFn) -> str:
    """12 to 19 digits passing Luhn."""
    length = draw(st.integers(min_value=12, max_value=19))
    payload = draw(st.sampled_from("3456")) + draw(
        st.text(DIGITS, min_size=length - 2, max_size=length - 2)
    )
    return payload + luhn_check_digit(payload)


open_ids = st.text(string.ascii_letters + DIGITS + "-_", min_size=27, max_size=27).map(
    lambda rest: "o" + rest
)


def _not_ipv4_mapped(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None


ipv6_addresses = st.ip_addresses(v=6).filter(_not_ipv4_mapped)


def shown(masked: str) -> list[tuple[int, str]]:
    """The characters of a masked value that are neither ``*`` nor whitespace, by position."""
    return [(i, char) for i, char in enumerate(masked) if char != "*" and not char.isspace()]


# --- the examples of docs/spec/masking-and-viewers.md#mask-formats -----------------


@pytest.mark.parametrize(
    ("kind", "clear", "masked"),
    [
        (SensitiveKind.PHONE, "+8613812345678", "138****5678"),
        (SensitiveKind.PHONE, "+447911123456", "+44******3456"),
        (SensitiveKind.EMAIL, "zhang@example.com", "z***@example.com"),
        (SensitiveKind.PERSON_NAME, "张三", "*三"),
        (SensitiveKind.PERSON_NAME, "李小龙", "**龙"),
        (SensitiveKind.PERSON_NAME, "Ann Lee", "*** **e"),
        (SensitiveKind.ID_NUMBER, "11010519491231002X", "1****************X"),
        (SensitiveKind.BANK_CARD, "6222020200001234", "************1234"),
        (SensitiveKind.OPEN_ID, "oAbC1234567890abcdefghijklmn", "oAbC" + "*" * 24),
        (SensitiveKind.IP_ADDRESS, "203.0.113.7", "203.0.113.*"),
        (SensitiveKind.IP_ADDRESS, "2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3:8d3:*"),
    ],
)
def test_rules_examples(kind: SensitiveKind, clear: str, masked: str) -> None:
    assert mask(kind, clear) == masked


# --- edges: short and unreadable values are hidden completely ------------------------


@pytest.mark.parametrize(
    ("kind", "clear", "masked"),
    [
        # A national number of 4 digits or fewer (Saint Helena) shows none of them.
        (SensitiveKind.PHONE, "+2901234", "+290****"),
        # A mainland fixed line (10 digits) keeps only its last 4, like a number abroad.
        (SensitiveKind.PHONE, "+861012345678", "+86******5678"),
        # Italian numbers keep their leading zero as a national digit.
        (SensitiveKind.PHONE, "+390212345678", "+39******5678"),
        (SensitiveKind.PHONE, "13812345678", "*"),
        (SensitiveKind.PHONE, "not a phone", "*"),
        (SensitiveKind.PHONE, "", "*"),
        (SensitiveKind.EMAIL, "a@example.com", "a***@example.com"),
        (SensitiveKind.EMAIL, "zhang", "*"),
        (SensitiveKind.EMAIL, "@example.com", "*"),
        (SensitiveKind.EMAIL, "zhang@", "*"),
        (SensitiveKind.PERSON_NAME, "张", "*"),
        (SensitiveKind.PERSON_NAME, "A", "*"),
        (SensitiveKind.PERSON_NAME, " A ", " * "),
        (SensitiveKind.PERSON_NAME, "Ann Lee ", "*** **e "),
        (SensitiveKind.PERSON_NAME, "A B", "* B"),
        (SensitiveKind.ID_NUMBER, "12", "**"),
        (SensitiveKind.ID_NUMBER, "1", "*"),
        (SensitiveKind.ID_NUMBER, "123", "1*3"),
        (SensitiveKind.BANK_CARD, "1234", "****"),
        (SensitiveKind.BANK_CARD, "12345", "*2345"),
        (SensitiveKind.OPEN_ID, "oAbC", "****"),
        (SensitiveKind.OPEN_ID, "oAbCd", "oAbC*"),
        (SensitiveKind.IP_ADDRESS, "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8:0:0:*"),
        (SensitiveKind.IP_ADDRESS, "2001:db8::1", "2001:db8:0:0:*"),
        (SensitiveKind.IP_ADDRESS, "fe80::1%eth0", "fe80:0:0:0:*"),
        (SensitiveKind.IP_ADDRESS, "::ffff:203.0.113.7", "203.0.113.*"),
        (SensitiveKind.IP_ADDRESS, "203.0.113", "*"),
        (SensitiveKind.IP_ADDRESS, "localhost", "*"),
        (SensitiveKind.IP_ADDRESS, "", "*"),
    ],
)
def test_edge_values(kind: SensitiveKind, clear: str, masked: str) -> None:
    assert mask(kind, clear) == masked


# --- properties --------------------------------------------------------------------


@given(mainland_mobiles())
def test_mainland_phone_shows_first_3_and_last_4_digits(national: str) -> None:
    masked = mask(SensitiveKind.PHONE, f"+86{national}")

    assert masked == f"{national[:3]}****{national[-4:]}"
    assert [c for c in masked if c.isdigit()] == list(national[:3] + national[-4:])


@pytest.mark.parametrize("tail", ["000000", "583920", "999999"])
def test_stored_mainland_mobile_is_masked_as_phonenumbers_reads_it(tail: str) -> None:
    """Stored mainland mobiles skip phonenumbers' parse; for every 5-digit prefix the
    mask is the one its national number, as phonenumbers reads it, gives."""
    for prefix in range(13000, 20000):
        stored = f"+86{prefix}{tail}"
        read = phonenumbers.parse(stored, None)
        national = phonenumbers.national_significant_number(read)

        assert read.country_code == 86
        assert mask(SensitiveKind.PHONE, stored) == f"{national[:3]}****{national[-4:]}"


@given(foreign_numbers())
def test_foreign_phone_shows_country_code_and_last_4_digits(number: tuple[int, str]) -> None:
    country_code, national = number

    masked = mask(SensitiveKind.PHONE, f"+{country_code}{national}")

    prefix = f"+{country_code}"
    assert masked.startswith(prefix)
    body = masked[len(prefix) :]
    assert len(body) == len(national)
    if len(national) <= 4:
        assert body == "*" * len(national)
    else:
        assert body[:-4] == "*" * (len(national) - 4)
        assert body[-4:] == national[-4:]


@given(st.emails())
def test_email_shows_first_character_and_domain_only(clear: str) -> None:
    local, _, domain = clear.rpartition("@")

    masked = mask(SensitiveKind.EMAIL, clear)

    assert masked == f"{local[0]}***@{domain}"
    # The local part's length is not given away either.
    assert masked.index("@") == 4


@given(person_names)
def test_person_name_shows_last_character_only(clear: str) -> None:
    masked = mask(SensitiveKind.PERSON_NAME, clear)

    assert len(masked) == len(clear)
    assert [c.isspace() for c in masked] == [c.isspace() for c in clear]
    letters = [i for i, c in enumerate(clear) if not c.isspace()]
    if len(letters) == 1:
        assert shown(masked) == []
    else:
        assert shown(masked) == [(letters[-1], clear[letters[-1]])]


@given(id_numbers())
def test_id_number_shows_first_and_last_character(clear: str) -> None:
    masked = mask(SensitiveKind.ID_NUMBER, clear)

    assert masked == clear[0] + "*" * 16 + clear[-1]
    assert shown(masked) == [(0, clear[0]), (17, clear[-1])]


@given(bank_cards())
def test_bank_card_shows_last_4_digits(clear: str) -> None:
    masked = mask(SensitiveKind.BANK_CARD, clear)

    assert len(masked) == len(clear)
    assert masked[-4:] == clear[-4:]
    assert masked[:-4] == "*" * (len(clear) - 4)


@given(open_ids)
def test_open_id_shows_first_4_characters(clear: str) -> None:
    masked = mask(SensitiveKind.OPEN_ID, clear)

    assert len(masked) == len(clear) == 28
    assert masked[:4] == clear[:4]
    assert masked[4:] == "*" * 24


@given(st.ip_addresses(v=4))
def test_ipv4_shows_first_three_octets(address: ipaddress.IPv4Address) -> None:
    octets = str(address).split(".")

    masked = mask(SensitiveKind.IP_ADDRESS, str(address))

    assert masked.split(".") == [*octets[:3], "*"]


@given(ipv6_addresses)
def test_ipv6_shows_first_four_groups(address: ipaddress.IPv6Address) -> None:
    groups = [group.lstrip("0") or "0" for group in address.exploded.split(":")[:4]]
    expected = ":".join(groups) + ":*"

    assert mask(SensitiveKind.IP_ADDRESS, str(address)) == expected
    assert mask(SensitiveKind.IP_ADDRESS, address.exploded) == expected
    assert mask(SensitiveKind.IP_ADDRESS, address.exploded.upper()) == expected


# A birth date has no masked form that is still a date: masked, it is withheld.
TEXT_KINDS = [kind for kind in SensitiveKind if kind is not SensitiveKind.BIRTH_DATE]


@given(st.sampled_from(TEXT_KINDS), st.text(min_size=1).filter(lambda t: "*" not in t))
def test_any_text_is_masked_without_failing(kind: SensitiveKind, clear: str) -> None:
    """Whatever is stored, the mask hides something of it and never raises."""
    assume(not clear.isspace())

    masked = mask(kind, clear)

    assert masked != clear
    assert "*" in masked


@pytest.mark.parametrize(
    "kind",
    [
        SensitiveKind.SEARCH_QUERY,
        SensitiveKind.SCHOOL,
        SensitiveKind.MAJOR,
        SensitiveKind.REQUEST_DETAILS,
        SensitiveKind.USER_AGENT,
    ],
)
@pytest.mark.parametrize(
    ("clear", "masked"),
    [
        ("chairs for kids", "c***** *** ****"),
        ("北京大学", "北***"),
        ("Mozilla/5.0 (X11; Linux x86_64)", "M********** ***** ***** *******"),
        ("  padded ", "  p***** "),
        ("x", "*"),
        ("a b", "a *"),
    ],
)
def test_free_text_keeps_its_first_character_and_its_spaces(
    kind: SensitiveKind, clear: str, masked: str
) -> None:
    assert mask(kind, clear) == masked
