"""linkWechat and unlinkIdentity over HTTP, against a fake WeChat.

The rules: docs/spec/settings.md#identities and docs/spec/sign-in.md#sign-in-methods.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.services import AuthServices
from models import ThirdPartyIdentity
from tests.conftest import Clock
from tests.fakes.wechat import FakeWechat, FakeWechatUser
from tests.helpers import graphql
from tests.resolvers.settings.helpers import (
    STEP_UP_REQUIRED,
    USER_ERRORS,
    count,
    error,
    forbidden_for_staff,
    iso,
    top_level,
    unauthenticated,
)
from tests.support.viewers import KINDS, SignedIn, Viewers
from tests.support.wechat import in_process_wechat

REDIRECT = "http://localhost:5173/settings/wechat"
ALICE = FakeWechatUser(
    openid="o-alice-openid",
    unionid="u-alice-unionid",
    nickname="爱丽丝",
    headimgurl="https://thirdwx.qlogo.cn/mmopen/alice/132",
)
BOB = FakeWechatUser(openid="o-bob-openid", nickname="Bob", headimgurl="")
SECURITY = "security { hasPassword phoneBound emailBound emailVerified passwordChangedAt }"
ACCOUNT = f"identities {{ provider openId nickname avatarUrl linkedAt }} {SECURITY}"
AUTHORIZE = "query($uri: String!) { wechatAuthorizeUrl(redirectUri: $uri) { state } }"
LINK_WECHAT = f"""
mutation($input: LinkWechatInput!) {{
  linkWechat(input: $input) {{ account {{ {ACCOUNT} }} {USER_ERRORS} }}
}}
"""
UNLINK_IDENTITY = f"""
mutation($input: UnlinkIdentityInput!) {{
  unlinkIdentity(input: $input) {{ account {{ {ACCOUNT} }} {USER_ERRORS} }}
}}
"""
LOGIN_WITH_WECHAT = f"""
mutation($input: LoginWithWechatInput!) {{
  loginWithWechat(input: $input) {{ accessToken isNewAccount {USER_ERRORS} }}
}}
"""
ALREADY_LINKED = error(
    "ALREADY_EXISTS", "A WeChat account is already linked here or to another account."
)
INVALID_STATE = error(
    "INVALID_STATE", "The sign-in link has expired or was used; start again.", "state"
)
NOTHING_LINKED = error("NOT_FOUND", "Nothing of this provider is linked.", "provider")
LAST_LOGIN_METHOD = error(
    "LAST_LOGIN_METHOD",
    "This is the last way to sign in; bind a phone or set a password first.",
    "provider",
)


fake, services = in_process_wechat()


async def new_state(client: httpx.AsyncClient, token: str | None) -> str:
    body = await graphql(client, AUTHORIZE, {"uri": REDIRECT}, token=token)
    state: str = body["data"]["wechatAuthorizeUrl"]["state"]
    return state


async def link_wechat(
    client: httpx.AsyncClient, token: str | None, code: str, state: str
) -> dict[str, Any]:
    variables = {"input": {"code": code, "state": state}}
    return await graphql(client, LINK_WECHAT, variables, token=token)


async def link(
    client: httpx.AsyncClient, fake: FakeWechat, token: str, user: FakeWechatUser = ALICE
) -> dict[str, Any]:
    """The whole flow: an authorize URL for this viewer, WeChat's code, linkWechat."""
    state = await new_state(client, token)
    return await link_wechat(client, token, fake.issue_code(user), state)


async def unlink(client: httpx.AsyncClient, token: str | None) -> dict[str, Any]:
    variables = {"input": {"provider": "WECHAT"}}
    return await graphql(client, UNLINK_IDENTITY, variables, token=token)


def refused(field: str, *user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {field: {"account": None, "userErrors": list(user_errors)}}}


def security(*, password: bool, phone: bool, email: bool, changed_at: str | None) -> dict[str, Any]:
    return {
        "hasPassword": password,
        "phoneBound": phone,
        "emailBound": email,
        "emailVerified": False,
        "passwordChangedAt": changed_at,
    }


async def links(db: AsyncSession, user: FakeWechatUser) -> int:
    """How many accounts the WeChat user is linked to."""
    index = ThirdPartyIdentity.open_id.index_of(user.openid)
    return await count(db, ThirdPartyIdentity, open_id_index=index)


