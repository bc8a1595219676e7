"""Per-request dataloaders: batch by key, answer in key order.

Each loader costs one SELECT ... IN per batch, so reading N accounts with their nested
objects costs the same number of statements for N = 1 and N = 100.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import (
    OPEN_STATUSES,
    AccessLogEntry,
    Account,
    AuthSession,
    BankCard,
    Consent,
    ConsentEvent,
    DataRequest,
    DevicePermission,
    GuardianConsent,
    IncidentDelivery,
    IncidentRecipient,
    LoginEvent,
    Notification,
    PrivacyPolicy,
    ProcessingRestriction,
    QueuedMessage,
    RealNameVerification,
    SearchEntry,
    SecurityIncident,
    StaffMember,
    StudentVerification,
    ThirdPartyIdentity,
)
from models.base import UUIDPrimaryKey
from models.pagination import KeysetPage, KeysetPosition

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


class StaffByIdLoader(RowByIdLoader[StaffMember]):
    model = StaffMember


class SecurityIncidentByIdLoader(RowByIdLoader[SecurityIncident]):
    model = SecurityIncident


class QueuedMessageByIdLoader(RowByIdLoader[QueuedMessage]):
    model = QueuedMessage


class DeliveriesByRecipientLoader(DataLoader[uuid.UUID, list[IncidentDelivery]]):
    """The channels each incident notice went over, in the order of the channels."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[IncidentDelivery]]:
        statement = select(IncidentDelivery).where(IncidentDelivery.recipient_id.in_(keys))
        grouped: dict[uuid.UUID, list[IncidentDelivery]] = defaultdict(list)
        for row in await self.session.scalars(statement):
            grouped[row.recipient_id].append(row)
        order = {channel: n for n, channel in enumerate(("IN_APP", "SMS", "EMAIL"))}
        return [sorted(grouped.get(key, []), key=lambda d: order[d.channel]) for key in keys]


class OpenDataRequestsByAccountLoader(DataLoader[uuid.UUID, list[DataRequest]]):
    """Each account's open rights requests, oldest first: what staff may work on."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[DataRequest]]:
        statement = (
            select(DataRequest)
            .where(DataRequest.account_id.in_(keys), DataRequest.status.in_(OPEN_STATUSES))
            .order_by(DataRequest.submitted_at, DataRequest.id)
        )
        grouped: dict[uuid.UUID | None, list[DataRequest]] = defaultdict(list)
        for row in await self.session.scalars(statement):
            grouped[row.account_id].append(row)
        return [grouped.get(key, []) for key in keys]


class RestrictionsInForceByAccountLoader(DataLoader[uuid.UUID, list[ProcessingRestriction]]):
    """Each account's restrictions of processing that were not lifted."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[ProcessingRestriction]]:
        statement = (
            select(ProcessingRestriction)
            .where(
                ProcessingRestriction.account_id.in_(keys),
                ProcessingRestriction.lifted_at.is_(None),
            )
            .order_by(ProcessingRestriction.purpose)
        )
        grouped: dict[uuid.UUID, list[ProcessingRestriction]] = defaultdict(list)
        for row in await self.session.scalars(statement):
            grouped[row.account_id].append(row)
        return [grouped.get(key, []) for key in keys]


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


class UnrevokedSessionsByAccountLoader(DataLoader[uuid.UUID, list[AuthSession]]):
    """Each account's sessions that were not revoked, newest first.

    The loader has no clock: whoever reads them leaves out the expired ones.
    """

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[AuthSession]]:
        statement = (
            select(AuthSession)
            .where(AuthSession.account_id.in_(keys), AuthSession.revoked_at.is_(None))
            .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())
        )
        grouped: dict[uuid.UUID | None, list[AuthSession]] = defaultdict(list)
        for row in await self.session.scalars(statement):
            grouped[row.account_id].append(row)
        return [grouped.get(key, []) for key in keys]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One account's page of a keyset-paged history: `first` rows after `after`."""

    account_id: uuid.UUID
    first: int
    after: KeysetPosition | None = None


