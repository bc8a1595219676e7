"""What the settings, verification, bank-card and account-graph tests submit, and the
answers they compare against (their viewers come from tests/support/viewers.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.identity_verifier import (
    VerificationOutcome,
    VerificationRequest,
    VerificationUnavailable,
)
from models import (
    Account,
    BankCard,
    Base,
    Consent,
    ConsentEvent,
    ConsentPurpose,
    IdentityProvider,
    LoginEvent,
    LoginMethod,
    RealNameVerification,
    StudentVerification,
    ThirdPartyIdentity,
)
from tests.conftest import Clock
from tests.support.factories import bank_card, verification

USER_ERRORS = "userErrors { field code message }"
Row = TypeVar("Row", BankCard, RealNameVerification, StudentVerification)


# --- expected answers ------------------------------------------------------------------


def error(code: str, message: str, *field: str) -> dict[str, Any]:
    """One entry of a payload's userErrors."""
    return {"field": list(field) or None, "code": code, "message": message}


def top_level(query: str, field: str, code: str, message: str) -> dict[str, Any]:
    """The whole answer when the root field `field` (first in `query`) is refused."""
    for number, line in enumerate(query.splitlines(), start=1):
        column = line.find(f"{field}(")
        if column >= 0:
            location = {"line": number, "column": column + 1}
            break
    else:
        raise AssertionError(f"{field} is not in the query")
    return {
        "data": None,
        "errors": [
            {
                "message": message,
                "locations": [location],
                "path": [field],
                "extensions": {"code": code},
            }
        ],
    }


def unauthenticated(query: str, field: str) -> dict[str, Any]:
    return top_level(query, field, "UNAUTHENTICATED", "Sign in first.")


def forbidden_for_staff(query: str, field: str) -> dict[str, Any]:
    return top_level(query, field, "FORBIDDEN", "Only an account may do this.")


STEP_UP_REQUIRED = error("STEP_UP_REQUIRED", "Confirm it is you (elevateSession), then try again.")


async def count(db: AsyncSession, model: type[Base], **where: Any) -> int:
    """Rows of `model` whose columns equal `where`."""
    statement = select(func.count()).select_from(model)
    for name, value in where.items():
        statement = statement.where(getattr(model, name) == value)
    return int(await db.scalar(statement) or 0)


async def only_row(db: AsyncSession, model: type[Row], account_id: uuid.UUID) -> Row:
    """The one row of `model` that the account holds (it fails if there is none or more)."""
    rows = await db.scalars(select(model).where(model.account_id == account_id))
    return rows.one()


async def grants(
    db: AsyncSession, account_id: uuid.UUID, purpose: ConsentPurpose
) -> tuple[int, int]:
    """How the account's separate consent to `purpose` stands: the events granting it
    under policy 1.0, and the consents holding it granted."""
    return (
        await count(
            db,
            ConsentEvent,
            account_id=account_id,
            purpose=purpose,
            granted=True,
            policy_version="1.0",
        ),
        await count(db, Consent, account_id=account_id, purpose=purpose, granted=True),
    )


async def reloaded(db: AsyncSession, account: Account) -> Account:
    """The account as the requests left it (the test's session caches rows)."""
    await db.refresh(account)
    return account


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def years_before(today: date, years: int) -> date:
    """The date `years` before `today`; 29 February becomes the 28th."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


# --- what people submit --------------------------------------------------------------


def id_check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2, written independently of the gateway's table of weights:
    the digit at position i from the right (the check character is position 1) weighs
    2**(i-1) mod 11, and the check value makes the weighted sum 1 modulo 11."""
    total = sum(int(digit) * pow(2, 17 - i, 11) for i, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def resident_id(birth: date, *, region: str = "110105", sequence: str = "001") -> str:
    """A well-formed mainland resident ID number of someone born on `birth`."""
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    return first17 + id_check_character(first17)


class StubVerifier:
    """A verification provider that answers as told (None: it does not answer)."""

    def __init__(self, outcome: VerificationOutcome | None) -> None:
        self.outcome = outcome
        self.requests: list[VerificationRequest] = []

    async def verify(self, request: VerificationRequest) -> VerificationOutcome:
        self.requests.append(request)
        if self.outcome is None:
            raise VerificationUnavailable(f"{request.kind} verification unavailable: test")
        return self.outcome


async def add_personal_data(
    db: AsyncSession, account: Account, clock: Clock, *, card_number: str = "6222020200112345679"
) -> None:
    """A WeChat identity, verified real name and student status, a card, two sign-ins.

    Written as rows, committed: what an account holds after using the settings for a while.
    """
    now = clock()
    identity = ThirdPartyIdentity(
        account_id=account.id,
        provider=IdentityProvider.WECHAT,
        nickname="微信用户",
        created_at=now,
    )
    identity.open_id = f"o-{account.id.hex}"
    id_number = resident_id(years_before(now.date(), 30))
    real_name = verification(
        RealNameVerification, account.id, now, verified_at=now, id_number=id_number
    )
    student = verification(
        StudentVerification,
        account.id,
        now,
        school="复旦大学",
        major="Physics",
        enrolled_on=date(2023, 9, 1),
        graduates_on=date(2027, 7, 1),
        verified_at=now,
        id_number=id_number,
    )
    card = bank_card(
        account.id, card_number, now, bank_name="中国工商银行", branch="Haidian branch"
    )
    sign_ins = []
    for minutes, success in ((2, False), (1, True)):
        event = LoginEvent(
            account_id=account.id,
            created_at=now - timedelta(minutes=minutes),
            method=LoginMethod.SMS_CODE,
            success=success,
            user_agent="Mozilla/5.0",
        )
        event.ip_address = "203.0.113.7"
        sign_ins.append(event)
    db.add_all([identity, real_name, student, card, *sign_ins])
    await db.commit()
