"""A way to sign in is added, replaced or removed only from a stepped-up session, and
every change is told to the phone and address bound before it and in the app."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from models import IdentityProvider, Notification, NotificationKind, ThirdPartyIdentity
from tests.conftest import Clock
from tests.helpers import e164, graphql
from tests.resolvers.settings.helpers import STEP_UP_REQUIRED, reloaded
from tests.support.viewers import Viewers

NEW_PHONE = "13900001111"


async def send_bind_code(client: httpx.AsyncClient, outbox: Outbox, phone: str) -> str:
    await graphql(
        client,
        "mutation($p: String!) { requestSmsCode(input: { phone: $p, purpose: BIND_PHONE }) { sent } }",
        {"p": phone},
    )
    [code] = [m.code for m in outbox.for_recipient(e164(phone)) if m.purpose == "BIND_PHONE"]
    assert code is not None
    return code


BIND_PHONE = """
mutation($phone: String!, $code: String!) { bindPhone(input: { phone: $phone, code: $code }) {
  userErrors { field code message } } }
"""
BIND_EMAIL = """
mutation($email: String!) { bindEmail(input: { email: $email }) { ok userErrors { field code message } } }
"""
UNLINK = (
    "mutation { unlinkIdentity(input: { provider: WECHAT }) { userErrors { field code message } } }"
)


def notices(outbox: Outbox, to: str) -> list[tuple[str, str]]:
    return [
        (m.channel, m.purpose) for m in outbox.for_recipient(to) if m.purpose == "SECURITY_NOTICE"
    ]


async def in_app(db: AsyncSession, account_id: Any) -> list[str]:
    rows = await db.scalars(
        select(Notification.title).where(
            Notification.account_id == account_id,
            Notification.kind == NotificationKind.SIGN_IN_METHOD_CHANGED,
        )
    )
    return list(rows)


async def test_a_stolen_access_token_binds_no_phone(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox
) -> None:
    """A business without a phone: the attacker's own phone and its code are not enough."""
    victim = await viewers.business()
    code = await send_bind_code(client, outbox, NEW_PHONE)

    body = await graphql(client, BIND_PHONE, {"phone": NEW_PHONE, "code": code}, token=victim.token)

    assert body == {"data": {"bindPhone": {"userErrors": [STEP_UP_REQUIRED]}}}
    assert (await reloaded(db, victim.me)).phone is None


async def test_a_stolen_access_token_binds_no_address(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox
) -> None:
    victim = await viewers.business()

    body = await graphql(client, BIND_EMAIL, {"email": "attacker@evil.example"}, token=victim.token)

    assert body == {"data": {"bindEmail": {"ok": False, "userErrors": [STEP_UP_REQUIRED]}}}
    assert outbox.for_recipient("attacker@evil.example") == []


async def test_unlinking_wechat_needs_a_step_up(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, clock: Clock
) -> None:
    viewer = await viewers.individual()
    identity = ThirdPartyIdentity(
        account_id=viewer.me.id, provider=IdentityProvider.WECHAT, created_at=clock.now
    )
    identity.open_id = "o-linked-openid-000000000001"
    db.add(identity)
    await db.commit()

    body = await graphql(client, UNLINK, token=viewer.token)

    assert body == {"data": {"unlinkIdentity": {"userErrors": [STEP_UP_REQUIRED]}}}
    assert (await db.scalars(select(ThirdPartyIdentity.id))).all() == [identity.id]


async def test_replacing_a_phone_tells_the_old_phone_the_address_and_the_app(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox
) -> None:
    viewer = await viewers.step_up(await viewers.enterprise(phone="13900139000"))
    code = await send_bind_code(client, outbox, NEW_PHONE)

    body = await graphql(client, BIND_PHONE, {"phone": NEW_PHONE, "code": code}, token=viewer.token)

    assert body == {"data": {"bindPhone": {"userErrors": []}}}
    assert notices(outbox, e164("13900139000")) == [("sms", "SECURITY_NOTICE")]
    assert notices(outbox, "ent@example.com") == [("email", "SECURITY_NOTICE")]
    assert notices(outbox, e164(NEW_PHONE)) == []
    assert await in_app(db, viewer.me.id) == ["Your phone changed"]


async def test_a_new_address_tells_the_old_one(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox
) -> None:
    viewer = await viewers.step_up(await viewers.business(email="old@example.com"))
    await graphql(client, BIND_EMAIL, {"email": "new@example.com"}, token=viewer.token)
    [token] = [m.code for m in outbox.for_recipient("new@example.com")]

    confirmed = await graphql(
        client,
        "mutation($t: String!) { confirmEmail(input: { token: $t }) { userErrors { code } } }",
        {"t": token},
    )

    assert confirmed == {"data": {"confirmEmail": {"userErrors": []}}}
    assert notices(outbox, "old@example.com") == [("email", "SECURITY_NOTICE")]
    assert await in_app(db, viewer.me.id) == ["Your e-mail address changed"]


async def test_a_new_password_is_told_to_the_phone_and_the_address(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox
) -> None:
    viewer = await viewers.enterprise(phone="13900139000")

    body = await graphql(
        client,
        'mutation { setPassword(input: { currentPassword: "correct-Horse-7",'
        ' newPassword: "brand-New-Pass-1" }) { userErrors { code } } }',
        token=viewer.token,
    )

    assert body == {"data": {"setPassword": {"userErrors": []}}}
    assert notices(outbox, e164("13900139000")) == [("sms", "SECURITY_NOTICE")]
    assert notices(outbox, "ent@example.com") == [("email", "SECURITY_NOTICE")]
    assert await in_app(db, viewer.me.id) == ["Your password changed"]
    [notice] = outbox.for_recipient("ent@example.com")
    assert "brand-New-Pass-1" not in notice.body
