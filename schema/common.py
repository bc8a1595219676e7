"""Types every domain's payloads share."""

from __future__ import annotations

import strawberry

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
