"""consentStatus, for staff and the platform's services."""

from __future__ import annotations

import strawberry

from models import ConsentPurpose
from resolvers.consents import status
from resolvers.global_id import key_of
from schema.accounts.types import ACCOUNT_TYPE_NAMES, account_global_id
from schema.consents.types import AccountConsentStatus, Consent
from schema.context import Info


@strawberry.type
class ConsentQueries:
    @strawberry.field(
        description=(
            "Staff and the platform's services (a service credential): the consent states"
            " of an account, for the purposes asked (all when none); null for no such account."
        )
    )
    async def consent_status(
        self, info: Info, account_id: strawberry.ID, purposes: list[ConsentPurpose] | None = None
    ) -> AccountConsentStatus | None:
        found = await status.consent_status(
            info.context, key_of(account_id, *ACCOUNT_TYPE_NAMES), purposes
        )
        # An ID minted for one account type never stands for another.
        if found is None or account_global_id(found.account) != account_id:
            return None
        return AccountConsentStatus(
            account_id=account_global_id(found.account),
            account_status=found.account.status,
            consents=[Consent.of(state) for state in found.consents],
        )
