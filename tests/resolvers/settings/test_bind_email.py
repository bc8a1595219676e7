"""bindEmail and confirmEmail over HTTP: a one-time token (24 h), one live account per address."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.senders import Outbox
from auth.services import AuthServices
from models import Account, EmailConfirmation
from tests.conftest import Clock
from tests.helpers import graphql
from tests.resolvers.auth.helpers import forget_rate_limits
from tests.resolvers.settings.helpers import (
    USER_ERRORS,
    count,
    error,
    forbidden_for_staff,
    iso,
    reloaded,
    unauthenticated,
)
from tests.support.viewers import KINDS, SignedIn, Viewers

ADDRESS = "zhang.wei@example.com"
SECURITY = "security { hasPassword phoneBound emailBound emailVerified passwordChangedAt }"
BIND_EMAIL = f"""
mutation($input: BindEmailInput!) {{ bindEmail(input: $input) {{ ok {USER_ERRORS} }} }}
"""
CONFIRM_EMAIL = f"""
mutation($input: ConfirmEmailInput!) {{
  confirmEmail(input: $input) {{ account {{ email {SECURITY} }} {USER_ERRORS} }}
}}
"""
VIEWER_SECURITY = f"{{ viewer {{ account {{ email {SECURITY} }} }} }}"
NOT_VALID = error("INVALID_CODE", "This token is not valid.", "token")
TAKEN = error("ALREADY_EXISTS", "This email is bound to another account.", "email")


async def bind_email(client: httpx.AsyncClient, token: str | None, email: str) -> dict[str, Any]:
    return await graphql(client, BIND_EMAIL, {"input": {"email": email}}, token=token)


async def confirm_email(client: httpx.AsyncClient, token: str | None, value: str) -> dict[str, Any]:
    return await graphql(client, CONFIRM_EMAIL, {"input": {"token": value}}, token=token)


def sent_token(outbox: Outbox, address: str = ADDRESS) -> str:
    [message, *_] = outbox.for_recipient(address)
    assert (message.channel, message.purpose) == ("email", "CONFIRM_EMAIL")
    assert message.code is not None
    assert message.code in message.body
    return message.code


def security(
    account: Account, *, email: bool, verified: bool, phone: bool | None = None
) -> dict[str, Any]:
    changed_at = account.password_changed_at
    return {
        "hasPassword": account.password_hash is not None,
        "phoneBound": account.phone is not None if phone is None else phone,
        "emailBound": email,
        "emailVerified": verified,
        "passwordChangedAt": iso(changed_at) if changed_at else None,
    }


def not_bound(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"bindEmail": {"ok": False, "userErrors": list(user_errors)}}}


def not_confirmed(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"confirmEmail": {"account": None, "userErrors": list(user_errors)}}}


async def read_security(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await graphql(client, VIEWER_SECURITY, token=token)
    assert "errors" not in body, body
    account: dict[str, Any] = body["data"]["viewer"]["account"]
    return account


async def bind_in_one_request(
    client: httpx.AsyncClient, viewer: SignedIn, addresses: list[str], selection: str
) -> list[dict[str, Any]]:
    """bindEmail for each address, as aliases of one request: each answer's `selection`,
    in order."""
    aliases = " ".join(
        f'a{n}: bindEmail(input: {{ email: "{address}" }}) {{ {selection} }}'
        for n, address in enumerate(addresses)
    )
    body = await graphql(client, f"mutation {{ {aliases} }}", token=viewer.token)
    return list(body["data"].values())


async def test_anonymous_callers_must_sign_in_to_bind(
    client: httpx.AsyncClient, outbox: Outbox
) -> None:
    bound = await bind_email(client, None, ADDRESS)
    # A token proves the mailbox by itself, signed in or not: one that is not is refused.
    confirmed = await confirm_email(client, None, "some-token")

    assert bound == unauthenticated(BIND_EMAIL, "bindEmail")
    assert confirmed == not_confirmed(NOT_VALID)
    assert outbox.for_recipient(ADDRESS) == []


async def test_staff_have_no_email_to_bind(
    client: httpx.AsyncClient, viewers: Viewers, outbox: Outbox
) -> None:
    staff = await viewers.staff()

    bound = await bind_email(client, staff.token, ADDRESS)
    confirmed = await confirm_email(client, staff.token, "some-token")

    assert bound == forbidden_for_staff(BIND_EMAIL, "bindEmail")
    assert confirmed == not_confirmed(NOT_VALID)
    assert outbox.for_recipient(ADDRESS) == []


async def test_a_token_confirms_without_signing_in(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, outbox: Outbox, clock: Clock
) -> None:
    await bind_email(client, viewer.token, ADDRESS)

    body = await confirm_email(client, None, sent_token(outbox))

    # Read as the tokenless request it came in: public fields only.
    assert body["data"]["confirmEmail"]["userErrors"] == []
    account = await reloaded(db, viewer.me)
    assert (account.email, account.email_verified_at) == (ADDRESS, clock.now)


def wrong_tokens(count: int) -> str:
    aliases = " ".join(
        f'a{n}: confirmEmail(input: {{ token: "wrong-{n}" }}) {{ userErrors {{ code }} }}'
        for n in range(count)
    )
    return f"mutation {{ {aliases} }}"


TOO_MANY = error("TOO_MANY_ATTEMPTS", "Too many wrong tokens; try again later.", "token")


async def test_wrong_tokens_are_limited_per_client_address(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, outbox: Outbox
) -> None:
    """20 a client address: enough for a few people behind one shared address."""
    await bind_email(client, viewer.token, ADDRESS)
    token = sent_token(outbox)

    guesses = await graphql(client, wrong_tokens(21))
    right = await confirm_email(client, None, token)

    assert [p["userErrors"][0]["code"] for p in guesses["data"].values()] == [
        "INVALID_CODE"
    ] * 20 + ["TOO_MANY_ATTEMPTS"]
    assert right == not_confirmed(TOO_MANY)
    assert (await reloaded(db, viewer.me)).email is None


async def test_a_right_token_does_not_wipe_out_the_wrong_ones_before_it(
    client: httpx.AsyncClient, viewers: Viewers, outbox: Outbox
) -> None:
    """A guesser who can mint tokens of its own (bindEmail to an address it reads) must
    not reset the client address's count by confirming one of them: the right token
    gives back its own try, never the wrong ones before it."""
    guesser = await viewers.step_up(await viewers.individual())
    await bind_email(client, guesser.token, ADDRESS)
    own_token = sent_token(outbox)

    before = await graphql(client, wrong_tokens(19))
    own = await confirm_email(client, None, own_token)
    after = await graphql(client, wrong_tokens(20))

    assert [p["userErrors"][0]["code"] for p in before["data"].values()] == ["INVALID_CODE"] * 19
    assert own["data"]["confirmEmail"]["userErrors"] == []
    assert [p["userErrors"][0]["code"] for p in after["data"].values()] == ["INVALID_CODE"] + [
        "TOO_MANY_ATTEMPTS"
    ] * 19


async def test_wrong_tokens_are_limited_per_signed_in_account(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, outbox: Outbox
) -> None:
    await bind_email(client, viewer.token, ADDRESS)
    token = sent_token(outbox)

    guesses = await graphql(client, wrong_tokens(6), token=viewer.token)
    right = await confirm_email(client, viewer.token, token)

    assert [p["userErrors"][0]["code"] for p in guesses["data"].values()] == [
        "INVALID_CODE"
    ] * 5 + ["TOO_MANY_ATTEMPTS"]
    assert right == not_confirmed(TOO_MANY)


async def test_an_individual_binds_and_confirms_an_email_address(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, outbox: Outbox
) -> None:
    before = await read_security(client, viewer.token)

    bound = await bind_email(client, viewer.token, "Zhang.Wei@EXAMPLE.com")
    pending = await read_security(client, viewer.token)
    confirmed = await confirm_email(
        client, viewer.token, sent_token(outbox, "Zhang.Wei@example.com")
    )

    assert before == {"email": None, "security": security(viewer.me, email=False, verified=False)}
    assert bound == {"data": {"bindEmail": {"ok": True, "userErrors": []}}}
    # Nothing is bound until the token comes back.
    assert pending == before
    expected = {
        "email": "Z***@example.com",
        "security": security(viewer.me, email=True, verified=True),
    }
    assert confirmed == {"data": {"confirmEmail": {"account": expected, "userErrors": []}}}
    assert await read_security(client, viewer.token) == expected
    assert (await reloaded(db, viewer.me)).email == "Zhang.Wei@example.com"


@pytest.mark.parametrize("kind", KINDS)
async def test_every_kind_confirms_an_address(
    client: httpx.AsyncClient, viewers: Viewers, outbox: Outbox, kind: str
) -> None:
    viewer = await viewers.step_up(await viewers.of_kind(kind))

    await bind_email(client, viewer.token, ADDRESS)
    confirmed = await confirm_email(client, viewer.token, sent_token(outbox))

    assert confirmed == {
        "data": {
            "confirmEmail": {
                "account": {
                    "email": "z***@example.com",
                    "security": security(viewer.me, email=True, verified=True),
                },
                "userErrors": [],
            }
        }
    }


async def test_a_business_address_is_bound_at_registration_and_verified_by_its_token(
    client: httpx.AsyncClient, viewers: Viewers, outbox: Outbox
) -> None:
    viewer = await viewers.step_up(await viewers.business(email=ADDRESS))
    registered = await read_security(client, viewer.token)

    # Its own address is not "another account's".
    bound = await bind_email(client, viewer.token, ADDRESS)
    await confirm_email(client, viewer.token, sent_token(outbox))

    assert registered == {
        "email": "z***@example.com",
        "security": security(viewer.me, email=True, verified=False),
    }
    assert bound == {"data": {"bindEmail": {"ok": True, "userErrors": []}}}
    assert await read_security(client, viewer.token) == {
        "email": "z***@example.com",
        "security": security(viewer.me, email=True, verified=True),
    }


@pytest.mark.parametrize("address", ["not-an-address", "a@", "@example.com", "a b@example.com", ""])
async def test_an_invalid_address_is_refused_and_nothing_sent(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, outbox: Outbox, address: str
) -> None:

    body = await bind_email(client, viewer.token, address)

    assert body == not_bound(error("INVALID_EMAIL", "This is not an e-mail address.", "email"))
    assert await count(db, EmailConfirmation, account_id=viewer.me.id) == 0
    assert len(outbox) == 0


async def test_an_address_bound_to_another_account_answers_alike_and_tells_its_owner(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, viewers: Viewers, outbox: Outbox
) -> None:
    """The asker learns nothing; the address's owner hears of it, and no token exists."""
    await viewers.business(email=ADDRESS)

    body = await bind_email(client, viewer.token, "ZHANG.WEI@example.com")

    assert body == {"data": {"bindEmail": {"ok": True, "userErrors": []}}}
    assert await count(db, EmailConfirmation, account_id=viewer.me.id) == 0
    [notice] = outbox.for_recipient(ADDRESS)
    assert (notice.channel, notice.purpose, notice.code) == ("email", "EMAIL_IN_USE", None)
    assert "stays with your account" in notice.body


