"""consentStatus: what a person's consents allow now, for staff and the platform's services.

A service that would rather ask than listen to the events reads it with its credential
(`xiamo-gateway services create`); staff of any role read it too. Everyone else is
refused. The states are those the person sees: a restriction, or a material policy
change that asks for consent again, reads as not granted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from auth.errors import Forbidden, Unauthenticated
from models import Account, ConsentPurpose
from resolvers.consents.record import ConsentState, consent_states
from resolvers.context import RequestContext


@dataclass(frozen=True)
class ConsentStatus:
    account: Account
    consents: list[ConsentState]


async def consent_status(
    ctx: RequestContext, account_id: uuid.UUID | None, purposes: list[ConsentPurpose] | None
) -> ConsentStatus | None:
    if ctx.service is None:
        if ctx.viewer is None:
            raise Unauthenticated("Sign in first.")
        if ctx.viewer.staff_id is None:
            raise Forbidden("Only staff and the platform's services may ask this.")
    account = await ctx.loaders.account_by_id.load(account_id) if account_id else None
    if account is None:
        return None
    wanted = set(purposes) if purposes else set(ConsentPurpose)
    states = await consent_states(ctx, account)
    return ConsentStatus(account, [state for state in states if state.purpose in wanted])
