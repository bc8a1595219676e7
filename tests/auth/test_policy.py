"""The reveal policy and the staff scope of docs/spec/masking-and-viewers.md#sensitive-fields
and docs/spec/masking-and-viewers.md#staff-reads, written out case by case.

Each row gives the decision for one kind and relation in the eight situations below,
in this order, one letter each (C = CLEAR, M = MASKED, F = FORBIDDEN,
S = STEP_UP_REQUIRED, O = OWN, the holder's own view):

    reveal                          -  -  -  -  R  R  R  R
    elevated                        -  -  E  E  -  -  E  E
    open request needing the kind   -  O  -  O  -  O  -  O

Staff read nothing of an account without an open request whose type needs the kind.
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
    (K.PHONE, R.STAFF):                       "FMFM FSFC",
    (K.PHONE, R.OTHER):                       "FFFF FFFF",

    (K.EMAIL, R.SELF):                        "MMMM SSCC",
    (K.EMAIL, R.ENTERPRISE_MANAGER):          "MMMM SSCC",
    (K.EMAIL, R.ENTERPRISE_MEMBER):           "FFFF FFFF",
    (K.EMAIL, R.STAFF):                       "FMFM FSFC",
    (K.EMAIL, R.OTHER):                       "FFFF FFFF",

    (K.PERSON_NAME, R.SELF):                  "MMMM SSCC",
    (K.PERSON_NAME, R.ENTERPRISE_MANAGER):    "FFFF FFFF",
    (K.PERSON_NAME, R.ENTERPRISE_MEMBER):     "FFFF FFFF",
    (K.PERSON_NAME, R.STAFF):                 "FMFM FSFC",
    (K.PERSON_NAME, R.OTHER):                 "FFFF FFFF",

    (K.ID_NUMBER, R.SELF):                    "MMMM SSCC",
    (K.ID_NUMBER, R.ENTERPRISE_MANAGER):      "FFFF FFFF",
    (K.ID_NUMBER, R.ENTERPRISE_MEMBER):       "FFFF FFFF",
    (K.ID_NUMBER, R.STAFF):                   "FMFM FSFC",
    (K.ID_NUMBER, R.OTHER):                   "FFFF FFFF",

    (K.OPEN_ID, R.SELF):                      "MMMM SSCC",
    (K.OPEN_ID, R.ENTERPRISE_MANAGER):        "FFFF FFFF",
    (K.OPEN_ID, R.ENTERPRISE_MEMBER):         "FFFF FFFF",
    (K.OPEN_ID, R.STAFF):                     "FMFM FSFC",
    (K.OPEN_ID, R.OTHER):                     "FFFF FFFF",

    (K.IP_ADDRESS, R.SELF):                   "MMMM SSCC",
    (K.IP_ADDRESS, R.ENTERPRISE_MANAGER):     "FFFF FFFF",
    (K.IP_ADDRESS, R.ENTERPRISE_MEMBER):      "FFFF FFFF",
    (K.IP_ADDRESS, R.STAFF):                  "FMFM FSFC",
    (K.IP_ADDRESS, R.OTHER):                  "FFFF FFFF",

    (K.BANK_CARD, R.SELF):                    "MMMM MMMM",
    (K.BANK_CARD, R.ENTERPRISE_MANAGER):      "FFFF FFFF",
    (K.BANK_CARD, R.ENTERPRISE_MEMBER):       "MMMM MMMM",
    (K.BANK_CARD, R.STAFF):                   "FMFM FMFM",
    (K.BANK_CARD, R.OTHER):                   "FFFF FFFF",

    (K.SEARCH_QUERY, R.SELF):                 "OOOO OOOO",
    (K.SEARCH_QUERY, R.ENTERPRISE_MANAGER):   "FFFF FFFF",
    (K.SEARCH_QUERY, R.ENTERPRISE_MEMBER):    "FFFF FFFF",
    (K.SEARCH_QUERY, R.STAFF):                "FMFM FSFC",
    (K.SEARCH_QUERY, R.OTHER):                "FFFF FFFF",

    (K.BIRTH_DATE, R.SELF):                   "OOOO OOOO",
    (K.BIRTH_DATE, R.ENTERPRISE_MANAGER):     "FFFF FFFF",
    (K.BIRTH_DATE, R.ENTERPRISE_MEMBER):      "FFFF FFFF",
    (K.BIRTH_DATE, R.STAFF):                  "FMFM FSFC",
    (K.BIRTH_DATE, R.OTHER):                  "FFFF FFFF",

    (K.SCHOOL, R.SELF):                       "OOOO OOOO",
    (K.SCHOOL, R.ENTERPRISE_MANAGER):         "FFFF FFFF",
    (K.SCHOOL, R.ENTERPRISE_MEMBER):          "FFFF FFFF",
    (K.SCHOOL, R.STAFF):                      "FMFM FSFC",
    (K.SCHOOL, R.OTHER):                      "FFFF FFFF",

    (K.MAJOR, R.SELF):                        "OOOO OOOO",
    (K.MAJOR, R.ENTERPRISE_MANAGER):          "FFFF FFFF",
    (K.MAJOR, R.ENTERPRISE_MEMBER):           "FFFF FFFF",
    (K.MAJOR, R.STAFF):                       "FMFM FSFC",
    (K.MAJOR, R.OTHER):                       "FFFF FFFF",

    (K.REQUEST_DETAILS, R.SELF):              "OOOO OOOO",
    (K.REQUEST_DETAILS, R.ENTERPRISE_MANAGER):"FFFF FFFF",
    (K.REQUEST_DETAILS, R.ENTERPRISE_MEMBER): "FFFF FFFF",
    (K.REQUEST_DETAILS, R.STAFF):             "FMFM FSFC",
    (K.REQUEST_DETAILS, R.OTHER):             "FFFF FFFF",

    (K.USER_AGENT, R.SELF):                   "OOOO OOOO",
    (K.USER_AGENT, R.ENTERPRISE_MANAGER):     "FFFF FFFF",
    (K.USER_AGENT, R.ENTERPRISE_MEMBER):      "FFFF FFFF",
    (K.USER_AGENT, R.STAFF):                  "FMFM FSFC",
    (K.USER_AGENT, R.OTHER):                  "FFFF FFFF",
}  # fmt: skip

LETTERS = {
    "C": Decision.CLEAR,
    "M": Decision.MASKED,
    "F": Decision.FORBIDDEN,
    "S": Decision.STEP_UP_REQUIRED,
    "O": Decision.OWN,
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


# The cases most easily misread in the table, each under its own name:
# (kind, relation, reveal, elevated, open request) and the decision.
NAMED_CASES = {
    "staff_reveal_without_open_request_is_forbidden_even_when_elevated": (K.PHONE, R.STAFF, True, True, False, Decision.FORBIDDEN),
    "self_reveal_without_step_up_requires_it": (K.ID_NUMBER, R.SELF, True, False, False, Decision.STEP_UP_REQUIRED),
    "bank_card_is_never_clear_even_for_its_elevated_owner": (K.BANK_CARD, R.SELF, True, True, True, Decision.MASKED),
    "staff_read_nothing_masked_without_a_request_that_needs_the_kind": (K.SEARCH_QUERY, R.STAFF, False, True, False, Decision.FORBIDDEN),
    "the_holder_reads_what_they_typed_as_it_is": (K.SEARCH_QUERY, R.SELF, False, False, False, Decision.OWN),
}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "relation", "reveal", "elevated", "open_request", "expected"),
    _cases() + [pytest.param(*case, id=name) for name, case in NAMED_CASES.items()],
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


@pytest.mark.parametrize(
    ("kind", "relation", "open_request"),
    list(product(SensitiveKind, Relation, [False, True])),
)
def test_without_a_reveal_step_up_changes_nothing(
    kind: SensitiveKind, relation: Relation, open_request: bool
) -> None:
    """A masked read does not ask whether the session stepped up (resolvers/masking)."""
    decisions = {
        decide(kind, relation, reveal=False, elevated=elevated, open_data_request=open_request)
        for elevated in (False, True)
    }

    assert len(decisions) == 1
    assert decisions <= {Decision.MASKED, Decision.OWN, Decision.FORBIDDEN}
