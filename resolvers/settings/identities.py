"""linkWechat and unlinkIdentity."""

from __future__ import annotations

from sqlalchemy import delete

from models import Account, IdentityProvider, ThirdPartyIdentity, queries
from resolvers.accounts.access import require_account, require_step_up
from resolvers.auth.wechat import new_identity, wechat_profile
from resolvers.context import RequestContext
from resolvers.errors import Refused, UserError, UserErrorCode, refused
from resolvers.settings.notices import BoundBefore, sign_in_method_changed


async def link_wechat(ctx: RequestContext, code: str, state: str) -> Account:
    """Link a WeChat identity, a way to sign in: only from a stepped-up session."""
    account = require_account(ctx)
    require_step_up(ctx)
    before = BoundBefore.of(account)
    profile = await wechat_profile(ctx, code, state, linking_to=account.id)
    if isinstance(profile, UserError):
        raise Refused(profile)
    linked = await ctx.loaders.identities_by_account.load(account.id)
    existing = await queries.identity_by_open_id(
        ctx.session, IdentityProvider.WECHAT, profile.open_id
    )
    if existing is not None or any(i.provider is IdentityProvider.WECHAT for i in linked):
        raise refused(
            UserErrorCode.ALREADY_EXISTS,
            "A WeChat account is already linked here or to another account.",
        )
    ctx.session.add(new_identity(account, profile, ctx))
    await ctx.session.flush()
    ctx.loaders.identities_by_account.clear(account.id)
    await sign_in_method_changed(ctx, account, "WeChat sign-in", before)
    return account


def _other_login_methods(account: Account, remaining: list[ThirdPartyIdentity]) -> bool:
    return (
        account.phone is not None
        or (account.password_hash is not None and account.email is not None)
        or bool(remaining)
    )


async def unlink_identity(ctx: RequestContext, provider: IdentityProvider) -> Account:
    """Remove a linked identity, a way to sign in: only from a stepped-up session."""
    account = require_account(ctx)
    linked = await ctx.loaders.identities_by_account.load(account.id)
    target = [identity for identity in linked if identity.provider is provider]
    if not target:
        raise refused(UserErrorCode.NOT_FOUND, "Nothing of this provider is linked.", "provider")
    remaining = [identity for identity in linked if identity.provider is not provider]
    if not _other_login_methods(account, remaining):
        raise refused(
            UserErrorCode.LAST_LOGIN_METHOD,
            "This is the last way to sign in; bind a phone or set a password first.",
            "provider",
        )
    require_step_up(ctx)
    await ctx.session.execute(
        delete(ThirdPartyIdentity).where(
            ThirdPartyIdentity.account_id == account.id, ThirdPartyIdentity.provider == provider
        )
    )
    ctx.loaders.identities_by_account.clear(account.id)
    await sign_in_method_changed(ctx, account, "WeChat sign-in", BoundBefore.of(account))
    return account
