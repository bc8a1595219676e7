"""Age rules for minors (docs/spec/privacy-centre.md#minors)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

MINIMUM_AGE = 14
ADULT_AGE = 18


class AgeGroup(StrEnum):
    UNDER_14 = "UNDER_14"
    MINOR = "MINOR"  # 14 to 17: needs a guardian's consent
    ADULT = "ADULT"


def age_on(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def age_group(birth_date: date, today: date) -> AgeGroup:
    age = age_on(birth_date, today)
    if age < MINIMUM_AGE:
        return AgeGroup.UNDER_14
    if age < ADULT_AGE:
        return AgeGroup.MINOR
    return AgeGroup.ADULT
