"""Device permissions: all off until the person turns one on; every change is kept."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.account import account_reference, enum_column
from models.base import Base, UTCDateTime, UUIDPrimaryKey


class DevicePermissionKind(StrEnum):
    CAMERA = "CAMERA"
    MICROPHONE = "MICROPHONE"
    LOCATION = "LOCATION"
    PHOTOS = "PHOTOS"
    CONTACTS = "CONTACTS"
    NOTIFICATIONS = "NOTIFICATIONS"
    CLIPBOARD = "CLIPBOARD"


class DevicePermission(UUIDPrimaryKey, Base):
    __tablename__ = "device_permissions"
    __table_args__ = (UniqueConstraint("account_id", "permission"),)

    account_id: Mapped[uuid.UUID] = account_reference()
    permission: Mapped[DevicePermissionKind] = mapped_column(
        enum_column(DevicePermissionKind, "device_permission_kind")
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DevicePermissionEvent(UUIDPrimaryKey, Base):
    """One change of a device permission; never rewritten."""

    __tablename__ = "device_permission_events"
    __table_args__ = (Index("ix_device_permission_events_account", "account_id", "created_at"),)

    account_id: Mapped[uuid.UUID] = account_reference()
    permission: Mapped[DevicePermissionKind] = mapped_column(
        enum_column(DevicePermissionKind, "device_permission_kind")
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
