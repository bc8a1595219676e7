"""A guardian's consent for a minor."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import Account as AccountRow
from models import GuardianConsent as GuardianConsentRow
from models import SensitiveKind
from resolvers.masking.reveal import SensitiveValue
from schema.sensitive import Sensitive


@strawberry.type
class GuardianConsent:
    row: strawberry.Private[GuardianConsentRow]
    subject: strawberry.Private[AccountRow]

    @strawberry.field(
        graphql_type=str | None, directives=[Sensitive(kind=SensitiveKind.PERSON_NAME)]
    )
    def guardian_name(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(self.subject, self.row.guardian_name)

    @strawberry.field(graphql_type=str | None, directives=[Sensitive(kind=SensitiveKind.PHONE)])
    def guardian_phone(self, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(self.subject, self.row.guardian_phone)

    @strawberry.field
    def granted_at(self) -> datetime:
        return self.row.granted_at
