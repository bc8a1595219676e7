"""The retention of each inventory category beyond searches, sign-ins and codes: what
`retention run` deletes and when, and what a cancelled account leaves for six months."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AccessLogEntry,
    Account,
    ActorKind,
    AuthSession,
    DataRequest,
    DataRequestRequester,
    DataRequestStatus,
    DataRequestType,
    DeliveryStatus,
    LoginEvent,
    LoginMethod,
    MessageChannel,
    Notification,
    PrivacyEvent,
    QueuedMessage,
    RealNameVerification,
    RequesterRelation,
    RequestOrigin,
    RetainedLog,
    SensitiveKind,
    StaffRole,
    StudentVerification,
    VerificationStatus,
)
from resolvers.privacy.inventory import shipped_inventory
from resolvers.rights.retention import RULES, run_retention
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.rights.helpers import create_person
from tests.support.api import Api
from tests.support.assertions import USER_ERRORS
from tests.support.factories import (
    create_data_request,
    verification,
)
from tests.support.viewers import sign_in, step_up_with_password

CANCEL = f"""
mutation {{ cancelAccount(input: {{confirmation: "CANCEL"}}) {{ ok {USER_ERRORS} }} }}
"""


def test_every_category_with_days_has_a_rule_and_every_rule_a_category() -> None:
    inventory = shipped_inventory()
    with_days = {c.key for c in inventory.categories if c.retention_days is not None}

    assert {rule.category for rule in RULES} == with_days


async def ids(db: AsyncSession, model: type[Any]) -> set[Any]:
    key = model.__mapper__.primary_key[0]
    return set((await db.scalars(select(key).execution_options(populate_existing=True))).all())


async def retention_run(db: AsyncSession, now: datetime, rows: list[Any]) -> dict[str, int]:
    """The rows stored, then the retention job run at `now`: what it deleted, by category."""
    db.add_all(rows)
    await db.commit()
    return await run_retention(db, shipped_inventory(), now)


async def person(db: AsyncSession, now: datetime) -> Account:
    return await create_person(db, now)


def session_row(account: Account, now: datetime, ended: datetime, *, revoked: bool) -> AuthSession:
    return AuthSession(
        account_id=account.id,
        refresh_secret_hash=uuid.uuid4().bytes * 2,
        created_at=ended - timedelta(days=30),
        last_used_at=ended - timedelta(days=1),
        refresh_expires_at=ended if not revoked else now + timedelta(days=30),
        revoked_at=ended if revoked else None,
    )


async def test_sessions_go_180_days_after_they_ended(db: AsyncSession, clock: Clock) -> None:
    now = clock()
    account = await person(db, now)
    revoked_long_ago = session_row(account, now, now - timedelta(days=181), revoked=True)
    lapsed_long_ago = session_row(account, now, now - timedelta(days=181), revoked=False)
    revoked_lately = session_row(account, now, now - timedelta(days=179), revoked=True)
    lapsed_lately = session_row(account, now, now - timedelta(days=179), revoked=False)
    # Opened long ago, still in use: its age is not its creation.
    open_session = session_row(account, now, now + timedelta(days=20), revoked=False)
    open_session.created_at = now - timedelta(days=400)

    counts = await retention_run(
        db, now, [revoked_long_ago, lapsed_long_ago, revoked_lately, lapsed_lately, open_session]
    )

    assert counts["device_and_access_logs"] == 2
    assert await ids(db, AuthSession) == {revoked_lately.id, lapsed_lately.id, open_session.id}


def real_name(account: Account, status: VerificationStatus, submitted: datetime) -> Any:
    return verification(RealNameVerification, account.id, submitted, status=status)


def student(
    account: Account, status: VerificationStatus, submitted: datetime, graduates: date
) -> Any:
    return verification(
        StudentVerification,
        account.id,
        submitted,
        status=status,
        school="Peking University",
        major="Design",
        enrolled_on=date(2019, 9, 1),
        graduates_on=graduates,
    )


async def test_rejected_real_name_submissions_go_after_30_days_and_verified_names_stay(
    db: AsyncSession, clock: Clock
) -> None:
    now = clock()
    accounts = [await create_person(db, now, phone=None, email=None) for _ in range(3)]
    rejected_long_ago = real_name(
        accounts[0], VerificationStatus.REJECTED, now - timedelta(days=31)
    )
    rejected_lately = real_name(accounts[1], VerificationStatus.REJECTED, now - timedelta(days=29))
    verified_long_ago = real_name(
        accounts[2], VerificationStatus.VERIFIED, now - timedelta(days=900)
    )

    counts = await retention_run(db, now, [rejected_long_ago, rejected_lately, verified_long_ago])

    assert counts["real_name"] == 1
    assert await ids(db, RealNameVerification) == {rejected_lately.id, verified_long_ago.id}


async def test_student_verifications_go_30_days_after_graduation_or_rejection(
    db: AsyncSession, clock: Clock
) -> None:
    now = clock()
    today = now.date()
    accounts = [await create_person(db, now, phone=None, email=None) for _ in range(5)]
    graduated_long_ago = student(
        accounts[0], VerificationStatus.VERIFIED, now - timedelta(days=1500), today - timedelta(31)
    )
    graduated_lately = student(
        accounts[1], VerificationStatus.VERIFIED, now - timedelta(days=1500), today - timedelta(29)
    )
    studying = student(
        accounts[2], VerificationStatus.VERIFIED, now - timedelta(days=400), today + timedelta(300)
    )
    rejected_long_ago = student(
        accounts[3], VerificationStatus.REJECTED, now - timedelta(days=31), today + timedelta(300)
    )
    rejected_lately = student(
        accounts[4], VerificationStatus.REJECTED, now - timedelta(days=29), today + timedelta(300)
    )

    counts = await retention_run(
        db,
        now,
        [graduated_long_ago, graduated_lately, studying, rejected_long_ago, rejected_lately],
    )

    assert counts["student"] == 2
    assert await ids(db, StudentVerification) == {
        graduated_lately.id,
        studying.id,
        rejected_lately.id,
    }


def notification(account: Account, created: datetime, read: datetime | None) -> Notification:
    return Notification(
        account_id=account.id,
        kind="POLICY_UPDATED",
        title="t",
        body="b",
        created_at=created,
        read_at=read,
    )


def queued(account: Account, created: datetime, status: DeliveryStatus) -> QueuedMessage:
    message = QueuedMessage(
        account_id=account.id,
        channel=MessageChannel.SMS,
        purpose="INCIDENT",
        body="b",
        status=status,
        attempts=1,
        next_attempt_at=created,
        created_at=created,
    )
    if status is DeliveryStatus.PENDING:
        message.recipient = "+8613812345678"
    return message


async def test_read_messages_go_90_days_after_reading_and_unread_ones_stay(
    db: AsyncSession, clock: Clock
) -> None:
    now = clock()
    account = await person(db, now)
    long_ago, lately = now - timedelta(days=91), now - timedelta(days=89)
    read_long_ago = notification(account, now - timedelta(days=200), long_ago)
    read_lately = notification(account, now - timedelta(days=200), lately)
    unread = notification(account, now - timedelta(days=400), None)
    sent_long_ago = queued(account, long_ago, DeliveryStatus.SENT)
    failed_long_ago = queued(account, long_ago, DeliveryStatus.FAILED)
    sent_lately = queued(account, lately, DeliveryStatus.SENT)
    pending = queued(account, long_ago, DeliveryStatus.PENDING)

    counts = await retention_run(
        db,
        now,
        [read_long_ago, read_lately, unread, sent_long_ago, failed_long_ago, sent_lately, pending],
    )

    assert counts["notifications"] == 3
    assert await ids(db, Notification) == {read_lately.id, unread.id}
    assert await ids(db, QueuedMessage) == {sent_lately.id, pending.id}


async def test_closed_requests_go_three_years_after_they_were_closed(
    db: AsyncSession, clock: Clock
) -> None:
    now = clock()
    account = await person(db, now)

    async def closed(days_ago: int, status: DataRequestStatus) -> DataRequest:
        request = await create_data_request(
            db, account, now - timedelta(days=days_ago + 10), type=DataRequestType.COMPLAINT
        )
        request.status = status
        request.resolved_at = now - timedelta(days=days_ago)
        await db.flush()
        return request

    fulfilled_long_ago = await closed(1096, DataRequestStatus.FULFILLED)
    refused_long_ago = await closed(1100, DataRequestStatus.REFUSED)
    withdrawn_long_ago = await closed(1200, DataRequestStatus.WITHDRAWN)
    fulfilled_lately = await closed(1094, DataRequestStatus.FULFILLED)
    # Submitted long ago and never answered: open requests are not aged.
    still_open = await create_data_request(db, account, now - timedelta(days=1200))
    # Filed by a relative without an account: who filed it goes with the request.
    by_relative = DataRequest(
        origin=RequestOrigin.VERIFIED_CONTACT,
        type=DataRequestType.DELETION,
        status=DataRequestStatus.FULFILLED,
        submitted_at=now - timedelta(days=1110),
        due_at=now - timedelta(days=1095),
        resolved_at=now - timedelta(days=1100),
    )
    db.add(by_relative)
    await db.flush()
    requester = DataRequestRequester(
        data_request_id=by_relative.id,
        relation=RequesterRelation.CLOSE_RELATIVE,
        proven_at=by_relative.submitted_at,
    )
    requester.name = "张小明"
    requester.phone = "+8613900139000"
    db.add(requester)
    await db.commit()

    counts = await run_retention(db, shipped_inventory(), now)

    assert counts["rights_requests"] == 4
    assert await ids(db, DataRequest) == {fulfilled_lately.id, still_open.id}
    assert await ids(db, DataRequestRequester) == set()
    gone = {fulfilled_long_ago.id, refused_long_ago.id, withdrawn_long_ago.id, by_relative.id}
    assert gone.isdisjoint(await ids(db, DataRequest))


def privacy_event(account: Account, created: datetime, delivered: datetime | None) -> Any:
    return PrivacyEvent(
        type="ConsentChanged",
        account_id=account.id,
        payload={"purpose": "SEARCH_HISTORY", "granted": False},
        created_at=created,
        delivered_at=delivered,
        next_attempt_at=created,
    )


async def test_delivered_events_go_30_days_after_delivery(db: AsyncSession, clock: Clock) -> None:
    now = clock()
    account = await person(db, now)
    created = now - timedelta(days=60)
    delivered_long_ago = privacy_event(account, created, now - timedelta(days=31))
    delivered_lately = privacy_event(account, created, now - timedelta(days=29))
    # Not yet received by the services: kept whatever its age.
    undelivered = privacy_event(account, created, None)

    counts = await retention_run(db, now, [delivered_long_ago, delivered_lately, undelivered])

    assert counts["privacy_events"] == 1
    assert await ids(db, PrivacyEvent) == {delivered_lately.sequence, undelivered.sequence}


async def test_a_cancelled_accounts_sign_ins_and_access_log_stay_pseudonymised_six_months(
    api: Api,
) -> None:
    now = api.clock()
    account = await person(api.db, now)
    signed_in = LoginEvent(
        account_id=account.id,
        created_at=now - timedelta(days=3),
        method=LoginMethod.SMS_CODE,
        success=True,
    )
    signed_in.ip_address = "203.0.113.7"
    signed_in.user_agent = "Mozilla/5.0 (Zhang's laptop)"
    failed = LoginEvent(
        account_id=account.id,
        created_at=now - timedelta(days=2),
        method=LoginMethod.PASSWORD,
        success=False,
    )
    failed.ip_address = "2001:db8::1"
    api.db.add_all(
        [
            signed_in,
            failed,
            AccessLogEntry(
                subject_id=account.id,
                created_at=now - timedelta(days=1),
                actor_kind=ActorKind.STAFF,
                actor_name="Officer Li",
                field=SensitiveKind.PHONE,
                reason=f"{StaffRole.PRIVACY_OFFICER.value} request",
                clear=False,
            ),
            AccessLogEntry(
                subject_id=account.id,
                created_at=now - timedelta(hours=1),
                actor_kind=ActorKind.SELF,
                actor_name="Zhang San",
                field=SensitiveKind.EMAIL,
            ),
        ]
    )
    token = await sign_in(api.db, api.services, now, account=account)
    await step_up_with_password(api.client, token)

    body = await graphql(api.client, CANCEL, token=token)
    kept = (
        await api.db.scalars(
            select(RetainedLog).order_by(RetainedLog.at).execution_options(populate_existing=True)
        )
    ).all()

    assert body == {"data": {"cancelAccount": {"ok": True, "userErrors": []}}}
    assert [
        {
            "kind": row.kind,
            "at": row.at,
            "method": row.method,
            "success": row.success,
            "network": row.network,
            "actor_kind": row.actor_kind,
            "actor_name": row.actor_name,
            "field": row.field,
            "clear": row.clear,
        }
        for row in kept
    ] == [
        {
            "kind": "SIGN_IN",
            "at": now - timedelta(days=3),
            "method": "SMS_CODE",
            "success": True,
            "network": "203.0.113.*",
            "actor_kind": None,
            "actor_name": None,
            "field": None,
            "clear": None,
        },
        {
            "kind": "SIGN_IN",
            "at": now - timedelta(days=2),
            "method": "PASSWORD",
            "success": False,
            "network": "2001:db8:0:0:*",
            "actor_kind": None,
            "actor_name": None,
            "field": None,
            "clear": None,
        },
        {
            "kind": "VIEW",
            "at": now - timedelta(days=1),
            "method": None,
            "success": None,
            "network": None,
            "actor_kind": "STAFF",
            "actor_name": "Officer Li",
            "field": "PHONE",
            "clear": False,
        },
        {
            "kind": "VIEW",
            "at": now - timedelta(hours=1),
            "method": None,
            "success": None,
            "network": None,
            "actor_kind": "SELF",
            "actor_name": None,
            "field": "EMAIL",
            "clear": True,
        },
    ]
    # One pseudonym for the four, leading nowhere: not the account's id, nor any row's.
    assert {row.pseudonym for row in kept} == {kept[0].pseudonym}
    assert kept[0].pseudonym != account.id
    assert await api.db.get(Account, kept[0].pseudonym) is None
    assert {row.retained_at for row in kept} == {next_midnight(now)}
    assert await ids(api.db, LoginEvent) == set()
    assert (
        await api.db.scalars(select(AccessLogEntry).where(AccessLogEntry.subject_id == account.id))
    ).all() == []

    before = await run_retention(api.db, shipped_inventory(), now + timedelta(days=184))
    left_before = await ids(api.db, RetainedLog)
    after = await run_retention(
        api.db, shipped_inventory(), next_midnight(now) + timedelta(days=184, seconds=1)
    )

    assert before["cancelled_account_logs"] == 0
    assert left_before == {row.id for row in kept}
    assert after["cancelled_account_logs"] == 4
    assert await ids(api.db, RetainedLog) == set()


def next_midnight(moment: datetime) -> datetime:
    """The first UTC midnight at or after `moment`."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == moment else midnight + timedelta(days=1)


