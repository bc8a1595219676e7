"""unbindBankCard over HTTP: only the owner's own card goes (docs/spec/settings.md#bank-cards)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import BankCard
from resolvers.global_id import to_global_id
from tests.helpers import graphql
from tests.resolvers.settings.helpers import (
    USER_ERRORS,
    count,
    error,
    forbidden_for_staff,
    unauthenticated,
)
from tests.support.viewers import KINDS, Viewers

BIND = f"""
mutation($input: BindBankCardInput!) {{
  bindBankCard(input: $input) {{ bankCard {{ id }} {USER_ERRORS} }}
}}
"""
UNBIND = f"""
mutation($input: UnbindBankCardInput!) {{ unbindBankCard(input: $input) {{ ok {USER_ERRORS} }} }}
"""
CARDS = "{ viewer { account { bankCards { last4 } } } }"
NOT_FOUND = {
    "data": {
        "unbindBankCard": {"ok": False, "userErrors": [error("NOT_FOUND", "No such card.", "id")]}
    }
}


async def bind(client: httpx.AsyncClient, token: str, number: str = "6222020200112345679") -> str:
    card = {
        "bankName": "中国工商银行",
        "branch": "Haidian branch",
        "location": "Beijing",
        "cardNumber": number,
        "holderName": "张三",
        "separateConsent": True,
    }
    body = await graphql(client, BIND, {"input": card}, token=token)
    assert body["data"]["bindBankCard"]["userErrors"] == [], body
    card_id: str = body["data"]["bindBankCard"]["bankCard"]["id"]
    return card_id


async def unbind(client: httpx.AsyncClient, token: str | None, card_id: str) -> dict[str, Any]:
    return await graphql(client, UNBIND, {"input": {"id": card_id}}, token=token)


async def test_anonymous_callers_must_sign_in(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers
) -> None:
    owner = await viewers.individual()
    card_id = await bind(client, owner.token)

    body = await unbind(client, None, card_id)

    assert body == unauthenticated(UNBIND, "unbindBankCard")
    assert await count(db, BankCard, account_id=owner.me.id) == 1


async def test_staff_cannot_unbind_an_accounts_card(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers
) -> None:
    owner = await viewers.individual()
    card_id = await bind(client, owner.token)
    staff = await viewers.staff()

    body = await unbind(client, staff.token, card_id)

    assert body == forbidden_for_staff(UNBIND, "unbindBankCard")
    assert await count(db, BankCard, account_id=owner.me.id) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_the_owner_unbinds_its_card(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, kind: str
) -> None:
    viewer = await viewers.of_kind(kind)
    kept = await bind(client, viewer.token, "6222020200112345679")
    gone = await bind(client, viewer.token, "6227000000000000003")

    body = await unbind(client, viewer.token, gone)
    cards = await graphql(client, CARDS, token=viewer.token)

    assert body == {"data": {"unbindBankCard": {"ok": True, "userErrors": []}}}
    assert cards == {"data": {"viewer": {"account": {"bankCards": [{"last4": "5679"}]}}}}
    [remaining] = (
        await db.scalars(select(BankCard).where(BankCard.account_id == viewer.me.id))
    ).all()
    assert to_global_id("BankCard", remaining.id) == kept


async def test_another_accounts_card_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers
) -> None:
    enterprise = await viewers.enterprise()
    owner = await viewers.individual()
    others = [
        await viewers.individual(phone="13812345679"),
        enterprise,
        await viewers.sub_account(enterprise.me),
    ]
    card_id = await bind(client, owner.token)

    answers = [await unbind(client, other.token, card_id) for other in others]

    assert answers == [NOT_FOUND] * 3
    assert await count(db, BankCard, account_id=owner.me.id) == 1


async def test_a_card_unbound_already_is_not_found(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    viewer = await viewers.individual()
    card_id = await bind(client, viewer.token)
    await unbind(client, viewer.token, card_id)

    body = await unbind(client, viewer.token, card_id)

    assert body == NOT_FOUND


async def test_ids_that_name_no_card_are_not_found(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers
) -> None:
    viewer = await viewers.individual()
    card_id = await bind(client, viewer.token)
    [card] = (await db.scalars(select(BankCard).where(BankCard.account_id == viewer.me.id))).all()

    answers = [
        await unbind(client, viewer.token, other_id)
        for other_id in (
            to_global_id("BankCard", uuid.uuid4()),
            # The card's key under another type's name is not the card.
            to_global_id("IndividualAccount", card.id),
            to_global_id("IndividualAccount", viewer.me.id),
        )
    ]

    assert answers == [NOT_FOUND] * 3
    assert await count(db, BankCard, account_id=viewer.me.id) == 1
    assert card_id == to_global_id("BankCard", card.id)
