"""Recording a consent change: the current state and one more event, never rewritten."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import (
    Account,
    Consent,
    ConsentEvent,
    ConsentPurpose,
    ProcessingRestriction,
    queries,
)
from resolvers.context import RequestContext
from resolvers.errors import UserError, UserErrorCode, user_error
from resolvers.policies.status import policy_status

POLICY_NOT_ACCEPTED = user_error(
    UserErrorCode.POLICY_NOT_ACCEPTED, "Accept the current privacy policy before granting consent."
)


async def policy_version_in_force(ctx: RequestContext) -> str:
    current = await queries.current_policy(ctx.session, ctx.now().date())
    if current is None:
        raise LookupError("no privacy policy version is in force")
    return current.version


async def restrictions_in_force(
    ctx: RequestContext, account: Account
) -> dict[ConsentPurpose, ProcessingRestriction]:
    """The account's purposes whose processing is restricted now, by purpose."""
    rows = await ctx.loaders.restrictions_by_account.load(account.id)
    return {row.purpose: row for row in rows}


async def is_granted(ctx: RequestContext, account: Account, purpose: ConsentPurpose) -> bool:
    """Granted, and not restricted: a restriction reads as a withdrawn consent."""
    if purpose in await restrictions_in_force(ctx, account):
        return False
    consents = await ctx.loaders.consents_by_account.load(account.id)
    return any(c.purpose is purpose and c.granted for c in consents)


async def record_consent(
    ctx: RequestContext, account: Account, purpose: ConsentPurpose, *, granted: bool
) -> Consent:
    now = ctx.now()
    version = await policy_version_in_force(ctx)
    current = select(Consent).where(Consent.account_id == account.id, Consent.purpose == purpose)
    consent = (await ctx.session.scalars(current)).first()
    if consent is None:
        consent = Consent(
            account_id=account.id,
            purpose=purpose,
            granted=granted,
            policy_version=version,
            updated_at=now,
        )
        # The unique (account, purpose) decides: when another request stored the first
        # state since the look-up, this change applies to that row instead.
        try:
            async with ctx.session.begin_nested():
                ctx.session.add(consent)
        except IntegrityError:
            consent = (await ctx.session.scalars(current)).one()
    consent.granted = granted
    consent.policy_version = version
    consent.updated_at = now
    ctx.session.add(
        ConsentEvent(
            account_id=account.id,
            purpose=purpose,
            granted=granted,
            policy_version=version,
            created_at=now,
        )
    )
    await ctx.session.flush()
    ctx.loaders.consents_by_account.clear(account.id)
    ctx.loaders.consent_events_by_account.clear(account.id)
    return consent


async def grant_refusal(
    ctx: RequestContext, account: Account, purpose: ConsentPurpose
) -> UserError | None:
    """POLICY_NOT_ACCEPTED when granting `purpose` now would need the current policy
    accepted first; None when it is granted already or may be."""
    if await is_granted(ctx, account, purpose):
        return None
    if (await policy_status(ctx, account)).must_accept:
        return POLICY_NOT_ACCEPTED
    return None


async def ensure_granted(ctx: RequestContext, account: Account, purpose: ConsentPurpose) -> None:
    if not await is_granted(ctx, account, purpose):
        await record_consent(ctx, account, purpose, granted=True)