async def test_bind_email_sends_within_the_message_limits(
    client: httpx.AsyncClient, viewer: SignedIn, outbox: Outbox
) -> None:
    """Aliases send no more than the limits let through: one per address a minute."""
    answers = await bind_in_one_request(client, viewer, [ADDRESS] * 30, "ok userErrors { code }")

    assert answers[0] == {"ok": True, "userErrors": []}
    assert answers[1:] == [{"ok": False, "userErrors": [{"code": "RATE_LIMITED"}]}] * 29
    assert len(outbox.for_recipient(ADDRESS)) == 1


async def test_one_account_sends_at_most_ten_e_mails_a_day(
    client: httpx.AsyncClient, viewer: SignedIn, outbox: Outbox
) -> None:
    addresses = [f"stranger{n}@example.com" for n in range(12)]

    answers = await bind_in_one_request(client, viewer, addresses, "ok")

    assert [answer["ok"] for answer in answers] == [True] * 10 + [False] * 2


async def test_a_wrong_token_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, outbox: Outbox
) -> None:
    await bind_email(client, viewer.token, ADDRESS)
    token = sent_token(outbox)

    body = await confirm_email(
        client, viewer.token, token[:-1] + ("A" if token[-1] != "A" else "B")
    )

    assert body == not_confirmed(NOT_VALID)
    assert (await reloaded(db, viewer.me)).email is None


