"""Per-request dataloaders: batch by key, answer in key order."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account
from models.base import UUIDPrimaryKey

RowT = TypeVar("RowT", bound=UUIDPrimaryKey)


def in_key_order(keys: Sequence[uuid.UUID], rows: Iterable[RowT]) -> list[RowT | None]:
    by_id = {row.id: row for row in rows}
    return [by_id.get(key) for key in keys]


class RowByIdLoader(DataLoader[uuid.UUID, RowT | None], Generic[RowT]):
    """Rows of one model by primary key, one SELECT ... IN per batch."""

    model: type[RowT]

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[RowT | None]:
        result = await self.session.scalars(select(self.model).where(self.model.id.in_(keys)))
        return in_key_order(keys, result)


class AccountByIdLoader(RowByIdLoader[Account]):
    model = Account


class Loaders:
    """The request's loaders; created fresh for every request."""

    def __init__(self, session: AsyncSession) -> None:
        self.account_by_id = AccountByIdLoader(session)
