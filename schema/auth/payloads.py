"""Payloads that carry an account."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.auth.results import SignedIn
from schema.accounts.types import Account, account_object
from schema.common import UserError


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
    def of(cls, signed: SignedIn) -> AuthPayload:
        return cls(
            access_token=signed.tokens.access_token,
            refresh_token=signed.tokens.refresh_token,
            access_token_expires_at=signed.tokens.access_token_expires_at,
            account=account_object(signed.account) if signed.account is not None else None,
            is_new_account=signed.is_new_account,
            must_change_password=signed.must_change_password,
        )
