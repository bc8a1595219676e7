from __future__ import annotations

from dataclasses import dataclass, field

from models import Account
from resolvers.errors import UserError


@dataclass
class AccountResult:
    account: Account | None = None
    user_errors: list[UserError] = field(default_factory=list)


def failed(*errors: UserError) -> AccountResult:
    return AccountResult(user_errors=list(errors))
