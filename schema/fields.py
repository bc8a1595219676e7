"""Fields declared by what they show of the object's row, instead of a method each.

An object type over a row (`row: strawberry.Private[...]`) mostly shows the row's
attributes: as they are (`row_field`), or through the masking point (`sensitive_field`).
Both make an ordinary resolver method (`self`, and `reveal` for a sensitive one), so the
field reads exactly as the method it replaces: in the schema (same name, type, arguments
and place among the type's fields) and to `schema/plain_fields.py`, which still resolves it
without Strawberry's per-field chain.
"""

from __future__ import annotations

from typing import Any

import strawberry

from models import SensitiveKind
from resolvers.masking.reveal import SensitiveValue
from schema.sensitive import Sensitive


def row_field(attribute: str, graphql_type: Any, *, description: str | None = None) -> Any:
    """A field that shows `self.row.<attribute>` as it is."""

    def read(self: Any) -> Any:
        return getattr(self.row, attribute)

    return strawberry.field(resolver=read, graphql_type=graphql_type, description=description)


def sensitive_field(
    kind: SensitiveKind,
    attribute: str,
    *,
    graphql_type: Any = str | None,
    description: str | None = None,
) -> Any:
    """A field that shows `self.row.<attribute>` through the masking point as `kind`.

    The value describes the object's `subject` (the account); an object without one holds
    what a requester gave for their `request`, and the value belongs to that request
    (`resolvers/masking/reveal.py` SensitiveValue)."""

    def read(self: Any, reveal: bool = False) -> SensitiveValue:
        return SensitiveValue(
            getattr(self, "subject", None),
            getattr(self.row, attribute),
            getattr(self, "request", None),
        )

    return strawberry.field(
        resolver=read,
        graphql_type=graphql_type,
        description=description,
        directives=[Sensitive(kind=kind)],
    )
