"""What the two hot requests of the clients cost in SQL statements, all of them counted:
BEGIN, COMMIT and pool pings too (bench/statements.py), on a real engine as in
production. The throughput benchmark (make bench, docs/performance.md) measures their
time; these tests hold their statements: the back-office page in at most 2 (3 with its
totalCount), the SPA home in at most 5, whatever the lengths of their lists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.sessions import open_session
from bench.documents import BACK_OFFICE_PAGE, SPA_HOME
from bench.statements import StatementLog
from gateway.demo import DEMO_INDIVIDUAL_PHONE, seed_demo
from models import BankCard, BankCardType, queries
from tests.conftest import Clock, Live

# The ceilings are 4, 5 and 6; a read runs in no transaction (no BEGIN, no
# COMMIT) and the SPA home reads its small tables together, which leaves these.
PAGE_STATEMENTS = 2
PAGE_WITH_COUNT_STATEMENTS = 3
SPA_HOME_STATEMENTS = 5


async def _signed_in(live: Live, clock: Clock) -> dict[str, str]:
    """The demo data, and an access token of the demo individual and of the enterprise,
    issued at the app's time (seeding may take seconds on a loaded machine)."""
    now = clock()
    async with live.session() as session:
        await seed_demo(session, now)
        await session.commit()
        individual = await queries.account_by_phone(session, DEMO_INDIVIDUAL_PHONE)
        enterprise = await queries.account_by_email(session, "ent@demo.example")
        assert individual is not None
        assert enterprise is not None
        tokens = {}
        for name, account in (("individual", individual), ("enterprise", enterprise)):
            issued = await open_session(
                session, live.services.tokens, now=now, account_id=account.id
            )
            tokens[name] = issued.access_token
        await session.commit()
    return tokens


async def _statements(
    live: Live, engine: AsyncEngine, token: str, query: str, variables: dict[str, object]
) -> tuple[int, dict[str, object]]:
    log = StatementLog(engine)
    log.listen()
    try:
        response = await live.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        await log.settle()
    finally:
        log.remove()
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return log.count, body["data"]


def _edges(data: dict[str, object]) -> int:
    return len(data["viewer"]["account"]["subAccounts"]["edges"])  # type: ignore[index]


@pytest.mark.parametrize(
    ("with_count", "most"), [(False, PAGE_STATEMENTS), (True, PAGE_WITH_COUNT_STATEMENTS)]
)
async def test_the_back_office_page_costs_its_statements_for_5_rows_as_for_25(
    live: Live, engine: AsyncEngine, clock: Clock, with_count: bool, most: int
) -> None:
    tokens = await _signed_in(live, clock)
    query = BACK_OFFICE_PAGE if with_count else BACK_OFFICE_PAGE.replace("totalCount", "")

    few, few_data = await _statements(live, engine, tokens["enterprise"], query, {"first": 5})
    many, many_data = await _statements(live, engine, tokens["enterprise"], query, {"first": 25})

    assert (_edges(few_data), _edges(many_data)) == (5, 25)
    assert few == many
    assert few <= most


async def _add_cards(live: Live, count: int) -> None:
    async with live.session() as session:
        individual = await queries.account_by_phone(session, DEMO_INDIVIDUAL_PHONE)
        assert individual is not None
        for n in range(count):
            card = BankCard(
                account_id=individual.id,
                bank_name="Bank",
                branch="Branch",
                location="Beijing",
                last4=f"{n:04d}",
                card_type=BankCardType.DEBIT,
                bound_at=datetime.now(UTC) + timedelta(seconds=n),
            )
            card.card_number = f"62220202001{n:08d}"
            card.holder_name = "张三"
            session.add(card)
        await session.commit()


async def test_the_spa_home_costs_the_same_statements_for_1_card_as_for_10(
    live: Live, engine: AsyncEngine, clock: Clock
) -> None:
    tokens = await _signed_in(live, clock)

    one, one_data = await _statements(live, engine, tokens["individual"], SPA_HOME, {})
    await _add_cards(live, 9)
    ten, ten_data = await _statements(live, engine, tokens["individual"], SPA_HOME, {})

    cards = [
        len(data["viewer"]["account"]["bankCards"])  # type: ignore[index]
        for data in (one_data, ten_data)
    ]
    assert cards == [1, 10]
    assert one == ten


async def test_the_spa_home_costs_at_most_five_statements(
    live: Live, engine: AsyncEngine, clock: Clock
) -> None:
    tokens = await _signed_in(live, clock)

    count, _ = await _statements(live, engine, tokens["individual"], SPA_HOME, {})

    assert count <= SPA_HOME_STATEMENTS
