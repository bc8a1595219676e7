"""Per-request dataloaders: batch by key, answer in key order.

Each loader costs one SELECT ... IN per batch, so reading N accounts with their nested
objects costs the same number of statements for N = 1 and N = 100.
"""

from __future__ import annotations

import uuid
from asyncio import Future
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import Integer, Select, and_, bindparam, func, select, union
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
    display,
)
from models.base import UUIDPrimaryKey
from models.pagination import (
    SIZE,
    KeysetPage,
    KeysetPosition,
    Window,
    descending,
    page_of,
    walk,
    walk_parameters,
)
from resolvers.pagination import OwnedListing, PageRequest

RowT = TypeVar("RowT", bound=UUIDPrimaryKey)
WholeT = TypeVar("WholeT")
PartT = TypeVar("PartT")


# The loaders' statements, built once: each takes the batch's keys as `keys`.


def _keys() -> Any:
    return bindparam("keys", expanding=True)


_built: dict[tuple[object, ...], Any] = {}


def rows_of(model: type[Any], column: str, order_by: tuple[str, ...] = ()) -> Any:
    """Every row of `model` whose `column` is one of the keys, in `order_by` order."""
    key = ("rows", model, column, order_by)
    if key not in _built:
        statement = select(model).where(getattr(model, column).in_(_keys()))
        _built[key] = statement.order_by(*(getattr(model, name) for name in order_by))
    return _built[key]


def counts_of(model: type[Any], owner_column: str) -> Any:
    """How many rows of `model` each of the keys owns, as (owner, count) rows."""
    key = ("counts", model, owner_column)
    if key not in _built:
        owner = getattr(model, owner_column)
        _built[key] = select(owner, func.count()).where(owner.in_(_keys())).group_by(owner)
    return _built[key]


OPEN_DATA_REQUESTS = (
    select(DataRequest)
    .where(DataRequest.account_id.in_(_keys()), DataRequest.status.in_(OPEN_STATUSES))
    .order_by(DataRequest.submitted_at, DataRequest.id)
)
VERIFICATIONS = (
    select(Account.id, RealNameVerification, StudentVerification)
    .outerjoin(RealNameVerification, RealNameVerification.account_id == Account.id)
    .outerjoin(StudentVerification, StudentVerification.account_id == Account.id)
    .where(Account.id.in_(_keys()))
)
POLICY_VERSIONS = select(PrivacyPolicy).order_by(
    PrivacyPolicy.effective_on, PrivacyPolicy.published_at
)
UNREVOKED_SESSIONS = (
    select(AuthSession)
    .where(AuthSession.account_id.in_(_keys()), AuthSession.revoked_at.is_(None))
    .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())
)


def _consent_records() -> Any:
    """Every (account, purpose) a consent, a consent event or a restriction in force
    names, outer-joined to each of them, events oldest first."""
    restriction = ProcessingRestriction
    in_force = restriction.lifted_at.is_(None)
    named = union(
        select(Consent.account_id, Consent.purpose).where(Consent.account_id.in_(_keys())),
        select(ConsentEvent.account_id, ConsentEvent.purpose).where(
            ConsentEvent.account_id.in_(_keys())
        ),
        select(restriction.account_id, restriction.purpose).where(
            restriction.account_id.in_(_keys()), in_force
        ),
    ).subquery()

    def of(model: Any) -> Any:
        return and_(model.account_id == named.c.account_id, model.purpose == named.c.purpose)

    return (
        select(named.c.account_id, Consent, ConsentEvent, restriction)
        .select_from(named)
        .outerjoin(Consent, of(Consent))
        .outerjoin(ConsentEvent, of(ConsentEvent))
        .outerjoin(restriction, and_(of(restriction), in_force))
        .order_by(ConsentEvent.created_at, ConsentEvent.id)
    )


CONSENT_RECORDS = _consent_records()


