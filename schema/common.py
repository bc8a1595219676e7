"""Types every domain's payloads share."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar, dataclass_transform

import strawberry
from strawberry.types.field import StrawberryField

from resolvers.errors import UserError as UserErrorValue
from resolvers.errors import UserErrorCode

strawberry.enum(UserErrorCode, name="UserErrorCode")


@strawberry.type(
    description="Returned in every mutation payload; an empty list means the mutation succeeded."
)
class UserError:
    field: list[str] | None
    code: UserErrorCode
    message: str

    @classmethod
    def from_value(cls, value: UserErrorValue) -> UserError:
        return cls(
            field=list(value.field) if value.field else None, code=value.code, message=value.message
        )


def user_errors(values: list[UserErrorValue]) -> list[UserError]:
    return [UserError.from_value(value) for value in values]


T = TypeVar("T", bound=type)


@dataclass_transform(kw_only_default=True, field_specifiers=(strawberry.field, StrawberryField))
def payload(cls: T) -> T:
    """A mutation's payload: the fields a success fills in, each empty by default, then the
    `userErrors` a refusal fills in (`schema/payloads.py` RefusalsInPayload)."""
    cls.__annotations__["user_errors"] = list[UserError]
    cls.user_errors = strawberry.field(default_factory=list)  # type: ignore[attr-defined]
    return strawberry.type(cls)


ObjectT = TypeVar("ObjectT")


def from_attributes(cls: type[ObjectT], source: object, **given: Any) -> ObjectT:
    """An object of the Strawberry type `cls`: the fields `given`, and every other field read
    off `source` (a row, or a value of `resolvers/`) under the same name."""
    read = {
        field.name: getattr(source, field.name)
        for field in dataclasses.fields(cls)  # type: ignore[arg-type]
        if field.init and field.name not in given
    }
    return cls(**read, **given)