class NewestFirstPageByAccountLoader(DataLoader[PageRequest, KeysetPage[RowT]], Generic[RowT]):
    """A page of each account's rows, newest first by (created_at, id), as `keyset_page`
    reads one.

    Requests for pages of one size after one position share a statement: every
    account's rows are numbered newest first in a window and the first `first + 1` of
    each kept (the one beyond the page tells whether more follow).
    """

    model: type[RowT]
    owner_column: ClassVar[str] = "account_id"
    time_column: ClassVar[str] = "created_at"

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[PageRequest]) -> list[KeysetPage[RowT]]:
        owners_by_page: dict[tuple[int, KeysetPosition | None], list[uuid.UUID]] = defaultdict(list)
        for key in keys:
            owners_by_page[(key.first, key.after)].append(key.account_id)
        pages: dict[PageRequest, KeysetPage[RowT]] = {}
        for (first, after), owners in owners_by_page.items():
            rows = await self._newest(owners, first, after)
            for owner in owners:
                owned = rows.get(owner, [])
                pages[PageRequest(owner, first, after)] = KeysetPage(
                    rows=owned[:first], has_next=len(owned) > first
                )
        return [pages[key] for key in keys]

    async def _newest(
        self, owners: list[uuid.UUID], first: int, after: KeysetPosition | None
    ) -> dict[uuid.UUID, list[RowT]]:
        model: Any = self.model
        owner = getattr(model, self.owner_column)
        moment = getattr(model, self.time_column)
        position = (
            func.row_number()
            .over(partition_by=owner, order_by=(moment.desc(), model.id.desc()))
            .label("position")
        )
        ranked = select(model, position).where(owner.in_(owners))
        if after is not None:
            ranked = ranked.where(tuple_(moment, model.id) < (after.created_at, after.id))
        numbered = ranked.subquery()
        row = aliased(model, numbered)
        statement = (
            select(row).where(numbered.c.position <= first + 1).order_by(numbered.c.position)
        )
        grouped: dict[uuid.UUID, list[RowT]] = defaultdict(list)
        for found in await self.session.scalars(statement):
            grouped[getattr(found, self.owner_column)].append(found)
        return grouped


class LoginEventsPageByAccountLoader(NewestFirstPageByAccountLoader[LoginEvent]):
    model = LoginEvent


class AccessLogPageByAccountLoader(NewestFirstPageByAccountLoader[AccessLogEntry]):
    model = AccessLogEntry
    owner_column = "subject_id"


class SearchHistoryPageByAccountLoader(NewestFirstPageByAccountLoader[SearchEntry]):
    model = SearchEntry


class NotificationsPageByAccountLoader(NewestFirstPageByAccountLoader[Notification]):
    model = Notification


class IncidentNoticesPageByAccountLoader(NewestFirstPageByAccountLoader[IncidentRecipient]):
    model = IncidentRecipient


class DataRequestsPageByAccountLoader(NewestFirstPageByAccountLoader[DataRequest]):
    model = DataRequest
    time_column = "submitted_at"


class DataRequestCountByAccountLoader(DataLoader[uuid.UUID, int]):
    """How many rights requests each account has made."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[int]:
        statement = (
            select(DataRequest.account_id, func.count())
            .where(DataRequest.account_id.in_(keys))
            .group_by(DataRequest.account_id)
        )
        counts: dict[uuid.UUID | None, int] = {
            row[0]: row[1] for row in await self.session.execute(statement)
        }
        return [counts.get(key, 0) for key in keys]


class Loaders:
    """The request's loaders; created fresh for every request."""

    def __init__(self, session: AsyncSession) -> None:
        self.account_by_id = AccountByIdLoader(session)
        self.staff_by_id = StaffByIdLoader(session)
        self.open_data_requests_by_account = OpenDataRequestsByAccountLoader(session)
        self.incident_by_id = SecurityIncidentByIdLoader(session)
        self.queued_message_by_id = QueuedMessageByIdLoader(session)
        self.deliveries_by_recipient = DeliveriesByRecipientLoader(session)
        self.incident_notices_page_by_account = IncidentNoticesPageByAccountLoader(session)
        self.identities_by_account = IdentitiesByAccountLoader(session)
        self.bank_cards_by_account = BankCardsByAccountLoader(session)
        self.consents_by_account = ConsentsByAccountLoader(session)
        self.consent_events_by_account = ConsentEventsByAccountLoader(session)
        self.restrictions_by_account = RestrictionsInForceByAccountLoader(session)
        self.real_name_by_account = RealNameVerificationByAccountLoader(session)
        self.student_by_account = StudentVerificationByAccountLoader(session)
        self.guardian_consent_by_account = GuardianConsentByAccountLoader(session)
        self.sessions_by_account = UnrevokedSessionsByAccountLoader(session)
        self.login_events_page_by_account = LoginEventsPageByAccountLoader(session)
        self.access_log_page_by_account = AccessLogPageByAccountLoader(session)
        self.search_history_page_by_account = SearchHistoryPageByAccountLoader(session)
        self.notifications_page_by_account = NotificationsPageByAccountLoader(session)
        self.data_requests_page_by_account = DataRequestsPageByAccountLoader(session)
        self.data_request_count_by_account = DataRequestCountByAccountLoader(session)
        self.device_permissions_by_account = DevicePermissionsByAccountLoader(session)
        self.policy_versions = PolicyVersions(session)
