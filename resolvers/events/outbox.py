"""Writing privacy events into the outbox, in the unit of work of their change.

An event carries identifiers, purposes and categories, never a personal value: the
account's global ID, a request's global ID, consent purposes, inventory category keys,
statuses and policy versions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, AccountKind, PrivacyEvent, queries
from resolvers.context import RequestContext
from resolvers.global_id import to_global_id


class EventType(StrEnum):
    CONSENT_CHANGED = "ConsentChanged"
    PROCESSING_RESTRICTED = "ProcessingRestricted"
    RESTRICTION_LIFTED = "RestrictionLifted"
    ACCOUNT_CANCELLED = "AccountCancelled"
    DATA_ERASED = "DataErased"
    DATA_REQUEST_RESOLVED = "DataRequestResolved"
    GUARDIAN_CONSENT_WITHDRAWN = "GuardianConsentWithdrawn"
    PRIVACY_POLICY_PUBLISHED = "PrivacyPolicyPublished"


# The account types of the API, by kind: events name accounts as the API does.
ACCOUNT_TYPE_NAMES = {
    AccountKind.INDIVIDUAL: "IndividualAccount",
    AccountKind.BUSINESS: "BusinessAccount",
    AccountKind.ENTERPRISE: "EnterpriseAccount",
    AccountKind.SUB_ACCOUNT: "SubAccount",
}


def account_ref(account: Account) -> str:
    return to_global_id(ACCOUNT_TYPE_NAMES[account.kind], account.id)


async def record_event(
    session: AsyncSession,
    event_type: EventType,
    data: dict[str, Any],
    *,
    now: Any,
    account: Account | None = None,
) -> PrivacyEvent:
    """Append an event to the outbox in the caller's transaction.

    The account's row is locked first, so that two transactions writing events of one
    account number them in the order they commit (SQLite has one writer anyway).
    """
    if account is not None:
        await queries.lock_account(session, account.id)
    event = PrivacyEvent(
        type=event_type.value,
        account_id=account.id if account is not None else None,
        payload={"accountId": account_ref(account) if account is not None else None, "data": data},
        created_at=now,
        next_attempt_at=now,
        attempts=0,
    )
    session.add(event)
    await session.flush()
    return event


async def record(
    ctx: RequestContext, event_type: EventType, data: dict[str, Any], *, account: Account | None
) -> PrivacyEvent:
    return await record_event(ctx.session, event_type, data, now=ctx.now(), account=account)
