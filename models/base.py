"""The declarative base: naming convention, client-side UUID keys, UTC timestamps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Index, MetaData, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, configure_mappers, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, on SQLite (naive storage) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def unique_where(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows that match `where` only (a partial index), on
    PostgreSQL and SQLite alike: the database decides, even when two requests race."""
    condition = text(where)
    return Index(name, *columns, unique=True, postgresql_where=condition, sqlite_where=condition)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UUIDPrimaryKey:
    """A primary key chosen by the application when the object is made.

    Known before the INSERT, so that values encrypted at rest can bind their row id as
    associated data.
    """

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


@event.listens_for(UUIDPrimaryKey, "init", propagate=True)
def _assign_id(target: Any, args: Any, kwargs: dict[str, Any]) -> None:
    # Set before the constructor assigns the other attributes, which may need it; the
    # mappers must be configured first (this listener can run before SQLAlchemy's own).
    configure_mappers()
    target.id = kwargs.pop("id", None) or uuid.uuid4()