class UniqueRowLoader(DataLoader[uuid.UUID, RowT | None], Generic[RowT]):
    """Rows of one model by a unique column: its primary key, or the `account_id` of a
    row an account has at most one of."""

    def __init__(self, session: AsyncSession, model: type[RowT], column: str = "id") -> None:
        super().__init__()
        self.session = session
        self.model = model
        self.column = column
        # Rows primed and not loaded yet: a page primes a hundred, and a future is made
        # only for one that is loaded.
        self._primed: dict[uuid.UUID, RowT | None] = {}

    def prime(self, key: uuid.UUID, value: RowT | None) -> UniqueRowLoader[RowT]:
        self._primed.setdefault(key, value)
        return self

    def load(self, key: uuid.UUID) -> Future[RowT | None]:
        if key in self._primed:
            super().prime(key, self._primed.pop(key))
        return super().load(key)

    def clear(self, key: uuid.UUID) -> UniqueRowLoader[RowT]:
        self._primed.pop(key, None)
        super().clear(key)
        return self

    def clear_all(self) -> UniqueRowLoader[RowT]:
        self._primed.clear()
        super().clear_all()
        return self

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[RowT | None]:
        rows = await display.scalars(self.session, rows_of(self.model, self.column), {"keys": keys})
        by_key = {getattr(row, self.column): row for row in rows}
        return [by_key.get(key) for key in keys]


class RowsByAccountLoader(DataLoader[uuid.UUID, list[RowT]], Generic[RowT]):
    """Every row of one model that belongs to each account, in `order_by` order."""

    def __init__(
        self, session: AsyncSession, model: type[RowT], order_by: tuple[str, ...] = ("id",)
    ) -> None:
        super().__init__()
        self.session = session
        self.model = model
        self.order_by = order_by

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[RowT]]:
        statement = rows_of(self.model, "account_id", self.order_by)
        grouped: dict[uuid.UUID, list[RowT]] = defaultdict(list)
        for row in await display.scalars(self.session, statement, {"keys": keys}):
            grouped[row.account_id].append(row)
        return [grouped.get(key, []) for key in keys]


class DeliveriesByRecipientLoader(DataLoader[uuid.UUID, list[IncidentDelivery]]):
    """The channels each incident notice went over, in the order of the channels."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[IncidentDelivery]]:
        statement = rows_of(IncidentDelivery, "recipient_id")
        grouped: dict[uuid.UUID, list[IncidentDelivery]] = defaultdict(list)
        for row in await display.scalars(self.session, statement, {"keys": keys}):
            grouped[row.recipient_id].append(row)
        order = {channel: n for n, channel in enumerate(("IN_APP", "SMS", "EMAIL"))}
        return [sorted(grouped.get(key, []), key=lambda d: order[d.channel]) for key in keys]


class OpenDataRequestsByAccountLoader(DataLoader[uuid.UUID, list[DataRequest]]):
    """Each account's open rights requests, oldest first: what staff may work on."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[DataRequest]]:
        grouped: dict[uuid.UUID | None, list[DataRequest]] = defaultdict(list)
        for row in await display.scalars(self.session, OPEN_DATA_REQUESTS, {"keys": keys}):
            grouped[row.account_id].append(row)
        return [grouped.get(key, []) for key in keys]


class PartLoader(DataLoader[uuid.UUID, PartT], Generic[WholeT, PartT]):
    """One part of what `whole` reads for each account: small tables that one screen
    shows together are read in one statement, and each is still loaded (and cleared
    after a change) on its own."""

    def __init__(
        self, whole: DataLoader[uuid.UUID, WholeT], part: Callable[[WholeT], PartT]
    ) -> None:
        super().__init__()
        self.whole = whole
        self.part = part

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[PartT]:
        return [self.part(whole) for whole in await self.whole.load_many(keys)]

    def clear(self, key: uuid.UUID) -> PartLoader[WholeT, PartT]:
        self.whole.clear(key)
        super().clear(key)
        return self


@dataclass(frozen=True, slots=True)
class AccountVerifications:
    real_name: RealNameVerification | None
    student: StudentVerification | None


