"""Reading the privacy policy and its archived versions."""

from __future__ import annotations

from collections.abc import Sequence

from models import PrivacyPolicy, queries
from resolvers.context import RequestContext


async def privacy_policy(ctx: RequestContext, version: str | None) -> PrivacyPolicy | None:
    if version is None:
        return await queries.current_policy(ctx.session, ctx.now().date())
    return await queries.policy_by_version(ctx.session, version)


async def privacy_policies(ctx: RequestContext) -> Sequence[PrivacyPolicy]:
    return await queries.all_policies(ctx.session)
