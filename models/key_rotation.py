"""Re-seal every encrypted value with the current data key (`xiamo-gateway keys rotate`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import Base
from models.encryption import Encrypted, encrypted_attributes

BATCH_SIZE = 500


def sealed_models() -> list[tuple[type[Any], list[Encrypted]]]:
    found = []
    for mapper in Base.registry.mappers:
        attributes = encrypted_attributes(mapper.class_)
        if attributes:
            found.append((mapper.class_, attributes))
    return sorted(found, key=lambda item: item[0].__tablename__)


async def rotate_keys(session: AsyncSession, *, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Values re-sealed per table. Walks each table in primary-key batches, committing each
    batch, so it runs on tables of any size and can be stopped and run again."""
    counts: dict[str, int] = {}
    for model, attributes in sealed_models():
        resealed = 0
        last_id = None
        while True:
            statement = select(model).order_by(model.id).limit(batch_size)
            if last_id is not None:
                statement = statement.where(model.id > last_id)
            rows = list((await session.scalars(statement)).all())
            if not rows:
                break
            for row in rows:
                for attribute in attributes:
                    resealed += attribute.reseal(row)
            last_id = rows[-1].id
            await session.commit()
            session.expunge_all()
        counts[model.__tablename__] = resealed
    return counts
