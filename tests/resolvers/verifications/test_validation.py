"""ID numbers, bank cards, verification codes and name matching
(docs/spec/settings.md#real-name-verification, docs/spec/settings.md#bank-cards).

Check characters are computed here with implementations written differently from the
module's (ISO 7064 weights as powers of two, Luhn by digit sums of the doubled digits),
so a shared mistake cannot make both sides agree.
"""

from __future__ import annotations

import string
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resolvers.verifications.validation import (
    BIN_TABLE,
    PROVINCE_CODES,
    CardNumber,
    IdNumber,
    card_issuer,
    luhn_valid,
    names_match,
    parse_card_number,
    parse_id_number,
    verification_code_valid,
)

TODAY = date(2025, 6, 15)
DIGITS = "0123456789"

# --- independent reference implementations ------------------------------------------------


def id_check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2: position i (1 = check character) weighs 2**(i-1) mod 11."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def make_id(
    province: str = "11", county: str = "0105", birth: str = "19491231", seq: str = "002"
) -> str:
    first17 = province + county + birth + seq
    assert len(first17) == 17
    return first17 + id_check_character(first17)


def luhn_reference(number: str) -> bool:
    doubled = "".join(str(int(d) * 2) if i % 2 else d for i, d in enumerate(reversed(number)))
    return sum(int(d) for d in doubled) % 10 == 0


def with_luhn_digit(body: str) -> str:
    [number] = [body + d for d in DIGITS if luhn_reference(body + d)]
    return number


def make_card(prefix: str, length: int) -> str:
    body = prefix + "3" * (length - len(prefix) - 1)
    return with_luhn_digit(body)


def test_the_reference_implementations_agree_with_published_samples() -> None:
    assert id_check_character("11010519491231002") == "X"  # GB 11643-1999's sample
    assert id_check_character("44052418800101001") == "4"  # its other sample
    assert luhn_reference("79927398713")
    assert luhn_reference("4111111111111111")
    assert not luhn_reference("79927398710")


# --- ID numbers -------------------------------------------------------------------------------


def test_a_published_sample_number_parses() -> None:
    assert parse_id_number("11010519491231002X", today=TODAY) == IdNumber(
        value="11010519491231002X",
        birth_date=date(1949, 12, 31),
        province_code="11",
        female=True,
    )


def test_a_male_number_parses() -> None:
    number = make_id("44", "0305", "19900307", "011")
    parsed = parse_id_number(number, today=TODAY)
    assert parsed is not None
    assert parsed.female is False
    assert parsed.province_code == "44"
    assert parsed.birth_date == date(1990, 3, 7)


def test_a_lower_case_x_and_surrounding_spaces_are_accepted_and_normalised() -> None:
    parsed = parse_id_number("  11010519491231002x \t", today=TODAY)
    assert parsed is not None
    assert parsed.value == "11010519491231002X"


@pytest.mark.parametrize("birth", ["19000101", TODAY.strftime("%Y%m%d"), "20000229", "19491231"])
def test_birth_dates_at_the_edges_are_accepted(birth: str) -> None:
    assert parse_id_number(make_id(birth=birth), today=TODAY) is not None


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("11010519491231002", "17 characters"),
        ("11010519491231002X0", "19 characters"),
        ("110105491231002", "the 15-digit format of before 1999"),
        ("11010519491231002A", "a letter other than X"),
        ("X1010519491231002X", "a letter among the first 17"),
        ("1101051949123100X2", "X before the last position"),
        ("110105194912310021", "bad check character"),
        ("110105194912310020", "bad check character"),
        ("110105 19491231002X", "inner space"),
        ("１１０１０５１９４９１２３１００２Ｘ", "full-width digits"),
        ("440524188001010014", "valid check, born before 1900"),
        (make_id(birth="18991231"), "born before 1900"),
        (make_id(birth="19990230"), "no 30 February"),
        (make_id(birth="19990229"), "1999 is no leap year"),
        (make_id(birth="19991301"), "month 13"),
        (make_id(birth="19990100"), "day 0"),
        (make_id(birth="00000101"), "year 0"),
        (make_id(birth=(TODAY + timedelta(days=1)).strftime("%Y%m%d")), "born tomorrow"),
        (make_id(birth="20991231"), "born in the future"),
        (make_id(province="99"), "unknown province 99"),
        (make_id(province="00"), "unknown province 00"),
        (make_id(province="10"), "unknown province 10"),
        (make_id(province="72"), "unknown province 72"),
    ],
)
def test_invalid_numbers_are_refused(raw: str, why: str) -> None:
    assert parse_id_number(raw, today=TODAY) is None, why