async def test_the_pseudonymised_log_does_not_carry_the_moment_of_its_cancellation(
    api: Api,
) -> None:
    """The cancellation's exact moment is stored with the account's id elsewhere (the
    CANCELLATION request's resolvedAt, the AccountCancelled event): kept on the copies, it
    would lead straight back to the person. They keep the day after it, so they still
    stay at least six months."""
    api.clock.now = api.clock.now.replace(hour=15, minute=42, second=7, microsecond=123000)
    now = api.clock()
    account = await person(api.db, now)
    api.db.add(
        LoginEvent(
            account_id=account.id,
            created_at=now - timedelta(days=3),
            method=LoginMethod.SMS_CODE,
            success=True,
        )
    )
    token = await sign_in(api.db, api.services, now, account=account)
    await step_up_with_password(api.client, token)

    body = await graphql(api.client, CANCEL, token=token)
    kept = (await api.db.scalars(select(RetainedLog))).all()
    cancelled_at = await api.db.scalar(
        select(PrivacyEvent.created_at).where(
            PrivacyEvent.account_id == account.id, PrivacyEvent.type == "AccountCancelled"
        )
    )

    assert body == {"data": {"cancelAccount": {"ok": True, "userErrors": []}}}
    assert cancelled_at == now
    assert [row.retained_at for row in kept] == [next_midnight(now)]
    six_months = await run_retention(api.db, shipped_inventory(), now + timedelta(days=184))
    assert six_months["cancelled_account_logs"] == 0
    assert len(await ids(api.db, RetainedLog)) == 1
    later = next_midnight(now) + timedelta(days=184, seconds=1)
    assert (await run_retention(api.db, shipped_inventory(), later))["cancelled_account_logs"] == 1
