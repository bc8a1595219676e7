"""Privacy policy versions."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from models import PrivacyPolicy as PolicyRow


@strawberry.type(description="One published version of the privacy policy; body in Markdown.")
class PrivacyPolicy:
    version: str
    effective_on: date
    published_at: datetime
    material: bool
    summary_of_changes: str | None
    body: str

    @classmethod
    def from_row(cls, row: PolicyRow) -> PrivacyPolicy:
        return cls(
            version=row.version,
            effective_on=row.effective_on,
            published_at=row.published_at,
            material=row.material,
            summary_of_changes=row.summary_of_changes,
            body=row.body,
        )
