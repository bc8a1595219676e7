"""What the consent tests share: minors awaiting a guardian, the guardian's SMS code and
consent, and an account's rows of an event table."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from models import AccountStatus, ConsentEvent, DevicePermissionEvent
from tests.helpers import e164, graphql
from tests.support.assertions import USER_ERRORS
from tests.support.clock import Clock
from tests.support.viewers import SignedIn, Viewers

GUARDIAN_NAME = "张三"
GUARDIAN_PHONE = "13912345678"


async def minor(viewers: Viewers, clock: Clock, *, years: int = 15, **columns: Any) -> SignedIn:
    """A person born on 1 January `years` years ago, awaiting a guardian's consent."""
    today = clock().date()
    return await viewers.person(
        status=AccountStatus.PENDING_GUARDIAN_CONSENT,
        birth_date=date(today.year - years, 1, 1),
        **columns,
    )


REQUEST_SMS_CODE = f"""
mutation($phone: String!, $purpose: SmsPurpose!) {{
  requestSmsCode(input: {{ phone: $phone, purpose: $purpose }}) {{ sent {USER_ERRORS} }}
}}
"""


async def send_code(
    client: httpx.AsyncClient,
    outbox: Outbox,
    who: SignedIn,
    phone: str = GUARDIAN_PHONE,
    purpose: str = "GUARDIAN_CONSENT",
) -> str:
    """The code the viewer asked to be sent to `phone` for `purpose`."""
    body = await graphql(
        client, REQUEST_SMS_CODE, {"phone": phone, "purpose": purpose}, token=who.token
    )
    assert body["data"]["requestSmsCode"] == {"sent": True, "userErrors": []}, body
    message = outbox.for_recipient(e164(phone))[0]
    assert message.purpose == purpose
    assert message.code is not None
    return message.code


RECORD_GUARDIAN_CONSENT = f"""
mutation($input: RecordGuardianConsentInput!) {{
  recordGuardianConsent(input: $input) {{ account {{ status }} {USER_ERRORS} }}
}}
"""


async def record(
    client: httpx.AsyncClient, who: SignedIn | None, code: str, **given: str
) -> dict[str, Any]:
    """recordGuardianConsent with the guardian's code, by GUARDIAN_NAME at GUARDIAN_PHONE
    unless `given` names another guardianName or guardianPhone."""
    values = {"guardianName": GUARDIAN_NAME, "guardianPhone": GUARDIAN_PHONE, **given}
    token = who.token if who else None
    return await graphql(
        client, RECORD_GUARDIAN_CONSENT, {"input": {**values, "code": code}}, token=token
    )


async def history(
    db: AsyncSession,
    model: type[ConsentEvent] | type[DevicePermissionEvent],
    account_id: uuid.UUID,
    *columns: str,
) -> list[tuple[Any, ...]]:
    """The account's rows of the event table `model`, oldest first, each as its `columns`."""
    statement = (
        select(*(getattr(model, column) for column in columns))
        .where(model.account_id == account_id)
        .order_by(model.created_at)
    )
    return [tuple(row) for row in await db.execute(statement)]
