"""Recording a consent change: the current state and one more event, never rewritten."""

from __future__ import annotations

from sqlalchemy import select

from models import Account, Consent, ConsentEvent, ConsentPurpose, queries
from resolvers.context import RequestContext


async def policy_version_in_force(ctx: RequestContext) -> str:
    current = await queries.current_policy(ctx.session, ctx.now().date())
    if current is None:
        raise LookupError("no privacy policy version is in force")
    return current.version


async def is_granted(ctx: RequestContext, account: Account, purpose: ConsentPurpose) -> bool:
    consents = await ctx.loaders.consents_by_account.load(account.id)
    return any(c.purpose is purpose and c.granted for c in consents)


async def record_consent(
    ctx: RequestContext, account: Account, purpose: ConsentPurpose, *, granted: bool
) -> Consent:
    now = ctx.now()
    version = await policy_version_in_force(ctx)
    consent = (
        await ctx.session.scalars(
            select(Consent).where(Consent.account_id == account.id, Consent.purpose == purpose)
        )
    ).first()
    if consent is None:
        consent = Consent(account_id=account.id, purpose=purpose)
        ctx.session.add(consent)
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