class VerificationsByAccountLoader(DataLoader[uuid.UUID, AccountVerifications]):
    """Both verifications of each account (each is unique per account), in one statement."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[AccountVerifications]:
        found = {
            account_id: AccountVerifications(real_name, student)
            for account_id, real_name, student in await display.rows(
                self.session, VERIFICATIONS, {"keys": keys}
            )
        }
        return [found.get(key, AccountVerifications(None, None)) for key in keys]


@dataclass(frozen=True, slots=True)
class ConsentRecords:
    """An account's consents, their events (oldest first) and its restrictions in force."""

    consents: list[Consent]
    events: list[ConsentEvent]
    restrictions: list[ProcessingRestriction]


class ConsentRecordsByAccountLoader(DataLoader[uuid.UUID, ConsentRecords]):
    """Consents, consent events and restrictions in force of each account, in one
    statement: every (account, purpose) any of them names, joined to each of them (a
    consent and a restriction in force are unique per purpose, so a purpose has as
    many rows as it has events)."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[ConsentRecords]:
        consents: dict[uuid.UUID, dict[uuid.UUID, Consent]] = defaultdict(dict)
        events: dict[uuid.UUID, dict[uuid.UUID, ConsentEvent]] = defaultdict(dict)
        restrictions: dict[uuid.UUID, dict[uuid.UUID, ProcessingRestriction]] = defaultdict(dict)
        found = await display.rows(self.session, CONSENT_RECORDS, {"keys": keys})
        for account_id, consent, event, restricted in found:
            for found, rows in ((consent, consents), (event, events), (restricted, restrictions)):
                if found is not None:
                    rows[account_id][found.id] = found
        return [
            ConsentRecords(
                consents=sorted(consents[key].values(), key=lambda row: row.purpose.value),
                events=list(events[key].values()),
                restrictions=sorted(restrictions[key].values(), key=lambda row: row.purpose.value),
            )
            for key in keys
        ]


class ConsentsByAccountLoader(PartLoader[ConsentRecords, list[Consent]]):
    def __init__(self, records: ConsentRecordsByAccountLoader) -> None:
        super().__init__(records, lambda found: found.consents)


class ConsentEventsByAccountLoader(PartLoader[ConsentRecords, list[ConsentEvent]]):
    def __init__(self, records: ConsentRecordsByAccountLoader) -> None:
        super().__init__(records, lambda found: found.events)


class RestrictionsInForceByAccountLoader(PartLoader[ConsentRecords, list[ProcessingRestriction]]):
    def __init__(self, records: ConsentRecordsByAccountLoader) -> None:
        super().__init__(records, lambda found: found.restrictions)


class RealNameVerificationByAccountLoader(
    PartLoader[AccountVerifications, RealNameVerification | None]
):
    def __init__(self, verifications: VerificationsByAccountLoader) -> None:
        super().__init__(verifications, lambda found: found.real_name)


class StudentVerificationByAccountLoader(
    PartLoader[AccountVerifications, StudentVerification | None]
):
    def __init__(self, verifications: VerificationsByAccountLoader) -> None:
        super().__init__(verifications, lambda found: found.student)


class PolicyVersions:
    """Every published policy version, read once per request (a short table)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._rows: list[PrivacyPolicy] | None = None

    async def all(self) -> list[PrivacyPolicy]:
        if self._rows is None:
            self._rows = await display.scalars(self.session, POLICY_VERSIONS)
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
        grouped: dict[uuid.UUID | None, list[AuthSession]] = defaultdict(list)
        for row in await display.scalars(self.session, UNREVOKED_SESSIONS, {"keys": keys}):
            grouped[row.account_id].append(row)
        return [grouped.get(key, []) for key in keys]


