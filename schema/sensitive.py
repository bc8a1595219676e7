"""The `@sensitive` schema directive and the field extension that enforces it.

Every field that carries the directive passes `MaskingExtension`, attached by
`enforce_sensitive_fields` when the schema is built: declaring the directive is all a
new sensitive field needs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from inspect import isawaitable
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.schema_directive import Location
from strawberry.types.base import StrawberryContainer, StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from models import SensitiveKind
from resolvers.masking.reveal import present

strawberry.enum(SensitiveKind, name="SensitiveKind")


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="sensitive",
    description=(
        "The field holds personal information; the gateway masks or withholds it per "
        "viewer, and logs every clear view in the subject's access log."
    ),
)
class Sensitive:
    kind: SensitiveKind


class MaskingExtension(FieldExtension):
    def __init__(self, kind: SensitiveKind) -> None:
        self.kind = kind

    def shown(self, context: Any, value: Any, *, reveal: bool) -> Any:
        """The value as the request's viewer may see it: decided synchronously, unless
        the decision must read the database (a staff read), when it is an awaitable."""
        return present(context, self.kind, value, reveal=reveal)

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        value = next_(source, info, **kwargs)
        return self.shown(info.context, value, reveal=bool(kwargs.get("reveal")))

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        value = await next_(source, info, **kwargs)
        shown = self.shown(info.context, value, reveal=bool(kwargs.get("reveal")))
        return await shown if isawaitable(shown) else shown


def _sensitive_kind(field: StrawberryField) -> SensitiveKind | None:
    for directive in field.directives:
        if isinstance(directive, Sensitive):
            return directive.kind
    return None


def _named_types(annotation: Any) -> Iterator[type]:
    while isinstance(annotation, StrawberryContainer):
        annotation = annotation.of_type
    if isinstance(annotation, type):
        yield annotation


def reachable_definitions(roots: Iterable[type]) -> Iterator[StrawberryObjectDefinition]:
    """Every object and input type reachable from `roots` through field types."""
    seen: set[type] = set()
    pending = list(roots)
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        definition = getattr(cls, "__strawberry_definition__", None)
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        yield definition
        for field in definition.fields:
            pending.extend(_named_types(field.type))


def enforce_sensitive_fields(roots: Iterable[type]) -> int:
    """Attach the masking extension to every `@sensitive` field reachable from `roots`."""
    attached = 0
    for definition in reachable_definitions(roots):
        for field in definition.fields:
            kind = _sensitive_kind(field)
            if kind is None:
                continue
            if not any(isinstance(ext, MaskingExtension) for ext in field.extensions):
                field.extensions.append(MaskingExtension(kind))
            attached += 1
    return attached
