"""Small factories for test data as the app stores it: accounts and data requests (added
and flushed), and the verification and bank-card rows an account holds (made, for the
test to add)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ANSWER_WITHIN,
    OPEN_STATUSES,
    Account,
    AccountKind,
    BankCard,
    BankCardType,
    DataRequest,
    DataRequestStatus,
    DataRequestType,
    RealNameVerification,
    StudentVerification,
    VerificationStatus,
)

HOLDER = "张三"
ID_NUMBER = "11010519491231002X"
STUDENT_CODE = "ABCD1234EFGH"


async def create_account(
    session: AsyncSession,
    *,
    kind: AccountKind = AccountKind.INDIVIDUAL,
    display_name: str = "Someone",
    created_at: datetime | None = None,
    enterprise: Account | None = None,
    **columns: object,
) -> Account:
    moment = created_at or datetime.now(UTC)
    # Every account accepted the policy in force when it registered.
    columns.setdefault("accepted_policy_version", "1.0")
    columns.setdefault("accepted_policy_at", moment)
    account = Account(
        kind=kind,
        display_name=display_name,
        created_at=moment,
        enterprise_id=enterprise.id if enterprise is not None else None,
        **columns,
    )
    session.add(account)
    await session.flush()
    return account


async def create_data_request(
    db: AsyncSession,
    account: Account,
    submitted_at: datetime,
    *,
    type: DataRequestType = DataRequestType.ACCESS_COPY,
    status: DataRequestStatus = DataRequestStatus.SUBMITTED,
) -> DataRequest:
    """A request as submitDataRequest stores it, submitted at `submitted_at`."""
    request = DataRequest(
        account_id=account.id,
        type=type,
        status=status,
        submitted_at=submitted_at,
        due_at=submitted_at + ANSWER_WITHIN,
        resolved_at=None if status in OPEN_STATUSES else submitted_at,
    )
    db.add(request)
    await db.flush()
    return request


Verification = TypeVar("Verification", RealNameVerification, StudentVerification)


def verification(
    model: type[Verification],
    account_id: uuid.UUID,
    submitted_at: datetime,
    *,
    real_name: str = HOLDER,
    id_number: str = ID_NUMBER,
    **columns: Any,
) -> Verification:
    """A real-name or student verification of the account, not yet added to a session:
    verified unless `columns` say otherwise (`status`, `verified_at`; a student's school,
    major and dates)."""
    row = model(
        account_id=account_id,
        submitted_at=submitted_at,
        **{"status": VerificationStatus.VERIFIED, **columns},
    )
    row.real_name = real_name
    row.id_number = id_number
    if isinstance(row, StudentVerification):
        row.verification_code = STUDENT_CODE
    return row


def bank_card(
    account_id: uuid.UUID, card_number: str, bound_at: datetime, **columns: str
) -> BankCard:
    """A debit card bound to the account, its last four digits the number's, not yet added
    to a session; `columns` change the bank's name, branch or location, or the holder."""
    values = {"bank_name": "ICBC", "branch": "Haidian", "location": "Beijing", **columns}
    holder_name = values.pop("holder_name", HOLDER)
    card = BankCard(
        account_id=account_id,
        last4=card_number[-4:],
        card_type=BankCardType.DEBIT,
        bound_at=bound_at,
        **values,
    )
    card.card_number = card_number
    card.holder_name = holder_name
    return card


async def create_member(
    session: AsyncSession,
    enterprise: Account,
    display_name: str,
    permissions: list[str],
    **columns: object,
) -> Account:
    """A sub-account of `enterprise` holding `permissions` (by name), added and flushed."""
    return await create_account(
        session,
        kind=AccountKind.SUB_ACCOUNT,
        display_name=display_name,
        enterprise=enterprise,
        permissions=permissions,
        **columns,
    )
