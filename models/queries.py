"""Query helpers shared by the use cases: SQL lives here, not in resolvers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    Select,
    String,
    Text,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from models.account import Account, AccountKind, AccountStatus, SubAccountRole
from models.bank_card import BankCard
from models.base import UTCDateTime
from models.data_request import (
    OPEN_STATUSES,
    DataRequest,
    DataRequestStatus,
    DataRequestType,
    RequestOrigin,
)
from models.identity import IdentityProvider, ThirdPartyIdentity
from models.notification import Notification
from models.pagination import count_of
from models.privacy_policy import PrivacyPolicy
from models.staff import StaffMember

RowT = TypeVar("RowT")


async def current_policy(session: AsyncSession, today: date) -> PrivacyPolicy | None:
    """The newest version whose effective date is today or earlier."""
    statement = (
        select(PrivacyPolicy)
        .where(PrivacyPolicy.effective_on <= today)
        .order_by(PrivacyPolicy.effective_on.desc(), PrivacyPolicy.published_at.desc())
        .limit(1)
    )
    return (await session.scalars(statement)).first()


async def policy_by_version(session: AsyncSession, version: str) -> PrivacyPolicy | None:
    statement = select(PrivacyPolicy).where(PrivacyPolicy.version == version)
    return (await session.scalars(statement)).first()


async def all_policies(session: AsyncSession) -> Sequence[PrivacyPolicy]:
    statement = select(PrivacyPolicy).order_by(
        PrivacyPolicy.effective_on.desc(), PrivacyPolicy.published_at.desc()
    )
    return (await session.scalars(statement)).all()


async def account_by_phone(session: AsyncSession, phone: str) -> Account | None:
    """The live account bound to a phone (E.164), through its blind index (under any
    configured key)."""
    statement = select(Account).where(Account.phone.matches(phone))
    return (await session.scalars(statement)).first()


async def account_by_email(session: AsyncSession, email: str) -> Account | None:
    statement = select(Account).where(Account.email.matches(email))
    return (await session.scalars(statement)).first()


async def staff_by_email(session: AsyncSession, email: str) -> StaffMember | None:
    statement = select(StaffMember).where(StaffMember.email.matches(email))
    return (await session.scalars(statement)).first()


async def email_taken(session: AsyncSession, email: str, *, by_other_than: Any = None) -> bool:
    """Whether the address signs somebody in: an account (other than `by_other_than`) or
    a staff member. Staff and accounts never share a sign-in address."""
    holder = await account_by_email(session, email)
    if holder is not None and holder.id != by_other_than:
        return True
    return await staff_by_email(session, email) is not None


async def identity_by_open_id(
    session: AsyncSession, provider: IdentityProvider, open_id: str
) -> ThirdPartyIdentity | None:
    statement = select(ThirdPartyIdentity).where(
        ThirdPartyIdentity.provider == provider,
        ThirdPartyIdentity.open_id.matches(open_id),
    )
    return (await session.scalars(statement)).first()


async def card_bound(session: AsyncSession, account_id: uuid.UUID, card_number: str) -> bool:
    """Whether the account has bound this card number, through the blind index (under any
    configured key: the unique constraint sees only identical indexes)."""
    statement = select(BankCard.id).where(
        BankCard.account_id == account_id, BankCard.card_number.matches(card_number)
    )
    return bool(await session.scalar(select(statement.exists())))


@dataclass(frozen=True)
class SubAccountFilter:
    status: AccountStatus | None = None
    role: SubAccountRole | None = None
    name_prefix: str | None = None
    phone: str | None = None
    email: str | None = None


def sub_accounts(
    enterprise_id: uuid.UUID, where: SubAccountFilter
) -> tuple[Select[Any], dict[str, Any]]:
    """An enterprise's live sub-accounts matching the filter, as a statement built once
    per shape of the filter and its values; phone and e-mail match exactly through
    their blind indexes, never by reading clear values."""
    parameters: dict[str, Any] = {"enterprise_id": enterprise_id}
    if where.status is not None:
        parameters["status"] = where.status
    if where.role is not None:
        parameters["role"] = where.role
    if where.name_prefix:
        parameters["name_prefix"] = like_escaped(where.name_prefix)
    if where.phone is not None:
        parameters["phone"] = list(Account.phone.indexes_of(where.phone))
        parameters["unproven_phone"] = list(Account.unproven_phone.indexes_of(where.phone))
    if where.email is not None:
        parameters["email"] = list(Account.email.indexes_of(where.email))
        parameters["unproven_email"] = list(Account.unproven_email.indexes_of(where.email))
    return _sub_accounts(frozenset(parameters)), parameters


# LIKE's escape character, and what it escapes in a value matched as a prefix.
LIKE_ESCAPE = "/"


def like_escaped(value: str) -> str:
    """`value` matched literally by LIKE ... ESCAPE '/': its `/`, `%` and `_` escaped."""
    return value.replace("/", "//").replace("%", "/%").replace("_", "/_")


@cache
def _sub_accounts(named: frozenset[str]) -> Select[Any]:
    statement = select(Account).where(
        Account.enterprise_id == bindparam("enterprise_id"),
        Account.kind == AccountKind.SUB_ACCOUNT,
        Account.status != AccountStatus.CANCELLED,
    )
    if "status" in named:
        statement = statement.where(Account.status == bindparam("status"))
    if "role" in named:
        statement = statement.where(Account.role == bindparam("role"))
    if "name_prefix" in named:
        # Case-insensitive on every database: SQLite's LIKE ignores ASCII case, PostgreSQL's
        # does not, so both compare lower-cased values.
        statement = statement.where(
            Account.display_name.istartswith(bindparam("name_prefix"), escape=LIKE_ESCAPE)
        )
    if "phone" in named:
        # The phone, proven or as a manager typed it.
        statement = statement.where(
            or_(Account.phone.matching("phone"), Account.unproven_phone.matching("unproven_phone"))
        )
    if "email" in named:
        statement = statement.where(
            or_(Account.email.matching("email"), Account.unproven_email.matching("unproven_email"))
        )
    return statement


async def enterprise_contact_in_use(
    session: AsyncSession,
    enterprise_id: uuid.UUID,
    *,
    email: str | None = None,
    phone: str | None = None,
) -> bool:
    """Whether a live sub-account of the enterprise has this e-mail or phone."""
    statement, parameters = sub_accounts(enterprise_id, SubAccountFilter(email=email, phone=phone))
    return bool(await session.scalar(select(statement.exists()), parameters))


async def count_sub_accounts(session: AsyncSession, enterprise_id: uuid.UUID) -> int:
    statement, parameters = sub_accounts(enterprise_id, SubAccountFilter())
    return await session.scalar(count_of(statement), parameters) or 0


async def lock_account(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Hold the account's row until the transaction ends, so that the use cases that
    count its rows before adding one take turns (SQLite has one writer at a time anyway).

    FOR NO KEY UPDATE: rows that merely refer to the account are not held up.
    """
    await session.execute(
        select(Account.id).where(Account.id == account_id).with_for_update(key_share=True)
    )


