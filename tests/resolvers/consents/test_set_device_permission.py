"""`setDevicePermission` over HTTP: all off until turned on, every change kept."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import DevicePermission, DevicePermissionEvent, DevicePermissionKind
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.consents.helpers import history
from tests.support.assertions import USER_ERRORS
from tests.support.viewers import SignedIn, Viewers

SET_DEVICE_PERMISSION = f"""
mutation($input: SetDevicePermissionInput!) {{
  setDevicePermission(input: $input) {{
    devicePermission {{ permission enabled updatedAt }}
    {USER_ERRORS}
  }}
}}
"""
MY_PERMISSIONS = "{ viewer { account { devicePermissions { permission enabled updatedAt } } } }"
KINDS = [kind.value for kind in DevicePermissionKind]


async def set_permission(
    client: httpx.AsyncClient, who: SignedIn | None, permission: str, enabled: bool
) -> dict[str, Any]:
    return await graphql(
        client,
        SET_DEVICE_PERMISSION,
        {"input": {"permission": permission, "enabled": enabled}},
        token=who.token if who else None,
    )


async def my_permissions(client: httpx.AsyncClient, who: SignedIn) -> list[dict[str, Any]]:
    body = await graphql(client, MY_PERMISSIONS, token=who.token)
    assert "errors" not in body, body
    permissions: list[dict[str, Any]] = body["data"]["viewer"]["account"]["devicePermissions"]
    return permissions


async def stored_events(db: AsyncSession, account_id: uuid.UUID) -> list[tuple[Any, ...]]:
    columns = ("id", "permission", "enabled", "created_at")
    return await history(db, DevicePermissionEvent, account_id, *columns)


def off(permission: str) -> dict[str, Any]:
    return {"permission": permission, "enabled": False, "updatedAt": None}


def changed(state: dict[str, Any]) -> dict[str, Any]:
    """setDevicePermission's answer when the permission is now in `state`."""
    return {"data": {"setDevicePermission": {"devicePermission": state, "userErrors": []}}}


def all_off_but(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every permission, in order: off, but the one in `state`."""
    return [state if kind == state["permission"] else off(kind) for kind in KINDS]


async def test_there_are_seven_permissions_all_disabled(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    me = await viewers.person()

    permissions = await my_permissions(client, me)

    assert len(KINDS) == 7
    assert permissions == [off(kind) for kind in KINDS]


@pytest.mark.parametrize("permission", KINDS)
async def test_enabling_one_is_timestamped_and_leaves_the_others_off(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession, permission: str
) -> None:
    me = await viewers.person()
    clock.advance(minutes=3)

    body = await set_permission(client, me, permission, True)

    enabled = {"permission": permission, "enabled": True, "updatedAt": clock().isoformat()}
    assert body == changed(enabled)
    assert await my_permissions(client, me) == all_off_but(enabled)
    assert [row[1:] for row in await stored_events(db, me.me.id)] == [
        (DevicePermissionKind(permission), True, clock())
    ]


@pytest.mark.parametrize("permission", KINDS)
async def test_turning_one_off_appends_and_leaves_earlier_events_unchanged(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession, permission: str
) -> None:
    me = await viewers.person()
    enabled_at = clock()
    await set_permission(client, me, permission, True)
    earlier = await stored_events(db, me.me.id)
    clock.advance(minutes=7)

    body = await set_permission(client, me, permission, False)

    disabled = {"permission": permission, "enabled": False, "updatedAt": clock().isoformat()}
    assert body == changed(disabled)
    assert await my_permissions(client, me) == all_off_but(disabled)
    db.expunge_all()
    events = await stored_events(db, me.me.id)
    assert events[:1] == earlier
    assert [row[1:] for row in events] == [
        (DevicePermissionKind(permission), True, enabled_at),
        (DevicePermissionKind(permission), False, clock()),
    ]


async def test_the_current_state_is_one_row_per_permission(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession
) -> None:
    me = await viewers.person()

    for enabled in (True, False, True):
        clock.advance(seconds=30)
        await set_permission(client, me, "CAMERA", enabled)

    rows = await db.scalar(
        select(func.count())
        .select_from(DevicePermission)
        .where(DevicePermission.account_id == me.me.id)
    )
    assert rows == 1
    assert len(await stored_events(db, me.me.id)) == 3
    assert (await my_permissions(client, me))[0] == {
        "permission": "CAMERA",
        "enabled": True,
        "updatedAt": clock().isoformat(),
    }
