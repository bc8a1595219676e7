"""The request's loaders answer primed rows without reading them again."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models import AccountKind
from resolvers.loaders import Loaders
from tests.conftest import StatementCounter
from tests.support.factories import create_account


async def test_a_primed_row_is_loaded_without_a_statement(
    db: AsyncSession, sql_statements: StatementCounter
) -> None:
    account = await create_account(db, kind=AccountKind.INDIVIDUAL)
    loader = Loaders(db).account_by_id
    sql_statements.reset()

    loader.prime(account.id, account)

    assert await loader.load(account.id) is account
    assert await loader.load(account.id) is account
    assert sql_statements.count == 0


async def test_the_first_row_primed_wins_and_a_cleared_one_is_read_again(
    db: AsyncSession, sql_statements: StatementCounter
) -> None:
    account = await create_account(db, kind=AccountKind.INDIVIDUAL)
    other = await create_account(db, kind=AccountKind.INDIVIDUAL)
    loader = Loaders(db).account_by_id
    sql_statements.reset()

    loader.prime(account.id, account).prime(account.id, other)
    assert await loader.load(account.id) is account
    loader.prime(account.id, other)  # a loaded key keeps its row, as DataLoader's do
    assert await loader.load(account.id) is account
    assert sql_statements.count == 0

    loader.prime(other.id, account)
    loader.clear(other.id)
    assert (await loader.load(other.id)).id == other.id
    loader.prime(other.id, account)
    loader.clear_all()
    assert (await loader.load(other.id)).id == other.id
    assert sql_statements.count == 2
