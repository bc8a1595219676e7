"""Each root mutation field is a unit of work; security state is recorded for good.

These run the app on the real engine (`live`): every request on its own connection,
committing for real, as in production.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from auth.senders import Outbox
from models import (
    Account,
    AccountKind,
    Consent,
    ConsentPurpose,
    DevicePermission,
    LoginEvent,
    LoginMethod,
    SmsCode,
)
from resolvers.accounts import history
from resolvers.auth import sms
from resolvers.settings import profile
from tests.conftest import Clock, Live
from tests.helpers import e164, graphql
from tests.resolvers.auth.helpers import latest_code, request_sms_code
from tests.support.factories import create_account
from tests.support.viewers import sign_in

PHONE = "13912345678"


async def victim(live: Live, clock: Clock) -> Account:
    """A person who signs in by SMS, committed; their LOGIN code is on its way."""
    async with live.session() as db:
        account = await create_account(db, phone_index=None)
        account.phone = e164(PHONE)
        await db.commit()
    sent = await request_sms_code(live.client, PHONE)
    assert sent["sent"], sent
    return account


def wrong_codes(right: str, how_many: int, start: int = 1) -> list[str]:
    codes = (f"{(int(right) + offset) % 10**6:06d}" for offset in range(start, 10**6))
    return [code for code, _ in zip(codes, range(how_many), strict=False)]


def guesses(codes: list[str], *, failing_after: int | None = None) -> str:
    """A document of aliased loginWithSms guesses, with a field that fails unexpectedly
    after the `failing_after`-th guess."""
    fields = [
        f'g{i}: loginWithSms(input: {{ phone: "{PHONE}", code: "{code}" }}) '
        "{ accessToken userErrors { code } }"
        for i, code in enumerate(codes)
    ]
    if failing_after is not None:
        fields.insert(
            failing_after,
            f'boom: requestSmsCode(input: {{ phone: "{PHONE}", purpose: LOGIN }}) {{ sent }}',
        )
    return "mutation { " + " ".join(fields) + " }"


async def explode(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("an unexpected failure")


def explode_now(*args: Any, **kwargs: Any) -> Any:
    """`explode` for a function that answers without awaiting."""
    raise RuntimeError("an unexpected failure")


async def tries_of_the_code(live: Live) -> int:
    async with live.session() as db:
        return int(await db.scalar(select(SmsCode.attempts)) or 0)


async def failed_sign_ins(live: Live, account: Account) -> int:
    async with live.session() as db:
        statement = select(func.count()).where(
            LoginEvent.account_id == account.id,
            LoginEvent.method == LoginMethod.SMS_CODE,
            LoginEvent.success.is_(False),
        )
        return int(await db.scalar(statement) or 0)


@pytest.mark.parametrize("failing_after", [5, 3], ids=["after-the-guesses", "between-guesses"])
async def test_a_failure_later_in_the_document_gives_no_code_more_than_five_tries(
    failing_after: int,
    live: Live,
    outbox: Outbox,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = await victim(live, clock)
    right = latest_code(outbox, PHONE)
    monkeypatch.setattr(sms, "request_sms_code", explode)

    answers = [
        await graphql(
            live.client, guesses(wrong_codes(right, 5, 5 * n + 1), failing_after=failing_after)
        )
        for n in range(4)
    ]
    monkeypatch.undo()
    last = await graphql(live.client, guesses([right]))

    for body in answers:
        assert body["data"] is None
        assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
            (["boom"], "INTERNAL_SERVER_ERROR")
        ]
    assert last == {
        "data": {"g0": {"accessToken": None, "userErrors": [{"code": "TOO_MANY_ATTEMPTS"}]}}
    }
    assert await tries_of_the_code(live) == 5
    # Every guess that ran is in the person's sign-in history, rolled back or not.
    assert await failed_sign_ins(live, account) == 4 * failing_after + 1


async def test_concurrent_documents_of_aliased_guesses_share_five_tries(
    live: Live, outbox: Outbox, clock: Clock
) -> None:
    await victim(live, clock)
    right = latest_code(outbox, PHONE)
    documents = [guesses(wrong_codes(right, 5, 5 * n + 1)) for n in range(8)]

    answers = await asyncio.gather(*(graphql(live.client, d) for d in documents))
    last = await graphql(live.client, guesses([right]))

    codes = [p["userErrors"][0]["code"] for body in answers for p in body["data"].values()]
    assert sorted(codes) == ["INVALID_CODE"] * 5 + ["TOO_MANY_ATTEMPTS"] * 35
    assert last["data"]["g0"]["userErrors"] == [{"code": "TOO_MANY_ATTEMPTS"}]
    assert await tries_of_the_code(live) == 5


PROFILE_WITH_HISTORY = """
  b: updateProfile(input: { bio: "changed" }) {
    account { ... on IndividualAccount { loginHistory { edges { cursor } } } }
    userErrors { code }
  }
"""
MIXED = (
    "mutation { "
    "a: setDevicePermission(input: { permission: CAMERA, enabled: true }) {"
    " devicePermission { enabled } userErrors { code } }"
    f"{PROFILE_WITH_HISTORY}"
    "c: setConsent(input: { purpose: SEARCH_HISTORY, granted: true }) {"
    " consent { granted } userErrors { code } }"
    " }"
)


async def person(live: Live, clock: Clock) -> tuple[Account, str]:
    async with live.session() as db:
        account = await create_account(db, kind=AccountKind.INDIVIDUAL)
        token = await sign_in(db, live.services, clock(), account=account)
    return account, token


async def state_of(live: Live, account: Account) -> tuple[bool, str | None, bool]:
    """The camera permission, the bio and the SEARCH_HISTORY consent, as committed."""
    async with live.session() as db:
        camera = await db.scalar(
            select(DevicePermission.enabled).where(DevicePermission.account_id == account.id)
        )
        bio = await db.scalar(select(Account.bio).where(Account.id == account.id))
        search_history = await db.scalar(
            select(Consent.granted).where(
                Consent.account_id == account.id, Consent.purpose == ConsentPurpose.SEARCH_HISTORY
            )
        )
    return bool(camera), bio, bool(search_history)


async def test_a_field_failing_inside_a_payload_leaves_what_the_answers_say(
    live: Live, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The payloads answered and their units of work committed; the failure came after."""
    account, token = await person(live, clock)
    monkeypatch.setattr(history, "login_history", explode_now)

    body = await graphql(live.client, MIXED, token=token)

    assert body["data"] == {
        "a": {"devicePermission": {"enabled": True}, "userErrors": []},
        "b": {"account": {"loginHistory": None}, "userErrors": []},
        "c": {"consent": {"granted": True}, "userErrors": []},
    }
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["b", "account", "loginHistory"], "INTERNAL_SERVER_ERROR")
    ]
    assert await state_of(live, account) == (True, "changed", True)


async def test_a_mutation_that_fails_rolls_back_only_itself(
    live: Live, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failing field's own writes go; the field before it stays; none after it runs.
    Its payload is non-null, so `data` is null: nothing undone is reported."""
    account, token = await person(live, clock)
    update_profile = profile.update_profile

    async def write_then_fail(ctx: Any, changes: Any) -> Any:
        await update_profile(ctx, changes)
        await ctx.session.flush()
        raise RuntimeError("an unexpected failure after writing")

    monkeypatch.setattr(profile, "update_profile", write_then_fail)

    body = await graphql(live.client, MIXED, token=token)

    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["b"], "INTERNAL_SERVER_ERROR")
    ]
    assert await state_of(live, account) == (True, None, False)
