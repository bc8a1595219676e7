"""Which open request lets staff read which kinds of a person's data, written out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auth.staff_scope import NEEDED_BY, request_needing
from models import DataRequest, DataRequestStatus, DataRequestType, SensitiveKind

K = SensitiveKind
EVERYTHING = set(SensitiveKind)
TO_REACH = {K.PHONE, K.EMAIL, K.REQUEST_DETAILS}
# A copy, a correction, a deletion, a complaint or an explanation concern everything the
# gateway holds; a consent change, a restriction or a cancellation only need to reach the
# person and to read what they asked.
EXPECTED = {
    DataRequestType.ACCESS_COPY: EVERYTHING,
    DataRequestType.PORTABILITY: EVERYTHING,
    DataRequestType.CORRECTION: EVERYTHING,
    DataRequestType.DELETION: EVERYTHING,
    DataRequestType.COMPLAINT: EVERYTHING,
    DataRequestType.EXPLANATION: EVERYTHING,
    DataRequestType.CONSENT_CHANGE: TO_REACH,
    DataRequestType.RESTRICTION: TO_REACH,
    DataRequestType.CANCELLATION: TO_REACH,
}


def request(request_type: DataRequestType) -> DataRequest:
    now = datetime.now(UTC)
    return DataRequest(
        type=request_type, status=DataRequestStatus.SUBMITTED, submitted_at=now, due_at=now
    )


def test_every_request_type_has_its_kinds() -> None:
    assert {kind: set(kinds) for kind, kinds in NEEDED_BY.items()} == EXPECTED


@pytest.mark.parametrize("kind", list(SensitiveKind))
def test_the_first_open_request_that_needs_the_kind_is_the_one_worked_on(
    kind: SensitiveKind,
) -> None:
    narrow, broad = request(DataRequestType.RESTRICTION), request(DataRequestType.COMPLAINT)

    worked_on = request_needing(kind, [narrow, broad])

    assert worked_on is (narrow if kind in TO_REACH else broad)
    assert request_needing(kind, []) is None
