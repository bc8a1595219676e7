"""Concurrent requests of different viewers each get their own masking.

The app here has sessions of its own on the real engine, one connection per request
(the shared `client` fixture runs every request on the test's one connection), so the
test data is committed and deleted again at the end.
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette

import schema.sensitive
from auth.services import AuthServices
from gateway.app import create_app
from gateway.settings import Settings
from models import AccessLogEntry, Account, AccountKind
from models.database import create_session_factory
from resolvers.masking.reveal import present
from tests.conftest import Clock
from tests.schema.masking.helpers import refusal
from tests.support.apps import client_of
from tests.support.assertions import without_locations
from tests.support.viewers import sign_in

ROUNDS = 3
# Where a `committed` session keeps the IDs of the accounts to delete at the end.
CREATED = "created_accounts"


def mainland_phone() -> tuple[str, str]:
    """A random mainland mobile number (nobody else's), clear and masked."""
    national = "139" + "".join(secrets.choice("0123456789") for _ in range(8))
    return f"+86{national}", f"{national[:3]}****{national[-4:]}"


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session on its own connection whose accounts are deleted after the test."""
    factory = create_session_factory(engine)
    async with factory() as session:
        yield session
        ids = session.info.get(CREATED, [])
        await session.rollback()
        await session.execute(delete(Account).where(Account.id.in_(ids)))
        await session.commit()


@dataclass(frozen=True)
class Committing:
    """The `committed` session, an app on the real engine (every request on a connection
    of its own), and the test's services and clock."""

    db: AsyncSession
    app: Starlette
    services: AuthServices
    clock: Clock

    async def sign_in(self, account: Account, *, elevated: bool = False) -> str:
        return await sign_in(
            self.db, self.services, self.clock(), account=account, elevated=elevated
        )


@pytest.fixture
def committing(
    committed: AsyncSession,
    engine: AsyncEngine,
    settings: Settings,
    services: AuthServices,
    clock: Clock,
) -> Committing:
    app = create_app(settings, engine=engine, services=services, clock=clock)
    return Committing(committed, app, services, clock)


class Rendezvous:
    """Holds every masking decision until `parties` requests are all inside one."""

    def __init__(self, parties: int, present: Callable[..., Any]) -> None:
        self.parties = parties
        self.present = present
        self.arrived: set[int] = set()
        self.everyone_in = asyncio.Event()

    async def __call__(self, ctx: Any, *args: Any, **kwargs: Any) -> Any:
        self.arrived.add(id(ctx))
        if len(self.arrived) >= self.parties:
            self.everyone_in.set()
        await asyncio.wait_for(self.everyone_in.wait(), timeout=10)
        shown = self.present(ctx, *args, **kwargs)
        return await shown if inspect.isawaitable(shown) else shown


@dataclass
class Scene:
    enterprise: Account
    member: Account
    enterprise_phone: str
    member_phone: str
    member_masked: str


async def create_scene(session: AsyncSession, now: datetime) -> Scene:
    enterprise_phone, _ = mainland_phone()
    member_phone, member_masked = mainland_phone()
    enterprise = Account(
        kind=AccountKind.ENTERPRISE, display_name="Ent", company_name="Ent Co", created_at=now
    )
    enterprise.phone = enterprise_phone
    enterprise.email = f"ent-{uuid.uuid4().hex[:12]}@example.com"
    session.add(enterprise)
    await session.flush()
    member = Account(
        kind=AccountKind.SUB_ACCOUNT,
        display_name="Member",
        enterprise_id=enterprise.id,
        created_at=now,
    )
    member.phone = member_phone
    session.add(member)
    await session.flush()
    session.info.setdefault(CREATED, []).extend([member.id, enterprise.id])
    return Scene(enterprise, member, enterprise_phone, member_phone, member_masked)


async def ask_together(
    app: Starlette, asks: dict[str, tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """Every (token, query) at once, each masking decision held until all are inside."""
    rendezvous = Rendezvous(len(asks), present)
    async with client_of(app) as client:

        async def ask(token: str, query: str) -> Any:
            response = await client.post(
                "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
            )
            return response.status_code, without_locations(response.json())

        with monkeypatch.context() as patch:
            patch.setattr(schema.sensitive, "present", rendezvous)
            answers = await asyncio.gather(*(ask(*asked) for asked in asks.values()))
    assert len(rendezvous.arrived) == len(asks)
    return dict(zip(asks, answers, strict=True))


async def logged(session: AsyncSession, subject: Account) -> int:
    statement = select(func.count()).where(AccessLogEntry.subject_id == subject.id)
    return int(await session.scalar(statement) or 0)


OWN_PHONE = "{ viewer { account { phone(reveal: true) email } } }"
ENTERPRISE_PHONE = """
{ viewer { account { phone ... on SubAccount { enterprise { displayName phone(reveal: true) } } } } }
"""
ENTERPRISE_EMAIL = "e***@example.com"


async def test_concurrent_viewers_each_get_their_own_masking(
    committing: Committing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The enterprise reveals its phone while it and its member are refused it."""
    scene = await create_scene(committing.db, committing.clock())
    elevated = await committing.sign_in(scene.enterprise, elevated=True)
    plain = await committing.sign_in(scene.enterprise)
    member = await committing.sign_in(scene.member, elevated=True)

    for _ in range(ROUNDS):
        answers = await ask_together(
            committing.app,
            {
                "enterprise stepped up": (elevated, OWN_PHONE),
                "enterprise": (plain, OWN_PHONE),
                "member": (member, ENTERPRISE_PHONE),
                "member on its own": (member, OWN_PHONE.replace("phone(reveal: true)", "phone")),
            },
            monkeypatch,
        )

        account = ["viewer", "account"]
        assert answers == {
            "enterprise stepped up": (
                200,
                {
                    "data": {
                        "viewer": {
                            "account": {"phone": scene.enterprise_phone, "email": ENTERPRISE_EMAIL}
                        }
                    }
                },
            ),
            "enterprise": (
                200,
                {
                    "data": {"viewer": {"account": {"phone": None, "email": ENTERPRISE_EMAIL}}},
                    "errors": [refusal("STEP_UP_REQUIRED", [*account, "phone"])],
                },
            ),
            "member": (
                200,
                {
                    "data": {
                        "viewer": {
                            "account": {
                                "phone": scene.member_masked,
                                "enterprise": {"displayName": "Ent", "phone": None},
                            }
                        }
                    },
                    "errors": [refusal("FORBIDDEN", [*account, "enterprise", "phone"])],
                },
            ),
            "member on its own": (
                200,
                {"data": {"viewer": {"account": {"phone": scene.member_masked, "email": None}}}},
            ),
        }

    assert await logged(committing.db, scene.enterprise) == ROUNDS
    assert await logged(committing.db, scene.member) == 0


async def test_concurrent_clear_reveals_of_two_viewers_are_each_answered_and_logged(
    committing: Committing, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = await create_scene(committing.db, committing.clock())
    enterprise = await committing.sign_in(scene.enterprise, elevated=True)
    member = await committing.sign_in(scene.member, elevated=True)
    query = "{ viewer { account { phone(reveal: true) } } }"

    for _ in range(ROUNDS):
        answers = await ask_together(
            committing.app,
            {"enterprise": (enterprise, query), "member": (member, query)},
            monkeypatch,
        )

        assert answers == {
            "enterprise": (
                200,
                {"data": {"viewer": {"account": {"phone": scene.enterprise_phone}}}},
            ),
            "member": (200, {"data": {"viewer": {"account": {"phone": scene.member_phone}}}}),
        }

    assert await logged(committing.db, scene.enterprise) == ROUNDS
    assert await logged(committing.db, scene.member) == ROUNDS
