"""Mutation payloads: what every mutation answers, and the payloads several share.

Use cases return what they made and raise `Refused` for what a person can fix. One
field extension, attached to every root mutation when the schema is built, turns a
refusal into the mutation's own payload: its `userErrors`, every other field at its
default. A mutation's resolver therefore only builds the payload of a success; one that
hands its input to a use case and answers the payload of the result is declared with
`use_case_mutation`.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar, get_type_hints

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.base import StrawberryContainer, StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from auth.sms_codes import Issued
from models import Account as AccountRow
from resolvers.context import RequestContext
from resolvers.errors import Refused
from schema.accounts.types import Account, account_object
from schema.common import payload, user_errors
from schema.context import Info


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


InputT = TypeVar("InputT")
ResultT = TypeVar("ResultT")
PayloadT = TypeVar("PayloadT")


def use_case_mutation(
    input_type: type[InputT],
    use_case: Callable[[RequestContext, InputT], Awaitable[ResultT]],
    answer: Callable[[ResultT], PayloadT],
    *,
    description: str | None = None,
) -> StrawberryField:
    """A root mutation taking one `input` of `input_type`: it runs `use_case` with the
    request's context and the input, and answers the payload `answer` makes of the result.

    The mutation answers the type `answer` is annotated to return (a payload's `of`); a
    refusal of the use case is answered by `RefusalsInPayload`, as in every mutation.
    `use_case` is a function of its module, called as the module holds it at each call,
    like a `module.use_case(...)` written in a resolver: one replaced there (a test's
    failing stand-in) is the one the mutation runs.
    """
    module, name = sys.modules[use_case.__module__], use_case.__name__
    if getattr(module, name, None) is not use_case:
        raise TypeError(f"{use_case!r} is not a function of its module {module.__name__}")

    async def resolve(info: Info, input: InputT) -> PayloadT:
        current: Callable[[RequestContext, InputT], Awaitable[ResultT]] = getattr(module, name)
        return answer(await current(info.context, input))

    # Strawberry reads the argument's and the field's types off the resolver's annotations.
    resolve.__annotations__ = {
        "info": Info,
        "input": input_type,
        "return": get_type_hints(answer)["return"],
    }
    return strawberry.mutation(resolve, description=description)


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