def test_the_province_codes_are_gb_t_2260s() -> None:
    expected = (
        "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
        "50 51 52 53 54 61 62 63 64 65 71 81 82"
    )
    assert sorted(PROVINCE_CODES) == expected.split()


valid_id_parts = st.tuples(
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.text(DIGITS, min_size=4, max_size=4),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.text(DIGITS, min_size=3, max_size=3),
)


@given(valid_id_parts)
def test_any_number_with_a_valid_date_province_and_check_character_parses(
    parts: tuple[str, str, date, str],
) -> None:
    province, county, birth, seq = parts
    number = make_id(province, county, birth.strftime("%Y%m%d"), seq)

    assert parse_id_number(number, today=TODAY) == IdNumber(
        value=number,
        birth_date=birth,
        province_code=province,
        female=int(seq[2]) % 2 == 0,
    )
    assert parse_id_number(number.lower(), today=TODAY) == parse_id_number(number, today=TODAY)


@given(valid_id_parts, st.integers(min_value=0, max_value=17), st.data())
def test_changing_any_single_character_makes_a_number_invalid(
    parts: tuple[str, str, date, str], position: int, data: st.DataObject
) -> None:
    province, county, birth, seq = parts
    number = make_id(province, county, birth.strftime("%Y%m%d"), seq)
    alphabet = DIGITS + "X" if position == 17 else DIGITS
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]

    assert parse_id_number(changed, today=TODAY) is None


# --- Luhn and card numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111111",  # Visa test number
        "5555555555554444",  # Mastercard test number
        "378282246310005",  # American Express test number
        "6011111111111117",  # Discover test number
        "79927398713",  # the textbook example
        "0",
    ],
)
def test_luhn_accepts_known_valid_numbers(number: str) -> None:
    assert luhn_valid(number)
    assert luhn_reference(number)


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111112",
        "79927398710",
        "6222021234567890123",
        "",
        "4111-1111-1111-1111",
        " 4111111111111111",
        "41111111111111a1",
        "４１１１１１１１１１１１１１１１",
    ],
)
def test_luhn_refuses_invalid_numbers_and_non_digits(number: str) -> None:
    assert not luhn_valid(number)


def test_a_card_number_parses_with_its_issuer() -> None:
    number = make_card("622202", 19)
    assert parse_card_number(number) == CardNumber(
        value=number, last4=number[-4:], card_type="DEBIT", bank_name="中国工商银行"
    )


def test_spaces_and_dashes_are_dropped() -> None:
    parsed = parse_card_number(" 4111 1111-1111 1111 ")
    assert parsed == CardNumber(
        value="4111111111111111", last4="1111", card_type="UNKNOWN", bank_name=None
    )


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("79927398713", "11 digits, Luhn-valid"),
        (make_card("4", 20), "20 digits, Luhn-valid"),
        ("4111111111111112", "Luhn fails"),
        ("", "empty"),
        ("4111.1111.1111.1111", "dots are no separators"),
        ("4111\t1111\t1111\t1111", "tabs are no separators"),
        ("４１１１１１１１１１１１１１１１", "full-width digits"),
        ("411111111111111X", "a letter"),
    ],
)
def test_invalid_card_numbers_are_refused(raw: str, why: str) -> None:
    assert parse_card_number(raw) is None, why


@pytest.mark.parametrize("length", [12, 16, 19])
def test_the_accepted_lengths(length: int) -> None:
    assert parse_card_number(make_card("4", length)) is not None


@given(st.text(DIGITS, min_size=11, max_size=18))
def test_any_luhn_valid_number_of_12_to_19_digits_parses(body: str) -> None:
    number = with_luhn_digit(body)
    assert luhn_valid(number)
    parsed = parse_card_number(number)
    assert parsed is not None
    assert parsed.value == number
    assert parsed.last4 == number[-4:]


