"""Which open rights request lets staff read which kinds of a person's data.

Staff read an account's personal fields only to work one of its open requests, and only
the kinds that request's type needs: a copy, a correction, a deletion, a complaint or an
explanation concerns everything held; a consent change, a restriction or a cancellation
needs only the way to reach the person and what their request says.
"""

from __future__ import annotations

from collections.abc import Iterable

from models import DataRequest, DataRequestType, SensitiveKind

EVERYTHING = frozenset(SensitiveKind)
TO_REACH_THE_PERSON = frozenset(
    {SensitiveKind.PHONE, SensitiveKind.EMAIL, SensitiveKind.REQUEST_DETAILS}
)

NEEDED_BY: dict[DataRequestType, frozenset[SensitiveKind]] = {
    DataRequestType.ACCESS_COPY: EVERYTHING,
    DataRequestType.PORTABILITY: EVERYTHING,
    DataRequestType.CORRECTION: EVERYTHING,
    DataRequestType.DELETION: EVERYTHING,
    DataRequestType.COMPLAINT: EVERYTHING,
    DataRequestType.EXPLANATION: EVERYTHING,
    DataRequestType.CONSENT_CHANGE: TO_REACH_THE_PERSON,
    DataRequestType.RESTRICTION: TO_REACH_THE_PERSON,
    DataRequestType.CANCELLATION: TO_REACH_THE_PERSON,
}


def request_needing(
    kind: SensitiveKind, open_requests: Iterable[DataRequest]
) -> DataRequest | None:
    """The first of the open requests (oldest first) whose type needs ``kind``."""
    return next((r for r in open_requests if kind in NEEDED_BY[r.type]), None)
