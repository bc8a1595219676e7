"""A material version on 10,000 accounts: every account notified, in a fixed number of
SQL statements however many accounts there are."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, AccountKind, AccountStatus, Notification, StaffRole
from tests.conftest import Clock, StatementCounter
from tests.resolvers.policies.helpers import notifications, publish
from tests.support.viewers import Viewers

# The session behind the token; the staff member, read when authenticating and again for
# the role check (the session's identity map holds rows only while they are referenced);
# the look-up of the version; the new version's INSERT; its privacy event's INSERT; one
# INSERT ... SELECT of the notifications. The clock stands still here, so the session's
# last-used time needs no UPDATE.
PUBLICATION_STATEMENTS = 7


async def seed_accounts(
    db: AsyncSession,
    now: datetime,
    count: int,
    *,
    batch: str,
    status: AccountStatus = AccountStatus.ACTIVE,
) -> None:
    """`count` accounts in one bulk INSERT, their display names starting with `batch`."""
    rows: list[dict[str, Any]] = [
        {
            "kind": AccountKind.INDIVIDUAL,
            "status": status,
            "display_name": f"{batch} {status.value.lower()} {n}",
            "created_at": now,
            "accepted_policy_version": "1.0",
            "accepted_policy_at": now,
        }
        for n in range(count)
    ]
    await db.execute(insert(Account), rows)
    await db.commit()


def new_batch() -> str:
    """A display-name prefix no other test's accounts share (the database may be shared)."""
    return f"batch-{uuid.uuid4().hex[:12]}"


async def notified(
    db: AsyncSession, batch: str, title: str, status: AccountStatus = AccountStatus.ACTIVE
) -> tuple[int, int]:
    """Notifications with this title to the batch's accounts of that status, and how many
    accounts they went to."""
    row = (
        await db.execute(
            select(func.count(), func.count(func.distinct(Notification.account_id)))
            .join(Account, Account.id == Notification.account_id)
            .where(
                Notification.title == title,
                Account.display_name.startswith(f"{batch} "),
                Account.status == status,
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def test_a_material_version_notifies_10000_accounts_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient,
    viewers: Viewers,
    clock: Clock,
    db: AsyncSession,
    sql_statements: StatementCounter,
) -> None:
    batch = new_batch()
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)
    await seed_accounts(db, clock(), 10, batch=batch)
    await seed_accounts(db, clock(), 3, batch=batch, status=AccountStatus.CANCELLED)
    sql_statements.reset()
    small = await publish(client, officer, "2.0", clock().date(), material=True)
    with_10 = sql_statements.count
    await seed_accounts(db, clock(), 9_990, batch=batch)

    sql_statements.reset()
    large = await publish(client, officer, "3.0", clock().date(), material=True)
    with_10000 = sql_statements.count

    assert small["data"]["publishPrivacyPolicy"]["userErrors"] == []
    assert large["data"]["publishPrivacyPolicy"]["userErrors"] == []
    assert with_10 == with_10000 == PUBLICATION_STATEMENTS, sql_statements.statements
    assert await notified(db, batch, "Privacy policy 2.0") == (10, 10)
    assert await notified(db, batch, "Privacy policy 3.0") == (10_000, 10_000)
    for title in ("Privacy policy 2.0", "Privacy policy 3.0"):
        assert await notified(db, batch, title, AccountStatus.CANCELLED) == (0, 0)


async def test_each_bulk_notification_has_its_own_id_and_reaches_its_account(
    client: httpx.AsyncClient, viewers: Viewers, clock: Clock, db: AsyncSession
) -> None:
    batch = new_batch()
    await seed_accounts(db, clock(), 50, batch=batch)
    officer = await viewers.staff(StaffRole.PRIVACY_OFFICER, stepped_up=True)
    me = await viewers.person()
    clock.advance(minutes=1)

    await publish(client, officer, "2.0", clock().date(), material=True)

    rows = (
        await db.scalars(
            select(Notification)
            .join(Account, Account.id == Notification.account_id)
            .where(Account.display_name.startswith(f"{batch} "))
        )
    ).all()
    assert len(rows) == 50
    assert len({row.id for row in rows}) == 50
    assert all(isinstance(row.id, uuid.UUID) for row in rows)
    assert {(row.kind, row.created_at, row.read_at) for row in rows} == {
        ("POLICY_UPDATED", clock(), None)
    }
    me = await viewers.sign_in(me.me)
    assert [(n["kind"], n["title"]) for n in await notifications(client, me)] == [
        ("POLICY_UPDATED", "Privacy policy 2.0")
    ]