@cache
def _ranked_walk(
    model: Any, owner_column: str, time_column: str, *, descending: bool, positioned: bool
) -> Select[Any]:
    """The walk of every owner's rows given as `owners` at once: each owner's rows
    numbered in the order of the walk, the first `SIZE` of each kept. One statement per
    list and kind of walk, its values parameters."""
    owner = getattr(model, owner_column)
    condition, order = walk(
        getattr(model, time_column), model.id, descending=descending, positioned=positioned
    )
    position = func.row_number().over(partition_by=owner, order_by=order).label("position")
    ranked = select(model, position).where(owner.in_(bindparam("owners", expanding=True)))
    if condition is not None:
        ranked = ranked.where(condition)
    numbered = ranked.subquery()
    row = aliased(model, numbered)
    return (
        select(row)
        .where(numbered.c.position <= bindparam(SIZE, type_=Integer))
        .order_by(numbered.c.position)
    )


class PageByAccountLoader(DataLoader[PageRequest, KeysetPage[RowT]], Generic[RowT]):
    """A window of each account's rows, newest first by (time column, id), as
    `keyset_page` reads one.

    Requests for the same window share a statement: every account's rows are numbered
    in the order of the walk and the first `size + 1` of each kept (the one beyond the
    page tells whether more follow).
    """

    def __init__(
        self,
        session: AsyncSession,
        model: type[RowT],
        *,
        owner_column: str = "account_id",
        time_column: str = "created_at",
    ) -> None:
        super().__init__()
        self.session = session
        self.model = model
        self.owner_column = owner_column
        self.time_column = time_column

    async def batch_load_fn(self, keys: Sequence[PageRequest]) -> list[KeysetPage[RowT]]:
        owners_by_window: dict[Window, list[uuid.UUID]] = defaultdict(list)
        for key in keys:
            owners_by_window[key.window].append(key.owner_id)
        pages: dict[PageRequest, KeysetPage[RowT]] = {}
        for window, owners in owners_by_window.items():
            walked = await self._walk(owners, window)
            for owner in owners:
                pages[PageRequest(owner, window)] = page_of(walked.get(owner, []), window)
        return [pages[key] for key in keys]

    async def _walk(self, owners: list[uuid.UUID], window: Window) -> dict[uuid.UUID, list[RowT]]:
        model: Any = self.model
        statement = _ranked_walk(
            model,
            self.owner_column,
            self.time_column,
            descending=descending(window),
            positioned=window.position is not None,
        )
        parameters = {"owners": owners, **walk_parameters(window)}
        grouped: dict[uuid.UUID, list[RowT]] = defaultdict(list)
        for found in await display.scalars(self.session, statement, parameters):
            grouped[getattr(found, self.owner_column)].append(found)
        return grouped

    def listing(self, counts: CountByAccountLoader, owner_id: uuid.UUID) -> OwnedListing[RowT]:
        """One account's list, read through this loader and counted by `counts`."""
        time_column = self.time_column
        return OwnedListing(
            pages=self,
            counts=counts,
            owner_id=owner_id,
            position=lambda row: KeysetPosition(getattr(row, time_column), row.id),
        )


class CountByAccountLoader(DataLoader[uuid.UUID, int]):
    """How many rows of `model` each account has, in one grouped statement."""

    def __init__(
        self, session: AsyncSession, model: Any, *, owner_column: str = "account_id"
    ) -> None:
        super().__init__()
        self.session = session
        self.model = model
        self.owner_column = owner_column

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[int]:
        statement = counts_of(self.model, self.owner_column)
        counts: dict[uuid.UUID | None, int] = {
            row[0]: row[1] for row in await display.rows(self.session, statement, {"keys": keys})
        }
        return [counts.get(key, 0) for key in keys]


