"""Recording a consent change: the current state and one more event, never rewritten."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from models import (
    Account,
    Consent,
    ConsentEvent,
    ConsentPurpose,
    PrivacyPolicy,
    ProcessingRestriction,
    queries,
)
from resolvers.context import RequestContext
from resolvers.errors import Refused, UserErrorCode, user_error
from resolvers.events.outbox import EventType, record
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


@dataclass(frozen=True)
class ConsentState:
    """One purpose as the person sees it: the stored state, its history, a restriction."""

    purpose: ConsentPurpose
    row: Consent | None
    history: list[ConsentEvent]
    restriction: ProcessingRestriction | None
    # Given under a version older than a material one in force that names the purpose.
    needs_reconsent: bool = False

    @property
    def granted(self) -> bool:
        return (
            self.row is not None
            and self.row.granted
            and self.restriction is None
            and not self.needs_reconsent
        )


def _asks_again(row: Consent, policies: list[PrivacyPolicy], today: date) -> bool:
    """Whether a material version in force, later than the one the consent was given
    under, names the consent's purpose."""
    given = next((p for p in policies if p.version == row.policy_version), None)
    if given is None:
        return False
    return any(
        policy.material
        and policy.effective_on <= today
        and (policy.effective_on, policy.published_at) > (given.effective_on, given.published_at)
        and row.purpose.value in policy.affected_purposes
        for policy in policies
    )


async def consent_states(ctx: RequestContext, account: Account) -> list[ConsentState]:
    """Every purpose of the account, in the enum's order."""
    rows = {row.purpose: row for row in await ctx.loaders.consents_by_account.load(account.id)}
    events = await ctx.loaders.consent_events_by_account.load(account.id)
    restricted = await restrictions_in_force(ctx, account)
    policies = await ctx.loaders.policy_versions.all()
    today = ctx.now().date()
    return [
        ConsentState(
            purpose=purpose,
            row=rows.get(purpose),
            history=[event for event in events if event.purpose is purpose],
            restriction=restricted.get(purpose),
            needs_reconsent=(
                purpose in rows
                and rows[purpose].granted
                and _asks_again(rows[purpose], policies, today)
            ),
        )
        for purpose in ConsentPurpose
    ]


async def is_granted(ctx: RequestContext, account: Account, purpose: ConsentPurpose) -> bool:
    """Granted, and not restricted: a restriction reads as a withdrawn consent."""
    states = await consent_states(ctx, account)
    return any(state.purpose is purpose and state.granted for state in states)


async def record_consent(
    ctx: RequestContext, account: Account, purpose: ConsentPurpose, *, granted: bool
) -> Consent:
    now = ctx.now()
    version = await policy_version_in_force(ctx)
    # The account first, then its consent: the order every writer of the account's
    # events takes, so none waits for another in a circle.
    await queries.lock_account(ctx.session, account.id)
    current = select(Consent).where(Consent.account_id == account.id, Consent.purpose == purpose)
    # The unique (account, purpose) decides: when another request stored the first state
    # since the look-up, this change applies to that row instead.
    consent = await queries.first_or_added(
        ctx.session,
        current,
        lambda: Consent(
            account_id=account.id,
            purpose=purpose,
            granted=granted,
            policy_version=version,
            updated_at=now,
        ),
    )
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
    await record(
        ctx,
        EventType.CONSENT_CHANGED,
        {"purpose": purpose.value, "granted": granted, "policyVersion": version},
        account=account,
    )
    ctx.loaders.consents_by_account.clear(account.id)
    ctx.loaders.consent_events_by_account.clear(account.id)
    return consent


async def require_grantable(ctx: RequestContext, account: Account, purpose: ConsentPurpose) -> None:
    """Refuses with POLICY_NOT_ACCEPTED when granting `purpose` now would need the current
    policy accepted first; passes when it is granted already or may be."""
    if await is_granted(ctx, account, purpose):
        return
    if (await policy_status(ctx, account)).must_accept:
        raise Refused(POLICY_NOT_ACCEPTED)


async def ensure_granted(ctx: RequestContext, account: Account, purpose: ConsentPurpose) -> None:
    if not await is_granted(ctx, account, purpose):
        await record_consent(ctx, account, purpose, granted=True)