@given(st.text(DIGITS, min_size=11, max_size=18), st.data())
def test_changing_any_single_digit_breaks_luhn(body: str, data: st.DataObject) -> None:
    number = with_luhn_digit(body)
    position = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
    replacement = data.draw(st.sampled_from([d for d in DIGITS if d != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]

    assert not luhn_valid(changed)
    assert parse_card_number(changed) is None


@given(st.text(DIGITS, min_size=1, max_size=25))
def test_luhn_agrees_with_the_reference(number: str) -> None:
    assert luhn_valid(number) == luhn_reference(number)


@pytest.mark.parametrize(
    ("prefix", "length", "bank", "card_type"),
    [
        ("622202", 19, "中国工商银行", "DEBIT"),
        ("622208", 19, "中国工商银行", "DEBIT"),
        ("427020", 16, "中国工商银行", "CREDIT"),
        ("622700", 19, "中国建设银行", "DEBIT"),
        ("622166", 16, "中国建设银行", "CREDIT"),
        ("622848", 19, "中国农业银行", "DEBIT"),
        ("622836", 16, "中国农业银行", "CREDIT"),
        ("601382", 19, "中国银行", "DEBIT"),
        ("625908", 16, "中国银行", "CREDIT"),
        ("622260", 19, "交通银行", "DEBIT"),
        ("458123", 16, "交通银行", "CREDIT"),
        ("622588", 16, "招商银行", "DEBIT"),
        ("622575", 16, "招商银行", "CREDIT"),
        # UnionPay's range, no known issuer: the scheme alone tells neither bank nor type.
        ("621234", 19, None, "UNKNOWN"),
        ("62", 16, None, "UNKNOWN"),
        # Outside the table altogether.
        ("411111", 16, None, "UNKNOWN"),
        ("9", 12, None, "UNKNOWN"),
    ],
)
def test_issuer_and_type_come_from_the_bin(
    prefix: str, length: int, bank: str | None, card_type: str
) -> None:
    parsed = parse_card_number(make_card(prefix, length))
    assert parsed is not None
    assert (parsed.bank_name, parsed.card_type) == (bank, card_type)


def test_the_longest_prefix_wins() -> None:
    # "62" and "622202" both match; the specific issuer prefix decides.
    assert card_issuer("6222023333333333333") == ("中国工商银行", "DEBIT")
    assert card_issuer("6229993333333333333") == (None, "UNKNOWN")
    assert card_issuer("6") == (None, "UNKNOWN")
    assert card_issuer("") == (None, "UNKNOWN")


def test_the_bin_table_is_well_formed() -> None:
    prefixes = [prefix for prefix, _, _ in BIN_TABLE]
    assert len(prefixes) == len(set(prefixes))
    for prefix, bank, card_type in BIN_TABLE:
        assert prefix.isascii()
        assert prefix.isdigit()
        assert card_type in {"DEBIT", "CREDIT", "UNKNOWN"}
        assert (bank is None) == (card_type == "UNKNOWN")


# --- verification codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["ABCDE12345", "a" * 16, "0123456789", "0123456789abcdef", "Xy7Zq2Lm9P0"]
)
def test_verification_codes_of_10_to_16_letters_or_digits_are_valid(code: str) -> None:
    assert verification_code_valid(code)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "ABCDE1234",  # 9
        "A" * 17,
        "ABCDE-12345",
        "ABCDE 12345",
        " ABCDE12345",
        "ABCDE12345\n",
        "ＡＢＣＤＥ12345",  # full-width letters
        "ABCDE١٢٣٤٥",  # Arabic-Indic digits
        "ÀBCDE12345",
        "学信网验证码1234",
    ],
)
def test_other_verification_codes_are_invalid(code: str) -> None:
    assert not verification_code_valid(code)


@given(
    st.text(max_size=20)
    | st.text(string.ascii_letters + string.digits + " -_é٣", min_size=8, max_size=18)
)
def test_verification_codes_are_exactly_ascii_alphanumerics(code: str) -> None:
    expected = 10 <= len(code) <= 16 and code.isascii() and code.isalnum()
    assert verification_code_valid(code) == expected


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("张三", "张三"),
        ("张三", "  张三 "),
        ("Ann Lee", "Ann   Lee"),
        ("Ann Lee", "Ann\tLee\n"),
        ("Ann Lee", "Ａｎｎ　Ｌｅｅ"),  # full-width letters and ideographic space
        ("买买提·艾力", " 买买提·艾力"),
    ],
)
def test_names_that_match(a: str, b: str) -> None:
    assert names_match(a, b)
    assert names_match(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("张三", "张四"),
        ("张三", "张 三"),
        ("Ann Lee", "ann lee"),
        ("Ann Lee", "AnnLee"),
        ("张三", ""),
    ],
)
def test_names_that_do_not_match(a: str, b: str) -> None:
    assert not names_match(a, b)
    assert not names_match(b, a)


@given(st.text(max_size=20), st.text(max_size=20))
def test_name_matching_is_reflexive_and_symmetric(a: str, b: str) -> None:
    assert names_match(a, a)
    assert names_match(a, b) == names_match(b, a)
