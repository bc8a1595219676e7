"""Rows read for display (models/display.py) hold what the ORM would load, send the ORM's
own SQL, can never be written back, and are read only where nothing writes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import event, inspect, select
from sqlalchemy.exc import NoInspectionAvailable
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import UnmappedInstanceError

from gateway.demo import DEMO_INDIVIDUAL_PHONE, seed_demo
from models import Account, BankCard, display, queries
from models.database import create_session_factory
from models.unit_of_work import RequestScope
from resolvers.loaders import Loaders
from tests.helpers import graphql
from tests.support.viewers import SignedIn

# What each loader reads for the demo individual: its name and what it returns per key.
LOADED: list[tuple[str, Callable[[Any], list[Any]]]] = [
    ("account_by_id", lambda found: [found]),
    ("bank_cards_by_account", list),
    ("consents_by_account", list),
    ("consent_events_by_account", list),
    ("restrictions_by_account", list),
    ("real_name_by_account", lambda found: [found]),
    ("student_by_account", lambda found: [found]),
    ("device_permissions_by_account", list),
    ("identities_by_account", list),
    ("sessions_by_account", list),
    ("open_data_requests_by_account", list),
    ("guardian_consent_by_account", lambda found: [found]),
]


@pytest.fixture
async def scope(connection: AsyncConnection) -> AsyncIterator[RequestScope]:
    factory = create_session_factory(connection, join_transaction_mode="create_savepoint")
    async with factory() as session:
        await seed_demo(session, datetime.now(UTC))
        await session.commit()
    async with RequestScope(factory) as scope:
        yield scope


async def demo_individual(session: AsyncSession) -> uuid.UUID:
    found = await queries.account_by_phone(session, DEMO_INDIVIDUAL_PHONE)
    assert found is not None
    return found.id


def columns_of(row: Any) -> dict[str, Any]:
    """Every mapped column of a row, as its model names it (sealed values included)."""
    if row is None:
        return {}
    return {column.key: getattr(row, column.key) for column in inspect(type(row)).column_attrs}


async def loaded(scope: RequestScope, account_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    loaders = Loaders(scope.session)
    found: dict[str, list[dict[str, Any]]] = {}
    for name, rows in LOADED:
        found[name] = [
            columns_of(row) for row in rows(await getattr(loaders, name).load(account_id))
        ]
    found["policy_versions"] = [columns_of(row) for row in await loaders.policy_versions.all()]
    count = await loaders.login_event_count_by_account.load(account_id)
    found["login_event_count"] = [{"count": count}]
    return found


async def test_display_rows_hold_what_the_orm_loads(scope: RequestScope) -> None:
    account_id = await demo_individual(scope.session)
    through_orm = await loaded(scope, account_id)
    scope.display_reads = True

    shown = await loaded(scope, account_id)

    assert shown == through_orm
    # The demo individual has rows in most of them: the comparison is not of nothing.
    assert len(shown["bank_cards_by_account"]) >= 1
    assert len(shown["consents_by_account"]) >= 1
    assert shown["real_name_by_account"] != [{}]
    assert len(shown["policy_versions"]) >= 1


async def test_a_shown_row_is_tracked_by_no_session_and_cannot_be_changed(
    scope: RequestScope,
) -> None:
    account_id = await demo_individual(scope.session)
    scope.display_reads = True

    (card, *_) = await Loaders(scope.session).bank_cards_by_account.load(account_id)

    assert type(card) is BankCard
    with pytest.raises(NoInspectionAvailable):
        inspect(card)
    with pytest.raises(AttributeError, match="_sa_instance_state"):
        card.bank_name = "Changed"
    with pytest.raises(AttributeError, match="_sa_instance_state"):
        card.card_number = "6222020000000000000"
    with pytest.raises(UnmappedInstanceError):
        scope.session.add(card)
    assert card.card_number is not None  # sealed values open as on a loaded row


async def test_the_orm_reads_inside_a_unit_of_work_and_in_operations_that_write(
    scope: RequestScope,
) -> None:
    account_id = await demo_individual(scope.session)

    (card, *_) = await Loaders(scope.session).bank_cards_by_account.load(account_id)
    assert inspect(card).persistent  # not a query: the ORM's rows

    scope.display_reads = True
    async with scope.unit_of_work():
        (card, *_) = await Loaders(scope.session).bank_cards_by_account.load(account_id)
        assert inspect(card).persistent
        card.bank_name = "Changed in the unit"

    (card, *_) = await Loaders(scope.session).bank_cards_by_account.load(account_id)
    assert inspect(card, raiseerr=False) is None  # shown again once the unit ended
    assert card.bank_name == "Changed in the unit"


async def test_a_display_read_sends_the_sql_the_orm_sends(scope: RequestScope) -> None:
    account_id = await demo_individual(scope.session)
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    engine = scope.session.sync_session.get_bind().engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        await loaded(scope, account_id)
        through_orm = list(sent)
        sent.clear()
        scope.display_reads = True
        await loaded(scope, account_id)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert sent == through_orm
    assert len(sent) >= 8


async def test_a_statement_made_for_one_request_is_read_through_core(
    scope: RequestScope,
) -> None:
    account_id = await demo_individual(scope.session)
    statement = select(Account).where(Account.id == account_id)
    scope.display_reads = True

    (shown,) = await display.scalars(scope.session, statement, built_once=False)

    assert inspect(shown, raiseerr=False) is None
    expected = await scope.session.get(Account, account_id)
    assert columns_of(shown) == columns_of(expected)


def test_a_session_reads_through_the_orm_unless_its_scope_says_otherwise() -> None:
    assert display.reads_for_display(AsyncSession(sync_session_class=Session)) is False


ACCOUNT_CARDS = "account { ... on IndividualAccount { bankCards { bankName } } }"


async def test_a_query_reads_for_display_and_a_mutation_through_the_orm(
    client: httpx.AsyncClient, individual: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    decided: list[bool] = []
    original = display.reads_for_display

    def recording(session: AsyncSession) -> bool:
        decided.append(original(session))
        return decided[-1]

    monkeypatch.setattr(display, "reads_for_display", recording)

    await graphql(client, f"{{ viewer {{ {ACCOUNT_CARDS} }} }}", token=individual.token)
    in_query, decided[:] = list(decided), []
    await graphql(
        client,
        f'mutation {{ updateProfile(input: {{bio: "Hello"}}) {{ {ACCOUNT_CARDS} }} }}',
        token=individual.token,
    )

    assert in_query == [True]
    # The payload's cards too, read after the commit.
    assert decided == [False] * len(decided)
    assert decided