async def test_a_token_sent_for_another_account_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, outbox: Outbox
) -> None:
    owner = await viewers.step_up(await viewers.individual(phone="13812345678"))
    intruder = await viewers.step_up(await viewers.individual(phone="13812345679"))
    await bind_email(client, owner.token, ADDRESS)

    body = await confirm_email(client, intruder.token, sent_token(outbox))

    assert body == not_confirmed(NOT_VALID)
    assert (await reloaded(db, intruder.me)).email is None
    assert (await reloaded(db, owner.me)).email is None


async def test_a_token_works_once(
    client: httpx.AsyncClient, viewer: SignedIn, outbox: Outbox
) -> None:
    await bind_email(client, viewer.token, ADDRESS)
    token = sent_token(outbox)

    first = await confirm_email(client, viewer.token, token)
    second = await confirm_email(client, viewer.token, token)

    assert first["data"]["confirmEmail"]["userErrors"] == []
    assert second == not_confirmed(NOT_VALID)


async def test_a_token_expires_after_24_hours(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewer: SignedIn,
    viewers: Viewers,
    outbox: Outbox,
    clock: Clock,
) -> None:
    await bind_email(client, viewer.token, ADDRESS)
    token = sent_token(outbox)
    clock.advance(hours=25)
    # The access token of the morning has expired by then: sign in again.
    later = await viewers.sign_in(viewer.me)

    body = await confirm_email(client, later.token, token)

    assert body == not_confirmed(
        error("CODE_EXPIRED", "This token has expired; ask again.", "token")
    )
    assert (await reloaded(db, viewer.me)).email is None


