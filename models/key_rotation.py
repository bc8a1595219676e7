"""Bring every stored value up to the current keys (`xiamo-gateway keys rotate`): re-seal
it with the current data key and recompute its blind index with the current index key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import Base
from models.database import WRITING
from models.encryption import Encrypted, Rotation, encrypted_attributes

BATCH_SIZE = 500


def sealed_models() -> list[tuple[type[Any], list[Encrypted]]]:
    found = []
    for mapper in Base.registry.mappers:
        attributes = encrypted_attributes(mapper.class_)
        if attributes:
            found.append((mapper.class_, attributes))
    return sorted(found, key=lambda item: item[0].__tablename__)


@dataclass
class Rotated:
    """Per table: values re-sealed, blind indexes recomputed, and rows left as they were
    because another row already holds the same value under the current index key."""

    resealed: int = 0
    reindexed: int = 0
    conflicts: int = 0


async def rotate_keys(session: AsyncSession, *, batch_size: int = BATCH_SIZE) -> dict[str, Rotated]:
    """Walks each table in primary-key batches, each batch one committed transaction, so
    it runs on tables of any size, can be stopped and run again, and holds no table for
    long. While it runs the gateway keeps serving: a look-up finds a row under its old
    blind index or its new one, and a row the gateway changes meanwhile is left as the
    gateway wrote it (it wrote it with the current keys)."""
    counts: dict[str, Rotated] = {}
    for model, attributes in sealed_models():
        rotated = Rotated()
        last_id = None
        while True:
            if not session.in_transaction():
                # SQLite: the batch reads and writes under the write lock it takes first.
                await session.connection(execution_options=WRITING)
            statement = select(model).order_by(model.id).limit(batch_size)
            if last_id is not None:
                statement = statement.where(model.id > last_id)
            rows = list((await session.scalars(statement)).all())
            for row in rows:
                changes = [
                    change
                    for change in (attribute.rotation(row) for attribute in attributes)
                    if change is not None
                ]
                if changes:
                    await _rotate_row(session, model, row.id, changes, rotated)
            await session.commit()
            session.expunge_all()
            if not rows:
                break
            last_id = rows[-1].id
        counts[model.__tablename__] = rotated
    return counts


async def _rotate_row(
    session: AsyncSession, model: type[Any], row_id: Any, changes: list[Rotation], rotated: Rotated
) -> None:
    """One guarded UPDATE: it changes the row only while it still holds the sealed values
    that were read, so a value changed concurrently is never overwritten with the old one."""
    values = {
        getattr(model, name): value for change in changes for name, value in change.values.items()
    }
    statement = (
        update(model)
        .where(
            model.id == row_id,
            *(getattr(model, change.column) == change.sealed for change in changes),
        )
        .values(values)
        .execution_options(synchronize_session=False)
    )
    try:
        async with session.begin_nested():
            result = await session.execute(statement)
    except IntegrityError:
        rotated.conflicts += 1
        return
    if result.rowcount:  # type: ignore[attr-defined]
        rotated.resealed += sum(change.resealed for change in changes)
        rotated.reindexed += sum(change.reindexed for change in changes)
