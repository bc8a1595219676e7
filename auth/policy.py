"""Who may read a sensitive value, and how (docs/spec/masking-and-viewers.md#sensitive-fields).

The table below is the rule as data: one row per kind, one rule per relation.
``decide`` only applies a rule to the request at hand (``reveal``, step-up, an open
data request whose type needs the kind); it holds no policy of its own.
"""

from __future__ import annotations

from enum import Enum, StrEnum

from auth.relations import Relation
from models.sensitive import SensitiveKind


class Decision(StrEnum):
    CLEAR = "CLEAR"
    # The holder reading what they gave: shown as it is, not an event worth logging.
    OWN = "OWN"
    MASKED = "MASKED"
    FORBIDDEN = "FORBIDDEN"
    STEP_UP_REQUIRED = "STEP_UP_REQUIRED"


class Rule(Enum):
    """One cell of the table."""

    STEP_UP = "masked; clear with step-up"
    # Staff read nothing of an account without an open request whose type needs it.
    STEP_UP_AND_REQUEST = "with a matching open request: masked; clear with step-up"
    MASKED_ONLY = "masked, never clear"
    MASKED_WITH_REQUEST = "with a matching open request: masked, never clear"
    HOLDER = "clear to the person it describes"
    FORBIDDEN = "FORBIDDEN"


_CONTACT = {
    Relation.SELF: Rule.STEP_UP,
    Relation.ENTERPRISE_MANAGER: Rule.STEP_UP,
    Relation.ENTERPRISE_MEMBER: Rule.FORBIDDEN,
    Relation.STAFF: Rule.STEP_UP_AND_REQUEST,
    Relation.OTHER: Rule.FORBIDDEN,
}

_IDENTITY = {
    Relation.SELF: Rule.STEP_UP,
    Relation.ENTERPRISE_MANAGER: Rule.FORBIDDEN,
    Relation.ENTERPRISE_MEMBER: Rule.FORBIDDEN,
    Relation.STAFF: Rule.STEP_UP_AND_REQUEST,
    Relation.OTHER: Rule.FORBIDDEN,
}

# A bank card is never shown in clear, not even to its owner after step-up: "masked,
# never clear" (docs/spec/masking-and-viewers.md#sensitive-fields), and the full number
# is not returned after binding. A reveal of it is therefore answered masked rather than
# refused, like a field that has no clear form. A sub-account reaches its enterprise's
# cards only with MANAGE_BILLING (docs/spec/masking-and-viewers.md#reading-account-fields,
# checked where the list is read); it sees the numbers masked, as the owner does.
_BANK_CARD = {
    Relation.SELF: Rule.MASKED_ONLY,
    Relation.ENTERPRISE_MANAGER: Rule.FORBIDDEN,
    Relation.ENTERPRISE_MEMBER: Rule.MASKED_ONLY,
    Relation.STAFF: Rule.MASKED_WITH_REQUEST,
    Relation.OTHER: Rule.FORBIDDEN,
}

# What a person typed or did (searches, schools, requests, devices, birth date): theirs
# to read as they gave it, masked to staff working a request that needs it, refused to
# everyone else.
_HOLDER = {
    Relation.SELF: Rule.HOLDER,
    Relation.ENTERPRISE_MANAGER: Rule.FORBIDDEN,
    Relation.ENTERPRISE_MEMBER: Rule.FORBIDDEN,
    Relation.STAFF: Rule.STEP_UP_AND_REQUEST,
    Relation.OTHER: Rule.FORBIDDEN,
}

TABLE: dict[SensitiveKind, dict[Relation, Rule]] = {
    SensitiveKind.PHONE: _CONTACT,
    SensitiveKind.EMAIL: _CONTACT,
    SensitiveKind.PERSON_NAME: _IDENTITY,
    SensitiveKind.ID_NUMBER: _IDENTITY,
    SensitiveKind.OPEN_ID: _IDENTITY,
    SensitiveKind.IP_ADDRESS: _IDENTITY,
    SensitiveKind.BANK_CARD: _BANK_CARD,
    SensitiveKind.SEARCH_QUERY: _HOLDER,
    SensitiveKind.BIRTH_DATE: _HOLDER,
    SensitiveKind.SCHOOL: _HOLDER,
    SensitiveKind.MAJOR: _HOLDER,
    SensitiveKind.REQUEST_DETAILS: _HOLDER,
    SensitiveKind.USER_AGENT: _HOLDER,
}


def decide(
    kind: SensitiveKind,
    relation: Relation,
    *,
    reveal: bool,
    elevated: bool,
    open_data_request: bool,
) -> Decision:
    """How a value of ``kind`` is shown to a viewer with ``relation`` to its account.

    ``reveal``: the field was asked with ``reveal: true``. ``elevated``: the viewer's
    session is stepped up. ``open_data_request``: the account has an open data request
    whose type needs this kind (it only matters to staff). Where the table says
    FORBIDDEN, neither ``reveal`` nor step-up changes anything.
    """
    rule = TABLE[kind][relation]
    if rule is Rule.FORBIDDEN:
        return Decision.FORBIDDEN
    if rule is Rule.HOLDER:
        return Decision.OWN
    needs_request = rule in (Rule.STEP_UP_AND_REQUEST, Rule.MASKED_WITH_REQUEST)
    if needs_request and not open_data_request:
        return Decision.FORBIDDEN
    if not reveal or rule in (Rule.MASKED_ONLY, Rule.MASKED_WITH_REQUEST):
        return Decision.MASKED
    return Decision.CLEAR if elevated else Decision.STEP_UP_REQUIRED
