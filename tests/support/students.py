"""A student verification as the app stores it, for tests whose student's studies are
not the point."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from models import StudentVerification
from tests.support.factories import verification


def student_verification(
    account_id: uuid.UUID, submitted_at: datetime, **columns: Any
) -> StudentVerification:
    """A verified student's verification (`verification`), not yet added to a session:
    Design at Peking University from 2023 to 2027 unless `columns` say otherwise."""
    studies = {
        "school": "Peking University",
        "major": "Design",
        "enrolled_on": date(2023, 9, 1),
        "graduates_on": date(2027, 7, 1),
    }
    return verification(StudentVerification, account_id, submitted_at, **{**studies, **columns})
