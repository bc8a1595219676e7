"""Which policy version is current, and whether an account must accept a newer one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models import Account, PrivacyPolicy
from resolvers.context import RequestContext


@dataclass(frozen=True)
class PolicyStatus:
    accepted_version: str | None
    current_version: str
    must_accept: bool


def _order(policy: PrivacyPolicy) -> tuple[date, object]:
    return (policy.effective_on, policy.published_at)


def in_force(policies: list[PrivacyPolicy], today: date) -> list[PrivacyPolicy]:
    return [policy for policy in policies if policy.effective_on <= today]


async def current_policy(ctx: RequestContext) -> PrivacyPolicy:
    versions = in_force(await ctx.loaders.policy_versions.all(), ctx.now().date())
    if not versions:
        raise LookupError("no privacy policy version is in force")
    return max(versions, key=_order)


async def policy_status(ctx: RequestContext, account: Account) -> PolicyStatus:
    """mustAccept while the account has not accepted the newest material version in force
    or a later one."""
    policies = await ctx.loaders.policy_versions.all()
    live = in_force(policies, ctx.now().date())
    current = max(live, key=_order)
    material = [policy for policy in live if policy.material]
    accepted = next((p for p in policies if p.version == account.accepted_policy_version), None)
    if accepted is None:
        must_accept = True
    elif material:
        must_accept = _order(accepted) < _order(max(material, key=_order))
    else:
        must_accept = False
    return PolicyStatus(
        accepted_version=account.accepted_policy_version,
        current_version=current.version,
        must_accept=must_accept,
    )
