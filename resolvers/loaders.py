"""Per-request dataloaders: batch by key, answer in key order.

Each loader costs one SELECT ... IN per batch, so reading N accounts with their nested
objects costs the same number of statements for N = 1 and N = 100.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Account,
    BankCard,
    Consent,
    ConsentEvent,
    DevicePermission,
    GuardianConsent,
    PrivacyPolicy,
    RealNameVerification,
    StudentVerification,
    ThirdPartyIdentity,
)
from models.base import UUIDPrimaryKey

RowT = TypeVar("RowT", bound=UUIDPrimaryKey)


def in_key_order(keys: Sequence[uuid.UUID], rows: Iterable[RowT]) -> list[RowT | None]:
    by_id = {row.id: row for row in rows}
    return [by_id.get(key) for key in keys]


class RowByIdLoader(DataLoader[uuid.UUID, RowT | None], Generic[RowT]):
    """Rows of one model by primary key."""

    model: type[RowT]

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[RowT | None]:
        result = await self.session.scalars(select(self.model).where(self.model.id.in_(keys)))
        return in_key_order(keys, result)


class RowsByAccountLoader(DataLoader[uuid.UUID, list[RowT]], Generic[RowT]):
    """Every row of one model that belongs to each account, in `order_by` order."""

    model: type[RowT]
    order_by: ClassVar[tuple[str, ...]] = ("id",)

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[RowT]]:
        model: Any = self.model
        statement = (
            select(model)
            .where(model.account_id.in_(keys))
            .order_by(*(getattr(model, name) for name in self.order_by))
        )
        grouped: dict[uuid.UUID, list[RowT]] = defaultdict(list)
        for row in await self.session.scalars(statement):
            grouped[row.account_id].append(row)
        return [grouped.get(key, []) for key in keys]


class RowByAccountLoader(DataLoader[uuid.UUID, RowT | None], Generic[RowT]):
    """The one row of a model an account may have (a unique `account_id`)."""

    model: type[RowT]

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[RowT | None]:
        model: Any = self.model
        rows = await self.session.scalars(select(model).where(model.account_id.in_(keys)))
        by_account = {row.account_id: row for row in rows}
        return [by_account.get(key) for key in keys]


class AccountByIdLoader(RowByIdLoader[Account]):
    model = Account


class IdentitiesByAccountLoader(RowsByAccountLoader[ThirdPartyIdentity]):
    model = ThirdPartyIdentity
    order_by = ("created_at", "id")


class BankCardsByAccountLoader(RowsByAccountLoader[BankCard]):
    model = BankCard
    order_by = ("bound_at", "id")


class ConsentsByAccountLoader(RowsByAccountLoader[Consent]):
    model = Consent
    order_by = ("purpose",)


class ConsentEventsByAccountLoader(RowsByAccountLoader[ConsentEvent]):
    model = ConsentEvent
    order_by = ("created_at", "id")


class RealNameVerificationByAccountLoader(RowByAccountLoader[RealNameVerification]):
    model = RealNameVerification


class StudentVerificationByAccountLoader(RowByAccountLoader[StudentVerification]):
    model = StudentVerification


class DevicePermissionsByAccountLoader(RowsByAccountLoader[DevicePermission]):
    model = DevicePermission
    order_by = ("permission",)


class GuardianConsentByAccountLoader(RowByAccountLoader[GuardianConsent]):
    model = GuardianConsent


class PolicyVersions:
    """Every published policy version, read once per request (a short table)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._rows: list[PrivacyPolicy] | None = None

    async def all(self) -> list[PrivacyPolicy]:
        if self._rows is None:
            statement = select(PrivacyPolicy).order_by(
                PrivacyPolicy.effective_on, PrivacyPolicy.published_at
            )
            self._rows = list((await self.session.scalars(statement)).all())
        return self._rows

    def forget(self) -> None:
        self._rows = None


class Loaders:
    """The request's loaders; created fresh for every request."""

    def __init__(self, session: AsyncSession) -> None:
        self.account_by_id = AccountByIdLoader(session)
        self.identities_by_account = IdentitiesByAccountLoader(session)
        self.bank_cards_by_account = BankCardsByAccountLoader(session)
        self.consents_by_account = ConsentsByAccountLoader(session)
        self.consent_events_by_account = ConsentEventsByAccountLoader(session)
        self.real_name_by_account = RealNameVerificationByAccountLoader(session)
        self.student_by_account = StudentVerificationByAccountLoader(session)
        self.guardian_consent_by_account = GuardianConsentByAccountLoader(session)
        self.device_permissions_by_account = DevicePermissionsByAccountLoader(session)
        self.policy_versions = PolicyVersions(session)
