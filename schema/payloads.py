"""Mutation payloads: what every mutation answers, and the payloads several share.

Use cases return what they made and raise `Refused` for what a person can fix. One
field extension, attached to every root mutation when the schema is built, turns a
refusal into the mutation's own payload: its `userErrors`, every other field at its
default. A mutation's resolver therefore only builds the payload of a success.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.base import StrawberryContainer, StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from auth.sms_codes import Issued
from models import Account as AccountRow
from resolvers.errors import Refused
from schema.accounts.types import Account, account_object
from schema.common import payload, user_errors


@payload
class OkPayload:
    ok: bool = False

    @classmethod
    def done(cls) -> OkPayload:
        return cls(ok=True)


@payload
class AccountPayload:
    account: Account | None = None

    @classmethod
    def of(cls, row: AccountRow) -> AccountPayload:
        return cls(account=account_object(row))


@payload
class RequestSmsCodePayload:
    sent: bool = False
    retry_after_seconds: int = 0
    expires_at: datetime | None = None

    @classmethod
    def of(cls, issued: Issued) -> RequestSmsCodePayload:
        """The answer to a code sent: when to ask again, when the code expires."""
        wait, expires = issued.retry_after_seconds, issued.expires_at
        return cls(sent=issued.sent, retry_after_seconds=wait, expires_at=expires)


def payload_type(field: StrawberryField) -> type[Any] | None:
    """The payload a field answers, when it is one (it has `userErrors`)."""
    named: Any = field.type
    while isinstance(named, StrawberryContainer):
        named = named.of_type
    definition: StrawberryObjectDefinition | None = getattr(
        named, "__strawberry_definition__", None
    )
    if definition is None or not any(f.python_name == "user_errors" for f in definition.fields):
        return None
    return named  # type: ignore[no-any-return]


class RefusalsInPayload(FieldExtension):
    """Answers a `Refused` raised anywhere under a root mutation with its payload."""

    def __init__(self, payload: type[Any]) -> None:
        self.payload = payload

    def answer(self, refused: Refused) -> Any:
        return self.payload(user_errors=user_errors(list(refused.errors)), **refused.details)

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        raise TypeError("mutations resolve asynchronously only")

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except Refused as refused:
            return self.answer(refused)


def answer_refusals_in_payloads(mutation_type: type[Any]) -> None:
    """Attach `RefusalsInPayload` to every root mutation, outermost (so attached last):
    input rules, the guardian gate and the use case all refuse the same way."""
    definition: StrawberryObjectDefinition = mutation_type.__strawberry_definition__
    for field in definition.fields:
        payload = payload_type(field)
        if payload is None:
            raise TypeError(f"mutation {field.python_name} answers no payload with userErrors")
        if not any(isinstance(ext, RefusalsInPayload) for ext in field.extensions):
            field.extensions.append(RefusalsInPayload(payload))
