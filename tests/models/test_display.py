"""Rows read for display (models/display.py) hold what the ORM would load, send the ORM's
own SQL, can never be written back, and are read only where nothing writes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import NoInspectionAvailable
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import UnmappedInstanceError

from gateway.demo import DEMO_INDIVIDUAL_PHONE, seed_demo
from models import Account, BankCard, display, queries
from models.database import create_session_factory
from models.pagination import KeysetPosition, Window, keyset_page
from models.unit_of_work import RequestScope
from resolvers.global_id import to_global_id
from resolvers.loaders import CONSENT_RECORDS, Loaders, rows_of
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


CARDS = select(BankCard).where(BankCard.account_id == bindparam("account_id"))


async def test_a_walk_from_a_position_reads_what_the_orm_reads(scope: RequestScope) -> None:
    """A page's walk is built once: its position and size are parameters, each passed
    through its column's type (on SQLite a UUID and a moment are text)."""
    account_id = await demo_individual(scope.session)
    later = KeysetPosition(datetime(2999, 1, 1, tzinfo=UTC), uuid.UUID(int=0))
    windows = [Window(5), Window(5, later), Window(5, later, backwards=True)]

    async def walked() -> list[list[dict[str, Any]]]:
        pages = [
            await keyset_page(
                scope.session, CARDS, {"account_id": account_id}, BankCard.bound_at, BankCard.id, w
            )
            for w in windows
        ]
        return [[columns_of(card) for card in found.rows] for found in pages]

    through_orm = await walked()
    scope.display_reads = True

    shown = await walked()

    assert shown == through_orm
    assert [len(rows) for rows in shown] == [len(shown[0]), len(shown[0]), 0]
    assert shown[0]


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

    # The viewer's session with its account, then the cards.
    assert in_query == [True, True]
    # The session with its account is read before the operation's type is known (the
    # mutation takes the account into its session); the payload's cards too, read
    # after the commit, through the ORM.
    assert decided[0] is True
    assert decided[1:] == [False] * (len(decided) - 1)
    assert len(decided) > 1


async def test_batches_of_every_size_read_what_the_orm_reads(scope: RequestScope) -> None:
    """The SQL of each batch size is made once and kept: a batch of another size, or the
    same size again with other keys, still reads exactly its own keys."""
    account_id = await demo_individual(scope.session)
    other = uuid.uuid4()
    batches = [[account_id], [other, account_id], [account_id, other, uuid.uuid4()], [other]]

    async def cards(batch: list[uuid.UUID]) -> list[list[dict[str, Any]]]:
        found = await Loaders(scope.session).bank_cards_by_account.load_many(batch)
        return [[columns_of(card) for card in rows] for rows in found]

    through_orm = [await cards(batch) for batch in batches]
    scope.display_reads = True

    shown = [await cards(batch) for batch in batches + batches]

    assert shown == through_orm + through_orm
    assert [len(rows) for rows in shown[1]] == [0, len(through_orm[0][0])]
    assert through_orm[0][0]


@pytest.mark.parametrize("dialect", [postgresql.asyncpg.dialect(), sqlite.aiosqlite.dialect()])
def test_a_kept_shape_gives_the_arguments_sqlalchemy_gives(dialect: Any) -> None:
    read = display._read_of(CONSENT_RECORDS, dialect)  # its keys appear three times
    for size in (2, 0, 1, 3, 1, 2):
        parameters = {"keys": [uuid.uuid4() for _ in range(size)]}
        expected = read.compiled.construct_expanded_state(parameters)

        sql, arguments = display._arguments(read, parameters)

        assert sql == expected.statement
        processed = {
            name: processor(value) if (processor := expected.processors.get(name)) else value
            for name, value in expected.parameters.items()
        }
        assert arguments == tuple(processed[name] for name in expected.positiontup or ())
    assert read.shapes is not None
    assert {(("keys", size),) for size in (0, 1, 2, 3)} <= read.shapes.keys()


def test_a_list_that_is_not_a_list_or_tuple_is_spread_for_each_read() -> None:
    read = display._read_of(CONSENT_RECORDS, postgresql.asyncpg.dialect())
    keys = {uuid.uuid4(), uuid.uuid4()}
    kept = dict(read.shapes or {})

    sql, arguments = display._arguments(read, {"keys": keys})

    assert sql == read.compiled.construct_expanded_state({"keys": list(keys)}).statement
    assert set(arguments) == keys
    assert read.shapes == kept


def test_a_long_list_is_spread_for_each_read_and_never_kept() -> None:
    read = display._read_of(CONSENT_RECORDS, postgresql.asyncpg.dialect())
    keys = [uuid.uuid4() for _ in range(3000)]

    sql, arguments = display._arguments(read, {"keys": keys})

    assert sql == read.compiled.construct_expanded_state({"keys": keys}).statement
    assert arguments == tuple(keys)
    assert read.shapes is not None
    assert (("keys", 3000),) not in read.shapes


NODES_ALIASES = 30  # the operation's alias limit; `nodes(ids:)` takes 100 IDs


async def test_a_request_of_thousands_of_keys_leaves_no_shape_of_them(
    client: httpx.AsyncClient,
) -> None:
    """30 aliases of `nodes(ids:)` batch 3,000 keys into one statement, anonymously: its
    SQL is made for that read and not kept, or a client could fill a worker's memory
    with the SQL of every length."""
    variables = ", ".join(f"$ids{k}: [ID!]!" for k in range(NODES_ALIASES))
    fields = " ".join(f"n{k}: nodes(ids: $ids{k}) {{ id }}" for k in range(NODES_ALIASES))
    ids = [to_global_id("IndividualAccount", uuid.uuid4()) for _ in range(NODES_ALIASES * 100)]

    body = await graphql(
        client,
        f"query({variables}) {{ {fields} }}",
        {f"ids{k}": ids[k * 100 : (k + 1) * 100] for k in range(NODES_ALIASES)},
    )

    assert body == {"data": {f"n{k}": [None] * 100 for k in range(NODES_ALIASES)}}
    kept = [
        length
        for (statement, _), read in display._reads.items()
        if statement is rows_of(Account, "id")
        for key in (read.shapes or {})
        for (_, length) in key
    ]
    assert 3000 not in kept
    assert all(length <= 100 for length in kept)  # a page's keys at most
