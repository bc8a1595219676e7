"""`acceptPrivacyPolicy` and `policyStatus.mustAccept` over HTTP."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, StaffRole
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.policies.helpers import ACCEPT, policy_status, published, status
from tests.support.assertions import error
from tests.support.viewers import SignedIn, Viewers


async def accept(client: httpx.AsyncClient, who: SignedIn | None, version: str) -> dict[str, Any]:
    return await graphql(client, ACCEPT, {"version": version}, token=who.token if who else None)


def accepted(policy_status: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "acceptPrivacyPolicy": {"account": {"policyStatus": policy_status}, "userErrors": []}
        }
    }


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"acceptPrivacyPolicy": {"account": None, "userErrors": list(user_errors)}}}


async def stored_acceptance(db: AsyncSession, account_id: uuid.UUID) -> tuple[Any, ...]:
    db.expunge_all()
    row = (
        await db.execute(
            select(Account.accepted_policy_version, Account.accepted_policy_at).where(
                Account.id == account_id
            )
        )
    ).one()
    return tuple(row)


async def published_a_minute_later(
    client: httpx.AsyncClient, officer: SignedIn, clock: Clock, version: str, *, material: bool
) -> None:
    """`version`, in force from today, published a minute after what came before."""
    clock.advance(minutes=1)
    await published(client, officer, version, clock().date(), material=material)


async def test_accepting_the_current_material_version_clears_must_accept(
    client: httpx.AsyncClient, viewers: Viewers, officer: SignedIn, clock: Clock, db: AsyncSession
) -> None:
    me = await viewers.person()
    other = await viewers.person(phone="13700000000")
    await published_a_minute_later(client, officer, clock, "2.0", material=True)
    clock.advance(minutes=1)

    body = await accept(client, me, "2.0")

    assert body == accepted(status("2.0", "2.0", False))
    assert await policy_status(client, me) == status("2.0", "2.0", False)
    assert await policy_status(client, other) == status("1.0", "2.0", True)
    assert await stored_acceptance(db, me.me.id) == ("2.0", clock())


async def test_an_account_that_never_accepted_must_accept(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    me = await viewers.person(accepted_policy_version=None)

    before = await policy_status(client, me)
    body = await accept(client, me, "1.0")

    assert before == status(None, "1.0", True)
    assert body == accepted(status("1.0", "1.0", False))


async def test_a_later_non_material_version_does_not_ask_again(
    client: httpx.AsyncClient, viewers: Viewers, officer: SignedIn, clock: Clock
) -> None:
    me = await viewers.person()
    await published_a_minute_later(client, officer, clock, "2.0", material=True)
    await accept(client, me, "2.0")
    await published_a_minute_later(client, officer, clock, "2.1", material=False)

    assert await policy_status(client, me) == status("2.0", "2.1", False)
    assert await accept(client, me, "2.1") == accepted(status("2.1", "2.1", False))


async def test_accepting_a_later_version_covers_an_earlier_material_one(
    client: httpx.AsyncClient, viewers: Viewers, officer: SignedIn, clock: Clock
) -> None:
    me = await viewers.person()
    await published_a_minute_later(client, officer, clock, "2.0", material=True)
    await published_a_minute_later(client, officer, clock, "2.1", material=False)

    before = await policy_status(client, me)
    body = await accept(client, me, "2.1")

    assert before == status("1.0", "2.1", True)
    assert body == accepted(status("2.1", "2.1", False))


async def test_an_unknown_version_is_not_found(
    client: httpx.AsyncClient, viewers: Viewers, db: AsyncSession
) -> None:
    me = await viewers.person(accepted_policy_version=None)

    body = await accept(client, me, "9.9")

    assert body == refused(error("NOT_FOUND", "Accept the version in force, 1.0.", "version"))
    assert await stored_acceptance(db, me.me.id) == (None, None)


async def test_an_older_version_is_not_the_one_in_force(
    client: httpx.AsyncClient, viewers: Viewers, officer: SignedIn, clock: Clock, db: AsyncSession
) -> None:
    me = await viewers.person()
    before = await stored_acceptance(db, me.me.id)
    await published_a_minute_later(client, officer, clock, "2.0", material=True)

    body = await accept(client, me, "1.0")

    assert body == refused(error("INVALID_INPUT", "Accept the version in force, 2.0.", "version"))
    assert await stored_acceptance(db, me.me.id) == before
    assert await policy_status(client, me) == status("1.0", "2.0", True)


async def test_a_future_version_cannot_be_accepted_yet(
    client: httpx.AsyncClient, viewers: Viewers, officer: SignedIn, clock: Clock, db: AsyncSession
) -> None:
    me = await viewers.person()
    before = await stored_acceptance(db, me.me.id)
    await published(client, officer, "2.0", clock().date() + timedelta(days=7), material=True)

    body = await accept(client, me, "2.0")

    assert body == refused(error("INVALID_INPUT", "Accept the version in force, 1.0.", "version"))
    assert await stored_acceptance(db, me.me.id) == before


async def test_anonymous_callers_are_unauthenticated(client: httpx.AsyncClient) -> None:
    body = await accept(client, None, "1.0")

    assert body["data"] is None
    assert [(e["message"], e["path"], e["extensions"]) for e in body["errors"]] == [
        ("Sign in first.", ["acceptPrivacyPolicy"], {"code": "UNAUTHENTICATED"})
    ]


@pytest.mark.parametrize("role", list(StaffRole))
async def test_staff_are_forbidden(
    client: httpx.AsyncClient, viewers: Viewers, role: StaffRole
) -> None:
    staff = await viewers.staff(role)

    body = await accept(client, staff, "1.0")

    assert body["data"] is None
    assert [(e["message"], e["path"], e["extensions"]) for e in body["errors"]] == [
        ("Only an account may do this.", ["acceptPrivacyPolicy"], {"code": "FORBIDDEN"})
    ]
