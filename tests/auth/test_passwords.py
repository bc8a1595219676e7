"""The password rule: 12 to 128 characters counted as code points, any Unicode, no
composition rules, and not on the shipped list of breached passwords."""

from __future__ import annotations

import gzip

import pytest

from auth.passwords import (
    BREACHED_PASSWORDS_FILE,
    breached_passwords,
    must_change_password,
    password_problem,
)

TOO_SHORT = "The password needs at least 12 characters."
TOO_LONG = "The password may have at most 128 characters."
BREACHED = "This password is on a list of passwords known from data breaches; choose another."


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", TOO_SHORT),
        ("Str0ng-Pw1!", TOO_SHORT),  # 11 characters, once acceptable
        ("abcdefghijkl", BREACHED),
        ("mnbvcxzlkjhgf", None),  # letters only: no composition rules
        ("839201746532", None),  # digits only
        ("correct horse battery staple", None),  # spaces count
        ("我的密码是一只小猫咪吗", TOO_SHORT),  # 11 code points, 33 bytes
        ("我的密码是一只小猫咪吃鱼", None),  # 12 code points
        ("🐱🐶🐭🐹🐰🦊🐻🐼🐨🐯🦁🐮", None),  # 12 emoji, each one code point
        ("🐱🐶🐭🐹🐰🦊🐻🐼🐨🐯🦁", TOO_SHORT),
        ("x" * 128, None),
        ("x" * 129, TOO_LONG),
        ("密" * 129, TOO_LONG),
        ("1qaz2wsx3edc", BREACHED),
        ("qwertyuiop123", BREACHED),
        ("QwertyUIOP123", BREACHED),  # another case
        ("ｑｗｅｒｔｙｕｉｏｐ１２３", BREACHED),  # full-width, as CJK input methods type it
        ("qwertyuiop1234", None),
    ],
)
def test_the_rule(password: str, problem: str | None) -> None:
    assert password_problem(password) == problem
    assert must_change_password(password) is (problem is not None)


def test_the_shipped_list_holds_the_100000_most_common_passwords() -> None:
    with gzip.open(BREACHED_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        listed = [line.rstrip("\n") for line in lines]

    assert len(listed) == 100_000
    assert listed[:5] == ["123456", "password", "12345678", "qwerty", "123456789"]
    assert listed[-1] == "070162"
    # Compared case-folded, so case variants collapse; each listed password is refused
    # once long enough to reach the list.
    assert len(breached_passwords()) == 96_518
    assert all(password_problem(p) == BREACHED for p in listed if len(p) >= 12)


def test_the_list_is_read_once_into_a_set() -> None:
    assert breached_passwords() is breached_passwords()
    assert isinstance(breached_passwords(), frozenset)
