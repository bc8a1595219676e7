"""elevateSession by WeChat re-authorisation, for accounts that sign in with WeChat only.

Such an account has no bound phone for a STEP_UP code and no password, yet exporting its
data, opening a rights request or cancelling needs step-up. The person scans WeChat's QR
code again: the redirect's `state` must have been issued to this signed-in account
(`wechatAuthorizeUrl` while signed in), and the OpenID WeChat answers must be the one
linked to it. Any other proof goes to the password and SMS step-up unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from auth import sessions
from auth.wechat import WechatProfile
from models import IdentityProvider
from resolvers.auth.sessions import StepUpProof, require_viewer
from resolvers.auth.sessions import elevate_session as elevate_with_code_or_password
from resolvers.auth.wechat import wechat_profile
from resolvers.context import RequestContext, log_security
from resolvers.errors import Refused, UserError, UserErrorCode, user_error

ONE_PROOF = user_error(
    UserErrorCode.INVALID_INPUT,
    "Give one proof: smsCode, password, or wechatCode with wechatState.",
)
NO_WECHAT = user_error(
    UserErrorCode.CONTACT_REQUIRED, "No WeChat account is linked to this account."
)
OTHER_WECHAT = user_error(
    UserErrorCode.INVALID_CREDENTIALS,
    "This WeChat account is not the one linked to this account.",
    "wechatCode",
)
# The WeChat exchange names its inputs `code` and `state`; here they are `wechat…`.
RENAMED_FIELDS = {"code": "wechatCode", "state": "wechatState"}


def _renamed(error: UserError) -> UserError:
    field = tuple(RENAMED_FIELDS.get(name, name) for name in error.field or ())
    return UserError(code=error.code, message=error.message, field=field or None)


class WechatStepUpProof(StepUpProof, Protocol):
    """Every proof elevateSession takes: a code, a password, or WeChat's redirect."""

    wechat_code: str | None
    wechat_state: str | None


async def elevate_session(ctx: RequestContext, proof: WechatStepUpProof) -> datetime:
    """Step-up with exactly one proof; WeChat's is checked here, the others as before."""
    if proof.wechat_code is None and proof.wechat_state is None:
        return await elevate_with_code_or_password(ctx, proof)
    viewer = require_viewer(ctx)
    others = (proof.sms_code, proof.password, proof.totp)
    if (
        any(given is not None for given in others)
        or not proof.wechat_code
        or not proof.wechat_state
    ):
        raise Refused(ONE_PROOF)
    account = ctx.viewer_account
    if account is None:
        raise Refused(NO_WECHAT)
    identities = await ctx.loaders.identities_by_account.load(account.id)
    linked = next((i for i in identities if i.provider is IdentityProvider.WECHAT), None)
    if linked is None:
        raise Refused(NO_WECHAT)
    profile = await wechat_profile(
        ctx, proof.wechat_code, proof.wechat_state, linking_to=account.id
    )
    if not isinstance(profile, WechatProfile):
        raise Refused(_renamed(profile))
    if profile.open_id != linked.open_id:
        log_security(ctx, "step_up", "failure", factor="wechat")
        raise Refused(OTHER_WECHAT)
    return await sessions.elevate(ctx.session, viewer.session_id, ctx.now())
