"""Everything stored about one account, as plain data, for its owner's export.

The export walks the metadata instead of a hand-kept list: every table with a column
that refers to an account is included, so a table added later is exported without
further work (and the export test fails if it is not). Sealed values are opened;
blind indexes and hashes of secrets (passwords, tokens, codes) are left out, as they
say nothing a person can read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import LargeBinary, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.account import Account
from models.base import Base
from models.encryption import encrypted_attributes

SCHEMA_VERSION = 1
# Columns that hold secrets' hashes, not the person's data.
LEFT_OUT = frozenset({"password_hash", "refresh_secret_hash", "token_hash", "state_hash"})


def account_columns(model: type[Any]) -> list[str]:
    """The columns by which rows of `model` belong to an account."""
    table = model.__table__
    return [
        column.key
        for column in table.columns
        if any(fk.column.table.name == "accounts" for fk in column.foreign_keys)
        and column.key != "enterprise_id"
    ]


def exported_models() -> list[type[Any]]:
    models = [mapper.class_ for mapper in Base.registry.mappers]
    return sorted(
        (model for model in models if model is not Account and account_columns(model)),
        key=lambda model: model.__tablename__,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def row_data(row: Any) -> dict[str, Any]:
    model = type(row)
    sealed = encrypted_attributes(model)
    hidden = {a.column for a in sealed} | {a.index for a in sealed if a.index} | LEFT_OUT
    data: dict[str, Any] = {}
    for column in model.__table__.columns:
        key = model.__mapper__.get_property_by_column(column).key
        if key in hidden or isinstance(column.type, LargeBinary):
            continue
        data[key] = _plain(getattr(row, key))
    for attribute in sealed:
        data[attribute.name] = getattr(row, attribute.name)
    return dict(sorted(data.items()))


async def account_export(session: AsyncSession, account: Account, now: datetime) -> dict[str, Any]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for model in exported_models():
        columns = account_columns(model)
        statement = select(model).where(
            *[getattr(model, column) == account.id for column in columns[:1]]
        )
        rows = (await session.scalars(statement)).all()
        tables[model.__tablename__] = [row_data(row) for row in rows]
    return {
        "schemaVersion": SCHEMA_VERSION,
        "generatedAt": now.isoformat(),
        "account": row_data(account),
        "tables": tables,
    }