class Loaders:
    """The request's loaders; fresh for every request, each made when first asked for
    (a request reads a few of them, and making all of them cost every request a tenth
    of a millisecond)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    account_by_id = cached_property(lambda loaders: UniqueRowLoader(loaders.session, Account))
    staff_by_id = cached_property(lambda loaders: UniqueRowLoader(loaders.session, StaffMember))
    bank_card_by_id = cached_property(lambda loaders: UniqueRowLoader(loaders.session, BankCard))
    data_request_by_id = cached_property(
        lambda loaders: UniqueRowLoader(loaders.session, DataRequest)
    )
    open_data_requests_by_account = cached_property(
        lambda loaders: OpenDataRequestsByAccountLoader(loaders.session)
    )
    incident_by_id = cached_property(
        lambda loaders: UniqueRowLoader(loaders.session, SecurityIncident)
    )
    queued_message_by_id = cached_property(
        lambda loaders: UniqueRowLoader(loaders.session, QueuedMessage)
    )
    deliveries_by_recipient = cached_property(
        lambda loaders: DeliveriesByRecipientLoader(loaders.session)
    )
    incident_notices_page_by_account = cached_property(
        lambda loaders: PageByAccountLoader(loaders.session, IncidentRecipient)
    )
    incident_notice_count_by_account = cached_property(
        lambda loaders: CountByAccountLoader(loaders.session, IncidentRecipient)
    )
    identities_by_account = cached_property(
        lambda loaders: RowsByAccountLoader(
            loaders.session, ThirdPartyIdentity, order_by=("created_at", "id")
        )
    )
    bank_cards_by_account = cached_property(
        lambda loaders: RowsByAccountLoader(loaders.session, BankCard, order_by=("bound_at", "id"))
    )
    # What one screen shows together is read together, each part still on its own.
    consent_records_by_account = cached_property(
        lambda loaders: ConsentRecordsByAccountLoader(loaders.session)
    )
    consents_by_account = cached_property(
        lambda loaders: ConsentsByAccountLoader(loaders.consent_records_by_account)
    )
    consent_events_by_account = cached_property(
        lambda loaders: ConsentEventsByAccountLoader(loaders.consent_records_by_account)
    )
    restrictions_by_account = cached_property(
        lambda loaders: RestrictionsInForceByAccountLoader(loaders.consent_records_by_account)
    )
    verifications_by_account = cached_property(
        lambda loaders: VerificationsByAccountLoader(loaders.session)
    )
    real_name_by_account = cached_property(
        lambda loaders: RealNameVerificationByAccountLoader(loaders.verifications_by_account)
    )
    student_by_account = cached_property(
        lambda loaders: StudentVerificationByAccountLoader(loaders.verifications_by_account)
    )
    guardian_consent_by_account = cached_property(
        lambda loaders: UniqueRowLoader(loaders.session, GuardianConsent, "account_id")
    )
    sessions_by_account = cached_property(
        lambda loaders: UnrevokedSessionsByAccountLoader(loaders.session)
    )
    login_events_page_by_account = cached_property(
        lambda loaders: PageByAccountLoader(loaders.session, LoginEvent)
    )
    login_event_count_by_account = cached_property(
        lambda loaders: CountByAccountLoader(loaders.session, LoginEvent)
    )
    access_log_page_by_account = cached_property(
        lambda loaders: PageByAccountLoader(
            loaders.session, AccessLogEntry, owner_column="subject_id"
        )
    )
    access_log_count_by_account = cached_property(
        lambda loaders: CountByAccountLoader(
            loaders.session, AccessLogEntry, owner_column="subject_id"
        )
    )
    search_history_page_by_account = cached_property(
        lambda loaders: PageByAccountLoader(loaders.session, SearchEntry)
    )
    search_history_count_by_account = cached_property(
        lambda loaders: CountByAccountLoader(loaders.session, SearchEntry)
    )
    notifications_page_by_account = cached_property(
        lambda loaders: PageByAccountLoader(loaders.session, Notification)
    )
    notification_count_by_account = cached_property(
        lambda loaders: CountByAccountLoader(loaders.session, Notification)
    )
    data_requests_page_by_account = cached_property(
        lambda loaders: PageByAccountLoader(
            loaders.session, DataRequest, time_column="submitted_at"
        )
    )
    data_request_count_by_account = cached_property(
        lambda loaders: CountByAccountLoader(loaders.session, DataRequest)
    )
    device_permissions_by_account = cached_property(
        lambda loaders: RowsByAccountLoader(
            loaders.session, DevicePermission, order_by=("permission",)
        )
    )
    policy_versions = cached_property(lambda loaders: PolicyVersions(loaders.session))
