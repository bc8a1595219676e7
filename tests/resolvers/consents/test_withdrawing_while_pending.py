"""Withdrawing is never harder than granting: a minor awaiting a guardian's consent turns
permissions off, clears search history and unbinds cards, but grants nothing
(docs/spec/privacy-centre.md#minors, docs/spec/privacy-centre.md#withdrawing)."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AccountStatus,
    BankCard,
    DevicePermission,
    DevicePermissionKind,
    SearchEntry,
)
from resolvers.global_id import to_global_id
from tests.conftest import Clock
from tests.helpers import graphql
from tests.support.assertions import USER_ERRORS, error
from tests.support.factories import bank_card
from tests.support.viewers import SignedIn, Viewers

GUARDIAN_CONSENT_REQUIRED = error(
    "GUARDIAN_CONSENT_REQUIRED", "A guardian must consent before this account can do that."
)
SET_PERMISSION = f"""
mutation($input: SetDevicePermissionInput!) {{
  setDevicePermission(input: $input) {{ devicePermission {{ permission enabled }} {USER_ERRORS} }}
}}
"""
CLEAR = f"mutation {{ clearSearchHistory {{ ok {USER_ERRORS} }} }}"
UNBIND = f"""
mutation($id: ID!) {{ unbindBankCard(input: {{ id: $id }}) {{ ok {USER_ERRORS} }} }}
"""


async def pending_minor(viewers: Viewers, db: AsyncSession) -> SignedIn:
    me = await viewers.person()
    me.me.status = AccountStatus.PENDING_GUARDIAN_CONSENT
    await db.commit()
    return me


async def count(db: AsyncSession, model: type[object], who: SignedIn) -> int:
    statement = select(func.count()).select_from(model).where(model.account_id == who.me.id)  # type: ignore[attr-defined]
    return int(await db.scalar(statement) or 0)


async def add_card(db: AsyncSession, who: SignedIn, now: datetime) -> BankCard:
    card = bank_card(who.me.id, "6222020200112233445", now)
    db.add(card)
    await db.commit()
    return card


@pytest.mark.parametrize("permission", [kind.value for kind in DevicePermissionKind])
async def test_a_pending_minor_turns_a_permission_off_but_not_on(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession, clock: Clock, permission: str
) -> None:
    me = await viewers.person()
    on = await graphql(
        client,
        SET_PERMISSION,
        {"input": {"permission": permission, "enabled": True}},
        token=me.token,
    )
    assert on["data"]["setDevicePermission"]["userErrors"] == []
    me.me.status = AccountStatus.PENDING_GUARDIAN_CONSENT
    await db.commit()

    off = await graphql(
        client,
        SET_PERMISSION,
        {"input": {"permission": permission, "enabled": False}},
        token=me.token,
    )
    again = await graphql(
        client,
        SET_PERMISSION,
        {"input": {"permission": permission, "enabled": True}},
        token=me.token,
    )

    assert off == {
        "data": {
            "setDevicePermission": {
                "devicePermission": {"permission": permission, "enabled": False},
                "userErrors": [],
            }
        }
    }
    assert again == {
        "data": {
            "setDevicePermission": {
                "devicePermission": None,
                "userErrors": [GUARDIAN_CONSENT_REQUIRED],
            }
        }
    }
    row = await db.scalar(select(DevicePermission).where(DevicePermission.account_id == me.me.id))
    assert row is not None
    await db.refresh(row)
    assert row.enabled is False


async def test_a_pending_minor_clears_the_search_history(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession, clock: Clock
) -> None:
    me = await pending_minor(viewers, db)
    for query in ("chairs", "lamps"):
        entry = SearchEntry(account_id=me.me.id, created_at=clock())
        entry.query = query
        db.add(entry)
    await db.commit()

    body = await graphql(client, CLEAR, token=me.token)

    assert body == {"data": {"clearSearchHistory": {"ok": True, "userErrors": []}}}
    assert await count(db, SearchEntry, me) == 0


async def test_a_pending_minor_unbinds_a_card(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession, clock: Clock
) -> None:
    me = await pending_minor(viewers, db)
    card = await add_card(db, me, clock())

    body = await graphql(client, UNBIND, {"id": to_global_id("BankCard", card.id)}, token=me.token)

    assert body == {"data": {"unbindBankCard": {"ok": True, "userErrors": []}}}
    assert await count(db, BankCard, me) == 0
