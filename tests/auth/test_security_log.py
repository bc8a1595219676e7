"""Security events are logged, one JSON line each, and never hold a secret."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from auth.security_log import client_hash
from auth.senders import Outbox
from auth.services import AuthServices
from gateway.logging import JsonFormatter
from models import StaffRole
from resolvers.staff.manage import create_staff, disable_staff, reset_staff_password, reset_totp
from tests.conftest import Clock
from tests.helpers import client_at, graphql, staff_code
from tests.resolvers.auth.helpers import (
    PASSWORD,
    create_password_account,
    login_with_password,
    sign_in_with_sms,
)
from tests.resolvers.auth.test_staff_sign_in import EMAIL as STAFF_EMAIL
from tests.resolvers.auth.test_staff_sign_in import login_staff, officer  # noqa: F401 (a fixture)

EMAIL = "owner@example.com"
WRONG = "not-the-Password-9"


def security_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == "security"
    ]


@pytest.fixture(autouse=True)
def capture(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="security")


async def test_a_failed_sign_in_is_one_line_without_the_login_or_password(
    client: httpx.AsyncClient, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    account = await create_password_account(db, email=EMAIL)

    response = await client.post(
        "/graphql",
        json={
            "query": "mutation($l: String!, $p: String!) { loginWithPassword(input: { login: $l, password: $p }) { accessToken } }",
            "variables": {"l": EMAIL, "p": WRONG},
        },
    )

    [line] = security_lines(caplog)
    assert {key: line[key] for key in ("event", "outcome", "actor_kind", "actor_id", "method")} == {
        "event": "sign_in",
        "outcome": "failure",
        "actor_kind": "account",
        "actor_id": str(account.id),
        "method": "PASSWORD",
    }
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["client"] == client_hash("127.0.0.1")
    assert line["session_id"] is None
    text = json.dumps(line)
    for secret in (EMAIL, WRONG, "127.0.0.1"):
        assert secret not in text


async def test_an_unknown_login_and_a_lock_out_are_logged(
    client: httpx.AsyncClient, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    await create_password_account(db, email=EMAIL)
    await login_with_password(client, "nobody@example.com", WRONG)
    for _ in range(5):
        await login_with_password(client, EMAIL, WRONG)
    await login_with_password(client, EMAIL, PASSWORD)

    events = [(line["event"], line["outcome"]) for line in security_lines(caplog)]

    assert events == [("sign_in", "failure")] * 6 + [("sign_in_locked", "refused")]
    assert "nobody@example.com" not in caplog.text


async def test_forged_tokens_and_reused_refresh_tokens_are_logged(
    client: httpx.AsyncClient, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    await create_password_account(db, email=EMAIL)
    signed_in = await login_with_password(client, EMAIL)
    refresh = (
        """mutation($t: String!) { refreshSession(input: { refreshToken: $t }) { refreshToken } }"""
    )
    await graphql(client, refresh, {"t": signed_in["refreshToken"]})
    caplog.clear()

    forged = await client.post(
        "/graphql",
        json={"query": "{ viewer { elevatedUntil } }"},
        headers={"Authorization": "Bearer not.a.token"},
    )
    await graphql(client, refresh, {"t": signed_in["refreshToken"]})  # the rotated one again

    events = [(line["event"], line["outcome"]) for line in security_lines(caplog)]
    assert forged.status_code == 401
    assert events == [("token_rejected", "refused"), ("refresh_token_reused", "session_revoked")]
    assert signed_in["refreshToken"] not in caplog.text


async def test_refusals_reveals_and_staff_sign_ins_are_logged(
    client: httpx.AsyncClient,
    db: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
    officer: Any,  # noqa: F811 (the fixture)
) -> None:
    account = await create_password_account(db, email=EMAIL)
    token = (await login_with_password(client, EMAIL))["accessToken"]
    await graphql(
        client,
        f'mutation {{ elevateSession(input: {{ password: "{PASSWORD}" }}) {{ elevatedUntil }} }}',
        token=token,
    )
    staff = await login_staff(client, staff_code(clock.now))
    caplog.clear()

    await graphql(client, "{ viewer { account { email(reveal: true) } } }", token=token)
    await graphql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Account { email } } }",
        {"id": "not-an-id"},
        token=token,
    )
    await graphql(client, "{ dataRequests { totalCount } }", token=token)

    lines = security_lines(caplog)
    assert [(line["event"], line["outcome"]) for line in lines] == [
        ("reveal", "success"),
        ("forbidden", "refused"),
    ]
    assert (lines[0]["field"], lines[0]["subject_id"], lines[0]["actor_id"]) == (
        "EMAIL",
        str(account.id),
        str(account.id),
    )
    assert lines[1]["path"] == "dataRequests"
    assert EMAIL not in caplog.text
    assert staff["userErrors"] == []
    assert STAFF_EMAIL not in caplog.text


async def test_a_staff_sign_in_names_the_session_it_opened(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
    services: AuthServices,
    officer: Any,  # noqa: F811 (the fixture)
) -> None:
    signed_in = await login_staff(client, staff_code(clock.now))

    [line] = security_lines(caplog)
    session_id = services.tokens.verify_access(signed_in["accessToken"], clock()).session_id
    assert (line["event"], line["outcome"], line["actor_id"]) == (
        "staff_sign_in",
        "success",
        str(officer.id),
    )
    assert line["session_id"] == str(session_id)


async def test_a_reused_refresh_token_names_the_client_that_brought_it_back(
    app: Starlette, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    refresh = (
        "mutation($t: String!) { refreshSession(input: { refreshToken: $t }) { refreshToken } }"
    )
    await create_password_account(db, email=EMAIL)
    async with client_at(app, "198.51.100.7") as owner, client_at(app, "203.0.113.9") as thief:
        signed_in = await login_with_password(owner, EMAIL)
        await graphql(owner, refresh, {"t": signed_in["refreshToken"]})
        caplog.clear()
        await graphql(thief, refresh, {"t": signed_in["refreshToken"]})

    [line] = security_lines(caplog)
    assert (line["event"], line["client"]) == ("refresh_token_reused", client_hash("203.0.113.9"))


async def test_a_wrong_sms_code_at_step_up_is_logged(
    client: httpx.AsyncClient, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    token = (await sign_in_with_sms(client, outbox))["accessToken"]
    await graphql(
        client, "mutation { requestSmsCode(input: { purpose: STEP_UP }) { sent } }", token=token
    )
    caplog.clear()

    await graphql(
        client,
        'mutation { elevateSession(input: { smsCode: "000000" }) { elevatedUntil } }',
        token=token,
    )

    [line] = security_lines(caplog)
    assert (line["event"], line["outcome"], line["factor"], line["actor_kind"]) == (
        "step_up",
        "failure",
        "sms",
        "account",
    )
    assert line["session_id"] is not None


async def test_operators_staff_commands_are_logged(
    db: AsyncSession, caplog: pytest.LogCaptureFixture, clock: Clock
) -> None:
    email = "ops-target@corp.example"
    member = (
        await create_staff(
            db,
            name="Li",
            email=email,
            role=StaffRole.SUPPORT,
            password=PASSWORD,
            now=clock(),
        )
    ).member
    await reset_totp(db, email=email, now=clock())
    await reset_staff_password(db, email=email, password="another-Long-Pass-7", now=clock())
    await disable_staff(db, email=email, now=clock())

    lines = security_lines(caplog)
    assert [(line["event"], line["actor_kind"], line["subject_id"]) for line in lines] == [
        (event, "operator", str(member.id))
        for event in (
            "staff_created",
            "staff_totp_reset",
            "staff_password_reset",
            "staff_disabled",
        )
    ]
    assert email not in caplog.text
