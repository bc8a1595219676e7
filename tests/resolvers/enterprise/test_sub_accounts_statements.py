"""Listing sub-accounts costs a fixed number of SQL statements, for 1 row as for 100.

docs/spec/enterprise.md#listing-sub-accounts. The enterprise's page costs 3 statements:
the session with the viewer's account (one statement, every request), the page, and its
totalCount, which is counted only when asked for. A sub-account manager reading its
enterprise's list costs one more: the enterprise itself.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, AccountKind, AccountStatus, SubAccountRole, queries
from models.pagination import count_of
from tests.conftest import Clock, StatementCounter
from tests.resolvers.enterprise.helpers import Caller, sub_account_phone

BACK_OFFICE_PAGE = """
query($first: Int!) {
  viewer { account { ... on EnterpriseAccount {
    subAccounts(first: $first) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id displayName phone email role permissions status lastLoginAt } }
    }
  } } }
}
"""
# Every field a manager may read, the enterprise of each row included.
EVERY_MANAGER_FIELD = """
query($first: Int!) {
  viewer { account { ... on SubAccount { enterprise {
    subAccounts(first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id kind status displayName avatarUrl phone email role permissions lastLoginAt createdAt
        profile { bio industry position companySize needs }
        enterprise { id displayName companyName }
      } }
    }
  } } } }
}
"""
ENTERPRISE_PAGE_STATEMENTS = 3
MANAGER_PAGE_STATEMENTS = 4


async def seed_hundred(db: AsyncSession, clock: Clock, enterprise: Account) -> None:
    rows = []
    for n in range(100):
        row = Account(
            kind=AccountKind.SUB_ACCOUNT,
            display_name=f"Member {n:03d}",
            created_at=clock.now - timedelta(minutes=n + 1),
            enterprise_id=enterprise.id,
            role=SubAccountRole.ADMIN if n % 10 == 0 else SubAccountRole.MEMBER,
            permissions=["MANAGE_PROJECTS", "VIEW_ORDERS"],
            status=AccountStatus.DISABLED if n % 7 == 0 else AccountStatus.ACTIVE,
            last_login_at=clock.now - timedelta(hours=n),
        )
        row.phone = sub_account_phone(1000 + n)
        row.email = f"member{n}@acme.example"
        rows.append(row)
    db.add_all(rows)
    await db.commit()


async def statements_for(
    caller: Caller, query: str, first: int, sql_statements: StatementCounter
) -> tuple[int, int]:
    """(statements, rows) of one request."""
    sql_statements.reset()
    body = await caller(query, first=first)
    assert "errors" not in body, body
    account = body["data"]["viewer"]["account"]
    connection = (account.get("enterprise") or account)["subAccounts"]
    return sql_statements.count, len(connection["edges"])


@pytest.mark.parametrize("first", [1, 100])
async def test_the_enterprise_s_page_costs_three_statements(
    owner: Caller, db: AsyncSession, clock: Clock, sql_statements: StatementCounter, first: int
) -> None:
    await seed_hundred(db, clock, owner.row)

    count, rows = await statements_for(owner, BACK_OFFICE_PAGE, first, sql_statements)

    assert rows == first
    assert count == ENTERPRISE_PAGE_STATEMENTS, sql_statements.statements


async def test_a_page_of_100_costs_what_a_page_of_1_costs(
    owner: Caller, db: AsyncSession, clock: Clock, sql_statements: StatementCounter
) -> None:
    await seed_hundred(db, clock, owner.row)

    one = await statements_for(owner, BACK_OFFICE_PAGE, 1, sql_statements)
    hundred = await statements_for(owner, BACK_OFFICE_PAGE, 100, sql_statements)

    assert (one, hundred) == (
        (ENTERPRISE_PAGE_STATEMENTS, 1),
        (ENTERPRISE_PAGE_STATEMENTS, 100),
    )


@pytest.mark.parametrize("first", [1, 100])
async def test_a_manager_reading_every_field_costs_four_statements(
    owner: Caller,
    admin: Caller,
    db: AsyncSession,
    clock: Clock,
    sql_statements: StatementCounter,
    first: int,
) -> None:
    await seed_hundred(db, clock, owner.row)

    count, rows = await statements_for(admin, EVERY_MANAGER_FIELD, first, sql_statements)

    assert rows == first
    assert count == MANAGER_PAGE_STATEMENTS, sql_statements.statements


@pytest.mark.parametrize("first", [1, 100])
async def test_a_page_without_its_total_count_counts_nothing(
    owner: Caller, db: AsyncSession, clock: Clock, sql_statements: StatementCounter, first: int
) -> None:
    await seed_hundred(db, clock, owner.row)
    without_count = BACK_OFFICE_PAGE.replace("totalCount", "")

    count, rows = await statements_for(owner, without_count, first, sql_statements)

    assert rows == first
    assert count == ENTERPRISE_PAGE_STATEMENTS - 1, sql_statements.statements
    assert not any("count(" in statement for statement in sql_statements.statements)


async def test_a_total_count_asked_through_a_fragment_is_counted(
    owner: Caller, db: AsyncSession, clock: Clock, sql_statements: StatementCounter
) -> None:
    await seed_hundred(db, clock, owner.row)
    through_fragment = BACK_OFFICE_PAGE.replace(
        "totalCount", "... on SubAccountConnection { totalCount }"
    )

    count, rows = await statements_for(owner, through_fragment, 1, sql_statements)

    assert (count, rows) == (ENTERPRISE_PAGE_STATEMENTS, 1)


async def test_the_count_of_sub_accounts_reads_an_index_alone(
    owner: Caller, db: AsyncSession, clock: Clock, is_postgres: bool
) -> None:
    """totalCount's statement names only columns that one index holds, so PostgreSQL
    counts from the index without reading the table, however many rows the list has."""
    if not is_postgres:
        pytest.skip("needs the PostgreSQL run: the plan is PostgreSQL's")
    await seed_hundred(db, clock, owner.row)
    statement, parameters = queries.sub_accounts(owner.row.id, queries.SubAccountFilter())
    sql = (
        count_of(statement)
        .params(parameters)
        .compile(dialect=postgresql.asyncpg.dialect(), compile_kwargs={"literal_binds": True})
    )
    # A table this small would be read whole; the plan for a large one is the question.
    await db.execute(text("SET LOCAL enable_seqscan = off"))
    await db.execute(text("SET LOCAL enable_bitmapscan = off"))

    plan = "\n".join(await db.scalars(text(f"EXPLAIN {sql}")))

    assert "Index Only Scan using ix_accounts_enterprise_kind_status on accounts" in plan, plan
