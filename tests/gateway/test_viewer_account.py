"""The viewer's session and account are read for display, with the request's first
statement; an operation that is not a query acts on the account as an instance of the
request's session (`RequestContext.take_viewer_account`). On the real engine, as in
production."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.errors import Unauthenticated
from models import Account, AccountKind, AccountStatus
from models.database import create_session_factory
from models.unit_of_work import RequestScope
from resolvers.context import RequestContext
from resolvers.settings import profile
from schema.accounts import types
from tests.conftest import Clock, Live
from tests.support.factories import create_account
from tests.support.viewers import sign_in

WHO_AM_I = "{ viewer { account { displayName ... on IndividualAccount { profile { bio } } } } }"
CHANGE_BIO = """
mutation { updateProfile(input: { bio: "changed" }) {
  account { displayName ... on IndividualAccount { profile { bio } } } userErrors { code } } }
"""


class Seen:
    """The viewer's account as each operation's first field found it."""

    def __init__(self) -> None:
        self.accounts: list[tuple[bool, bool]] = []  # (ORM instance, the session's own)

    def record(self, ctx: RequestContext) -> None:
        account = ctx.viewer_account
        state = inspect(account, raiseerr=False)
        self.accounts.append(
            (state is not None, state is not None and state.session is ctx.session.sync_session)
        )


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    """Records the viewer's account as `viewer { account }` (a query) and
    `updateProfile` (a mutation) find it."""
    found = Seen()
    shown = types.viewer_account
    required = profile.require_account

    async def viewer_account(ctx: RequestContext) -> Any:
        found.record(ctx)
        return await shown(ctx)

    def require_account(ctx: RequestContext) -> Account:
        found.record(ctx)
        return required(ctx)

    monkeypatch.setattr(types, "viewer_account", viewer_account)
    monkeypatch.setattr(profile, "require_account", require_account)
    return found


async def person(live: Live, clock: Clock) -> tuple[Account, str]:
    async with live.session() as db:
        account = await create_account(db, kind=AccountKind.INDIVIDUAL)
        token = await sign_in(db, live.services, clock(), account=account)
    return account, token


async def post(live: Live, token: str, document: str) -> dict[str, Any]:
    response = await live.client.post(
        "/graphql", json={"query": document}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_a_query_shows_the_account_and_a_mutation_changes_the_sessions_own(
    live: Live, clock: Clock, seen: Seen
) -> None:
    account, token = await person(live, clock)

    shown = await post(live, token, WHO_AM_I)
    changed = await post(live, token, CHANGE_BIO)

    assert shown["viewer"]["account"]["displayName"] == account.display_name
    assert changed["updateProfile"]["userErrors"] == []
    assert changed["updateProfile"]["account"]["profile"]["bio"] == "changed"
    # The query's account is a row read for display; the mutation's, once taken into
    # the request's session, is the session's own instance.
    assert seen.accounts == [(False, False), (True, True)]
    async with live.session() as db:
        assert await db.scalar(select(Account.bio).where(Account.id == account.id)) == "changed"


def shown_row(account_id: uuid.UUID) -> Account:
    """An account as a read for display makes it: a plain instance no session tracks."""
    row = object.__new__(Account)
    row.__dict__["id"] = account_id
    return row


async def test_the_viewers_account_taken_into_the_session_is_the_stored_row(
    engine_scope: RequestScope, engine: AsyncEngine
) -> None:
    scope = engine_scope
    async with create_session_factory(engine)() as db:
        stored = await create_account(db, kind=AccountKind.INDIVIDUAL)
        await db.commit()
    ctx = RequestContext(scope=scope, viewer_account=shown_row(stored.id))

    await ctx.take_viewer_account()

    taken = ctx.viewer_account
    assert taken is not None
    assert inspect(taken).persistent
    assert taken in scope.session
    assert (taken.id, taken.display_name) == (stored.id, stored.display_name)
    # The loaders start again from it: the account loader answers with the session's own.
    assert await ctx.loaders.account_by_id.load(stored.id) is taken
    # Taken once: asked again, nothing changes.
    await ctx.take_viewer_account()
    assert ctx.viewer_account is taken


async def test_an_account_gone_since_it_was_read_is_refused(engine_scope: RequestScope) -> None:
    ctx = RequestContext(scope=engine_scope, viewer_account=shown_row(uuid.uuid4()))

    with pytest.raises(Unauthenticated, match="no longer active"):
        await ctx.take_viewer_account()

    assert ctx.viewer_account is None


@pytest.mark.parametrize("status", [AccountStatus.DISABLED, AccountStatus.CANCELLED])
async def test_an_account_disabled_after_the_token_was_checked_changes_nothing(
    live: Live, clock: Clock, monkeypatch: pytest.MonkeyPatch, status: AccountStatus
) -> None:
    # Another request disables the account between this one's token check and its
    # mutation: the account read again for the mutation is no longer live.
    account, token = await person(live, clock)
    take = RequestContext.take_viewer_account

    async def disabled_first(self: RequestContext) -> None:
        async with live.session() as db:
            await db.execute(update(Account).where(Account.id == account.id).values(status=status))
            await db.commit()
        await take(self)

    monkeypatch.setattr(RequestContext, "take_viewer_account", disabled_first)

    response = await live.client.post(
        "/graphql", json={"query": CHANGE_BIO}, headers={"Authorization": f"Bearer {token}"}
    )

    body = response.json()
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert [error["message"] for error in body["errors"]] == ["The account is no longer active."]
    async with live.session() as db:
        assert await db.scalar(select(Account.bio).where(Account.id == account.id)) is None
