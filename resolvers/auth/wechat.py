"""wechatAuthorizeUrl and loginWithWechat."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from auth.errors import BadUserInput
from auth.oauth_states import consume_state, new_state, redirect_allowed
from auth.wechat import WechatClient, WechatError, WechatProfile
from models import (
    Account,
    AccountKind,
    IdentityProvider,
    LoginMethod,
    ThirdPartyIdentity,
    queries,
)
from models.account import new_display_name
from resolvers.auth.common import new_individual_status, signed_in
from resolvers.auth.results import SignedIn
from resolvers.context import RequestContext
from resolvers.errors import Refused, UserError, UserErrorCode, user_error

INVALID_STATE = user_error(
    UserErrorCode.INVALID_STATE, "The sign-in link has expired or was used; start again.", "state"
)


@dataclass(frozen=True)
class Authorization:
    url: str
    state: str


def _client(ctx: RequestContext) -> WechatClient:
    if ctx.auth.wechat is None:
        raise BadUserInput("WeChat sign-in is not configured on this gateway.")
    return ctx.auth.wechat


async def authorize_url(ctx: RequestContext, redirect_uri: str) -> Authorization:
    client = _client(ctx)
    if not redirect_allowed(redirect_uri, ctx.auth.redirect_allowlist):
        raise BadUserInput("redirectUri is not on this gateway's allow-list.")
    account_id = ctx.viewer.account_id if ctx.viewer is not None else None
    state, row = new_state(redirect_uri=redirect_uri, now=ctx.now(), account_id=account_id)
    # Stored before the answer leaves: a state handed out always exists.
    ctx.scope.before_response(row)
    return Authorization(url=client.authorize_url(redirect_uri, state), state=state)


async def wechat_profile(
    ctx: RequestContext, code: str, state: str, *, linking_to: uuid.UUID | None = None
) -> WechatProfile | UserError:
    """The profile behind a redirect's code, once its one-time state checks out.

    To link an account, the state must have been issued to that account
    (wechatAuthorizeUrl while signed in): otherwise whoever began the redirect could
    have their WeChat linked to someone else's account by making them open it.
    """
    client = _client(ctx)
    begun = await consume_state(ctx.session, state, ctx.now())
    if begun is None or (linking_to is not None and begun.account_id != linking_to):
        return INVALID_STATE
    try:
        return await client.fetch_profile(code)
    except WechatError:
        return user_error(
            UserErrorCode.INVALID_CODE, "WeChat did not accept this sign-in; start again.", "code"
        )


def new_identity(
    account: Account, profile: WechatProfile, ctx: RequestContext
) -> ThirdPartyIdentity:
    identity = ThirdPartyIdentity(
        account_id=account.id,
        provider=IdentityProvider.WECHAT,
        nickname=(profile.nickname or "")[:100] or None,
        avatar_url=(profile.avatar_url or "")[:500] or None,
        created_at=ctx.now(),
    )
    identity.open_id = profile.open_id
    identity.union_id = profile.union_id
    return identity


class WechatSignIn(Protocol):
    """What finishing a WeChat sign-in takes (loginWithWechat's input has these fields);
    the policy version and the birth date count only when the WeChat user registers."""

    code: str
    state: str
    accept_policy_version: str | None
    birth_date: date | None


async def login_with_wechat(ctx: RequestContext, sign_in: WechatSignIn) -> SignedIn:
    profile = await wechat_profile(ctx, sign_in.code, sign_in.state)
    if isinstance(profile, UserError):
        raise Refused(profile)
    identity = await queries.identity_by_open_id(
        ctx.session, IdentityProvider.WECHAT, profile.open_id
    )
    if identity is not None:
        account = await ctx.session.get(Account, identity.account_id)
        if account is not None:
            identity.nickname = (profile.nickname or "")[:100] or identity.nickname
            identity.avatar_url = (profile.avatar_url or "")[:500] or identity.avatar_url
            return await signed_in(ctx, account, LoginMethod.WECHAT)
    now = ctx.now()
    # The age rules of every individual registration (under 14 refused, 14 to 17 pending).
    status = await new_individual_status(
        ctx, sign_in.accept_policy_version, sign_in.birth_date, now.date()
    )
    account = Account(
        kind=AccountKind.INDIVIDUAL,
        status=status,
        display_name=(profile.nickname or "")[:60] or new_display_name(),
        avatar_url=(profile.avatar_url or "")[:500] or None,
        created_at=now,
        birth_date=sign_in.birth_date,
        accepted_policy_version=sign_in.accept_policy_version,
        accepted_policy_at=now,
    )
    ctx.session.add(account)
    await ctx.session.flush()
    ctx.session.add(new_identity(account, profile, ctx))
    await ctx.session.flush()
    return await signed_in(ctx, account, LoginMethod.WECHAT, is_new=True)