async def test_a_token_is_good_until_the_24_hours_are_over(
    client: httpx.AsyncClient, viewer: SignedIn, viewers: Viewers, outbox: Outbox, clock: Clock
) -> None:
    await bind_email(client, viewer.token, ADDRESS)
    clock.advance(hours=23, minutes=59)
    later = await viewers.sign_in(viewer.me)

    body = await confirm_email(client, later.token, sent_token(outbox))

    assert body["data"]["confirmEmail"]["userErrors"] == []


async def test_an_address_taken_before_the_token_came_back_is_refused(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    outbox: Outbox,
    services: AuthServices,
) -> None:
    first = await viewers.step_up(await viewers.individual(phone="13812345678"))
    second = await viewers.step_up(await viewers.individual(phone="13812345679"))
    await bind_email(client, first.token, ADDRESS)
    await forget_rate_limits(services)  # a minute later
    await bind_email(client, second.token, ADDRESS)
    second_token, first_token = (m.code for m in outbox.for_recipient(ADDRESS))
    assert first_token is not None
    assert second_token is not None

    won = await confirm_email(client, second.token, second_token)
    lost = await confirm_email(client, first.token, first_token)

    assert won["data"]["confirmEmail"]["userErrors"] == []
    assert lost == not_confirmed(TAKEN)
    assert (await reloaded(db, first.me)).email is None
    assert await count(db, Account, email_index=Account.email.index_of(ADDRESS)) == 1


async def test_the_token_is_stored_as_a_keyed_hash_only(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, outbox: Outbox
) -> None:
    await bind_email(client, viewer.token, ADDRESS)
    token = sent_token(outbox)

    row = (
        await db.execute(
            EmailConfirmation.__table__.select().where(EmailConfirmation.account_id == viewer.me.id)
        )
    ).one()

    assert token.encode() not in row.token_hash
    assert ADDRESS.encode() not in row.email
