"""The reveal policy against RULES.md section 3, written out case by case.

Each row gives the decision for one kind and relation in the eight situations below,
in this order, one letter each (C = CLEAR, M = MASKED, F = FORBIDDEN,
S = STEP_UP_REQUIRED):

    reveal        -  -  -  -  R  R  R  R
    elevated      -  -  E  E  -  -  E  E
    open request  -  O  -  O  -  O  -  O
"""

from __future__ import annotations

from itertools import product

import pytest

from auth.policy import Decision, decide
from auth.relations import Relation
from models.sensitive import SensitiveKind

K = SensitiveKind
R = Relation

EXPECTED: dict[tuple[SensitiveKind, Relation], str] = {
    (K.PHONE, R.SELF):                        "MMMM SSCC",
    (K.PHONE, R.ENTERPRISE_MANAGER):          "MMMM SSCC",
    (K.PHONE, R.ENTERPRISE_MEMBER):           "FFFF FFFF",
    (K.PHONE, R.STAFF):                       "MMMM FSFC",
    (K.PHONE, R.OTHER):                       "FFFF FFFF",

    (K.EMAIL, R.SELF):                        "MMMM SSCC",
    (K.EMAIL, R.ENTERPRISE_MANAGER):          "MMMM SSCC",
    (K.EMAIL, R.ENTERPRISE_MEMBER):           "FFFF FFFF",
    (K.EMAIL, R.STAFF):                       "MMMM FSFC",
    (K.EMAIL, R.OTHER):                       "FFFF FFFF",

    (K.PERSON_NAME, R.SELF):                  "MMMM SSCC",
    (K.PERSON_NAME, R.ENTERPRISE_MANAGER):    "FFFF FFFF",
    (K.PERSON_NAME, R.ENTERPRISE_MEMBER):     "FFFF FFFF",
    (K.PERSON_NAME, R.STAFF):                 "MMMM FSFC",
    (K.PERSON_NAME, R.OTHER):                 "FFFF FFFF",

    (K.ID_NUMBER, R.SELF):                    "MMMM SSCC",
    (K.ID_NUMBER, R.ENTERPRISE_MANAGER):      "FFFF FFFF",
    (K.ID_NUMBER, R.ENTERPRISE_MEMBER):       "FFFF FFFF",
    (K.ID_NUMBER, R.STAFF):                   "MMMM FSFC",
    (K.ID_NUMBER, R.OTHER):                   "FFFF FFFF",

    (K.OPEN_ID, R.SELF):                      "MMMM SSCC",
    (K.OPEN_ID, R.ENTERPRISE_MANAGER):        "FFFF FFFF",
    (K.OPEN_ID, R.ENTERPRISE_MEMBER):         "FFFF FFFF",
    (K.OPEN_ID, R.STAFF):                     "MMMM FSFC",
    (K.OPEN_ID, R.OTHER):                     "FFFF FFFF",

    (K.IP_ADDRESS, R.SELF):                   "MMMM SSCC",
    (K.IP_ADDRESS, R.ENTERPRISE_MANAGER):     "FFFF FFFF",
    (K.IP_ADDRESS, R.ENTERPRISE_MEMBER):      "FFFF FFFF",
    (K.IP_ADDRESS, R.STAFF):                  "MMMM FSFC",
    (K.IP_ADDRESS, R.OTHER):                  "FFFF FFFF",

    (K.BANK_CARD, R.SELF):                    "MMMM MMMM",
    (K.BANK_CARD, R.ENTERPRISE_MANAGER):      "FFFF FFFF",
    (K.BANK_CARD, R.ENTERPRISE_MEMBER):       "MMMM MMMM",
    (K.BANK_CARD, R.STAFF):                   "MMMM MMMM",
    (K.BANK_CARD, R.OTHER):                   "FFFF FFFF",
}  # fmt: skip

LETTERS = {
    "C": Decision.CLEAR,
    "M": Decision.MASKED,
    "F": Decision.FORBIDDEN,
    "S": Decision.STEP_UP_REQUIRED,
}

SITUATIONS = list(product([False, True], repeat=3))  # (reveal, elevated, open request)


def _cases() -> list[tuple[SensitiveKind, Relation, bool, bool, bool, Decision]]:
    cases = []
    for (kind, relation), row in EXPECTED.items():
        letters = row.replace(" ", "")
        for (reveal, elevated, open_request), letter in zip(SITUATIONS, letters, strict=True):
            cases.append((kind, relation, reveal, elevated, open_request, LETTERS[letter]))
    return cases


def test_expected_table_covers_every_kind_and_relation() -> None:
    assert set(EXPECTED) == set(product(SensitiveKind, Relation))
    assert len(_cases()) == len(SensitiveKind) * len(Relation) * 8


@pytest.mark.parametrize(
    ("kind", "relation", "reveal", "elevated", "open_request", "expected"), _cases()
)
def test_decide(
    kind: SensitiveKind,
    relation: Relation,
    reveal: bool,
    elevated: bool,
    open_request: bool,
    expected: Decision,
) -> None:
    decision = decide(
        kind, relation, reveal=reveal, elevated=elevated, open_data_request=open_request
    )

    assert decision is expected


def test_staff_reveal_without_open_request_is_forbidden_even_when_elevated() -> None:
    decision = decide(
        SensitiveKind.PHONE,
        Relation.STAFF,
        reveal=True,
        elevated=True,
        open_data_request=False,
    )

    assert decision is Decision.FORBIDDEN


def test_self_reveal_without_step_up_requires_it() -> None:
    decision = decide(
        SensitiveKind.ID_NUMBER,
        Relation.SELF,
        reveal=True,
        elevated=False,
        open_data_request=False,
    )

    assert decision is Decision.STEP_UP_REQUIRED


def test_bank_card_is_never_clear_even_for_its_elevated_owner() -> None:
    decision = decide(
        SensitiveKind.BANK_CARD,
        Relation.SELF,
        reveal=True,
        elevated=True,
        open_data_request=True,
    )

    assert decision is Decision.MASKED