async def wechat_only_account(client: httpx.AsyncClient, fake: FakeWechat) -> str:
    """Register by WeChat, the way a WeChat-only person does; the access token."""
    state = await new_state(client, None)
    variables = {
        "input": {"code": fake.issue_code(BOB), "state": state, "acceptPolicyVersion": "1.0"}
    }
    body = await graphql(client, LOGIN_WITH_WECHAT, variables)
    payload = body["data"]["loginWithWechat"]
    assert payload["userErrors"] == [], payload
    assert payload["isNewAccount"] is True
    token: str = payload["accessToken"]
    return token


async def test_anonymous_callers_must_sign_in(client: httpx.AsyncClient, fake: FakeWechat) -> None:
    state = await new_state(client, None)

    linked = await link_wechat(client, None, fake.issue_code(ALICE), state)
    unlinked = await unlink(client, None)

    assert linked == unauthenticated(LINK_WECHAT, "linkWechat")
    assert unlinked == unauthenticated(UNLINK_IDENTITY, "unlinkIdentity")


async def test_staff_have_no_identities(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, fake: FakeWechat
) -> None:
    staff = await viewers.staff()
    state = await new_state(client, staff.token)

    linked = await link_wechat(client, staff.token, fake.issue_code(ALICE), state)
    unlinked = await unlink(client, staff.token)

    assert linked == forbidden_for_staff(LINK_WECHAT, "linkWechat")
    assert unlinked == forbidden_for_staff(UNLINK_IDENTITY, "unlinkIdentity")
    assert await links(db, ALICE) == 0


@pytest.mark.parametrize("kind", KINDS)
async def test_every_kind_links_a_wechat_account_and_unlinks_it(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    fake: FakeWechat,
    clock: Clock,
    kind: str,
) -> None:
    viewer = await viewers.step_up(await viewers.of_kind(kind))
    account = viewer.me
    changed_at = account.password_changed_at
    expected_security = security(
        password=account.password_hash is not None,
        phone=account.phone is not None,
        email=account.email is not None,
        changed_at=iso(changed_at) if changed_at else None,
    )

    linked = await link(client, fake, viewer.token)
    unlinked = await unlink(client, viewer.token)

    assert linked == {
        "data": {
            "linkWechat": {
                "account": {
                    "identities": [
                        {
                            "provider": "WECHAT",
                            "openId": "o-al**********",
                            "nickname": "爱丽丝",
                            "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/alice/132",
                            "linkedAt": iso(clock()),
                        }
                    ],
                    "security": expected_security,
                },
                "userErrors": [],
            }
        }
    }
    assert unlinked == {
        "data": {
            "unlinkIdentity": {
                "account": {"identities": [], "security": expected_security},
                "userErrors": [],
            }
        }
    }
    assert await count(db, ThirdPartyIdentity, account_id=viewer.me.id) == 0


async def test_linking_wechat_needs_a_step_up(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, fake: FakeWechat
) -> None:
    viewer = await viewers.individual()

    body = await link(client, fake, viewer.token)

    assert body == refused("linkWechat", STEP_UP_REQUIRED)
    assert await count(db, ThirdPartyIdentity, account_id=viewer.me.id) == 0


async def test_a_wechat_account_linked_elsewhere_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, fake: FakeWechat
) -> None:
    holder = await viewers.step_up(await viewers.individual(phone="13812345678"))
    viewer = await viewers.step_up(await viewers.individual(phone="13812345679"))
    assert (await link(client, fake, holder.token))["data"]["linkWechat"]["userErrors"] == []

    body = await link(client, fake, viewer.token)

    assert body == refused("linkWechat", ALREADY_LINKED)
    assert await count(db, ThirdPartyIdentity, account_id=viewer.me.id) == 0
    assert await count(db, ThirdPartyIdentity, account_id=holder.me.id) == 1


async def test_a_second_wechat_account_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, fake: FakeWechat
) -> None:
    await link(client, fake, viewer.token, ALICE)

    body = await link(client, fake, viewer.token, BOB)

    assert body == refused("linkWechat", ALREADY_LINKED)
    assert await count(db, ThirdPartyIdentity, account_id=viewer.me.id) == 1


