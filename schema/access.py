"""Who may read an account's field, declared on the field.

`readable_by(rule)` is a field's declaration (`extensions=readable_by(OWNER_AND_STAFF)`):
Strawberry's permission extension asks the named rule (`resolvers/accounts/access.py`)
before the resolver runs, and a viewer it does not allow gets FORBIDDEN at the field's
path. The rules and the fields that declare them are in
docs/spec/masking-and-viewers.md#reading-account-fields; one table test reads every
account field as every kind of viewer.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types.field import StrawberryField

from auth.errors import Forbidden
from resolvers.accounts.access import ReadRule


class ReadableBy(BasePermission):
    message = "You may not read this field."

    def __init__(self, rule: ReadRule) -> None:
        self.rule = rule

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return self.rule.allows(info.context, source.row)

    def check(self, context: Any, source: Any) -> None:
        """FORBIDDEN unless the rule allows the request's viewer to read `source`."""
        if not self.rule.allows(context, source.row):
            self.on_unauthorized()

    def on_unauthorized(self) -> None:
        raise Forbidden(self.message)


def readable_by(rule: ReadRule) -> list[FieldExtension]:
    return [PermissionExtension(permissions=[ReadableBy(rule)], use_directives=False)]


def read_rule(field: StrawberryField) -> ReadRule | None:
    """The rule a field declares, if any."""
    for extension in field.extensions:
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, ReadableBy):
                    return permission.rule
    return None