async def notify_every_account(
    session: AsyncSession, *, kind: str, title: str, body: str, now: datetime
) -> int:
    """One notification to every live account, in one INSERT ... SELECT.

    No row passes through the application, so it costs the same one statement for a
    million accounts as for ten; the database makes each row's id.
    """
    if session.get_bind().dialect.name == "postgresql":
        new_id: Any = func.gen_random_uuid()
    else:  # SQLite keeps UUIDs as 32 hex digits
        new_id = func.lower(func.hex(func.randomblob(16)))
    rows = select(
        new_id,
        Account.id,
        literal(kind, String()),
        literal(title, String()),
        literal(body, Text()),
        literal(now, UTCDateTime()),
    ).where(Account.status != AccountStatus.CANCELLED)
    result = await session.execute(
        insert(Notification).from_select(
            ["id", "account_id", "kind", "title", "body", "created_at"], rows
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def notify_accounts(
    session: AsyncSession,
    account_ids: Sequence[uuid.UUID],
    *,
    kind: str,
    title: str,
    body: str,
    now: datetime,
) -> None:
    session.add_all(
        Notification(account_id=account_id, kind=kind, title=title, body=body, created_at=now)
        for account_id in account_ids
    )
    await session.flush()


async def open_data_request(
    session: AsyncSession, account_id: uuid.UUID, request_type: DataRequestType | None = None
) -> DataRequest | None:
    """The account's own open request (of that type): not one filed for it by others."""
    statement = select(DataRequest).where(
        DataRequest.account_id == account_id,
        DataRequest.status.in_(OPEN_STATUSES),
        DataRequest.origin == RequestOrigin.ACCOUNT,
    )
    if request_type is not None:
        statement = statement.where(DataRequest.type == request_type)
    return (await session.scalars(statement.order_by(DataRequest.submitted_at).limit(1))).first()


def data_request_queue(
    *,
    status: DataRequestStatus | None,
    overdue_at: datetime | None,
    not_overdue_at: datetime | None,
) -> tuple[Select[Any], dict[str, Any]]:
    """The staff queue (paged oldest due first); `overdue_at`/`not_overdue_at` select open
    requests due before, or not before, that moment. A statement built once per shape of
    the filter, and its values."""
    parameters: dict[str, Any] = {}
    if status is not None:
        parameters["status"] = status
    if overdue_at is not None:
        parameters["overdue_at"] = overdue_at
    if not_overdue_at is not None:
        parameters["not_overdue_at"] = not_overdue_at
    return _data_request_queue(frozenset(parameters)), parameters


@cache
def _data_request_queue(named: frozenset[str]) -> Select[Any]:
    statement = select(DataRequest)
    if "status" in named:
        statement = statement.where(DataRequest.status == bindparam("status"))
    if "overdue_at" in named:
        statement = statement.where(
            DataRequest.status.in_(OPEN_STATUSES), DataRequest.due_at < bindparam("overdue_at")
        )
    if "not_overdue_at" in named:
        statement = statement.where(
            (DataRequest.due_at >= bindparam("not_overdue_at"))
            | DataRequest.status.not_in(OPEN_STATUSES)
        )
    return statement


async def claim(
    session: AsyncSession,
    key: InstrumentedAttribute[Any],
    keys: Sequence[Any],
    until: datetime,
    *order_by: Any,
) -> list[Any]:
    """Mark the rows of an outbox whose `key` is one of `keys` as claimed until `until`, so
    that no other worker takes them meanwhile, and load them afresh in `order_by` order."""
    if not keys:
        return []
    table = key.class_
    await session.execute(
        update(table)
        .where(key.in_(keys))
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    rows = await session.scalars(
        select(table)
        .where(key.in_(keys))
        .order_by(*order_by)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def record_attempt(
    session: AsyncSession, key: InstrumentedAttribute[Any], value: Any, values: dict[str, Any]
) -> None:
    """Write what one attempt at a claimed outbox row came to (`values`, its claim among them)."""
    await session.execute(
        update(key.class_)
        .where(key == value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def added_unless_taken(session: AsyncSession, row: object) -> bool:
    """Add `row` in a savepoint, so that a unique index it breaks (another request stored
    the same key first) undoes this alone: False then, and the row is not added."""
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


async def first_or_added(
    session: AsyncSession, current: Select[RowT], new: Callable[[], RowT]
) -> RowT:
    """The row `current` selects, else `new()` added. Its unique key decides a race: when
    another request stored the row since the look-up, that row."""
    row = (await session.scalars(current)).first()
    if row is None:
        row = new()
        if not await added_unless_taken(session, row):
            row = (await session.scalars(current)).one()
    return row
