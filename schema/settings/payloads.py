from __future__ import annotations

import strawberry

from resolvers.settings.results import AccountResult
from schema.accounts.types import Account, account_object
from schema.common import UserError, user_errors


@strawberry.type
class AccountPayload:
    account: Account | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def from_result(cls, result: AccountResult) -> AccountPayload:
        return cls(
            account=account_object(result.account) if result.account is not None else None,
            user_errors=user_errors(result.user_errors),
        )