async def test_an_unknown_or_used_state_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, fake: FakeWechat
) -> None:
    state = await new_state(client, viewer.token)
    await link_wechat(client, viewer.token, fake.issue_code(ALICE), state)
    await unlink(client, viewer.token)

    unknown = await link_wechat(client, viewer.token, fake.issue_code(ALICE), "made-up-state")
    used = await link_wechat(client, viewer.token, fake.issue_code(ALICE), state)

    assert unknown == refused("linkWechat", INVALID_STATE)
    assert used == refused("linkWechat", INVALID_STATE)
    assert await count(db, ThirdPartyIdentity, account_id=viewer.me.id) == 0


async def test_an_expired_state_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, fake: FakeWechat, clock: Clock
) -> None:
    viewer = await viewers.individual()
    state = await new_state(client, viewer.token)
    clock.advance(minutes=10)
    later = await viewers.step_up(await viewers.sign_in(viewer.me))

    body = await link_wechat(client, later.token, fake.issue_code(ALICE), state)

    assert body == refused("linkWechat", INVALID_STATE)
    assert await count(db, ThirdPartyIdentity, account_id=viewer.me.id) == 0


async def test_a_state_begun_by_someone_else_does_not_link(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, fake: FakeWechat
) -> None:
    """An attacker's own redirect (their WeChat code and state) cannot link to a victim."""
    victim = await viewers.step_up(await viewers.individual(phone="13812345678"))
    attacker = await viewers.step_up(await viewers.individual(phone="13812345679"))
    anonymous_state = await new_state(client, None)
    attackers_state = await new_state(client, attacker.token)

    anonymous = await link_wechat(client, victim.token, fake.issue_code(ALICE), anonymous_state)
    attackers = await link_wechat(client, victim.token, fake.issue_code(ALICE), attackers_state)

    assert anonymous == refused("linkWechat", INVALID_STATE)
    assert attackers == refused("linkWechat", INVALID_STATE)
    assert await links(db, ALICE) == 0


async def test_a_code_wechat_refuses_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn
) -> None:
    state = await new_state(client, viewer.token)

    body = await link_wechat(client, viewer.token, "code-never-issued", state)

    assert body == refused(
        "linkWechat",
        error("INVALID_CODE", "WeChat did not accept this sign-in; start again.", "code"),
    )
    assert await count(db, ThirdPartyIdentity, account_id=viewer.me.id) == 0


async def test_unlinking_what_is_not_linked_answers_not_found(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    viewer = await viewers.step_up(await viewers.business())

    body = await unlink(client, viewer.token)

    assert body == refused("unlinkIdentity", NOTHING_LINKED)


async def test_the_only_way_to_sign_in_of_a_wechat_account_stays(
    client: httpx.AsyncClient, db: AsyncSession, fake: FakeWechat
) -> None:
    token = await wechat_only_account(client, fake)

    body = await unlink(client, token)

    assert body == refused("unlinkIdentity", LAST_LOGIN_METHOD)
    assert await links(db, BOB) == 1


async def test_a_password_without_a_phone_or_email_is_no_way_to_sign_in(
    client: httpx.AsyncClient, db: AsyncSession, viewers: Viewers, fake: FakeWechat
) -> None:
    viewer = await viewers.step_up(await viewers.individual(phone=None, password=True))
    await link(client, fake, viewer.token)

    body = await unlink(client, viewer.token)

    assert body == refused("unlinkIdentity", LAST_LOGIN_METHOD)
    assert await count(db, ThirdPartyIdentity, account_id=viewer.me.id) == 1


async def test_an_unlinked_wechat_account_registers_anew(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, fake: FakeWechat
) -> None:
    await link(client, fake, viewer.token, BOB)
    await unlink(client, viewer.token)

    await wechat_only_account(client, fake)

    assert await count(db, ThirdPartyIdentity, account_id=viewer.me.id) == 0
    assert await links(db, BOB) == 1


async def test_without_wechat_configured_linking_is_a_bad_request(
    client: httpx.AsyncClient, db: AsyncSession, viewer: SignedIn, services: AuthServices
) -> None:
    services.wechat = None

    body = await link_wechat(client, viewer.token, "some-code", "some-state")

    assert body == top_level(
        LINK_WECHAT,
        "linkWechat",
        "BAD_USER_INPUT",
        "WeChat sign-in is not configured on this gateway.",
    )
    assert await count(db, ThirdPartyIdentity, account_id=viewer.me.id) == 0
