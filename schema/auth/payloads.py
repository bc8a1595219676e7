"""Payloads that carry an account."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.auth.results import AuthResult
from schema.accounts.types import Account, account_object
from schema.common import UserError, user_errors


@strawberry.type
class AuthPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    access_token_expires_at: datetime | None = None
    account: Account | None = None
    is_new_account: bool = False
    must_change_password: bool = strawberry.field(
        default=False,
        description=(
            "True when the password just used no longer meets the password rules (it was "
            "set before them): it still signs in, and the client should ask for a new one "
            "(setPassword)."
        ),
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def from_result(cls, result: AuthResult) -> AuthPayload:
        tokens = result.tokens
        return cls(
            access_token=tokens.access_token if tokens else None,
            refresh_token=tokens.refresh_token if tokens else None,
            access_token_expires_at=tokens.access_token_expires_at if tokens else None,
            account=account_object(result.account) if result.account is not None else None,
            is_new_account=result.is_new_account,
            must_change_password=result.must_change_password,
            user_errors=user_errors(result.user_errors),
        )
