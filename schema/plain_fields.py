"""Fields that need none of Strawberry's per-field machinery resolve without it.

Strawberry resolves a field with a resolver method through a chain made for the
general case: an `Info` object, the arguments converted to Python types, a partial per
field extension, all per value. Most account fields are a plain method of the object
(`return self.row.kind`), perhaps with a read rule (`readable_by`) or the masking point
(`@sensitive`) around it, and a page of 100 sub-accounts resolves a thousand of them.

`resolve_plain_fields` gives each such field, once the schema is built, a graphql-core
resolver that does exactly what the chain did and nothing else: the field's read rules
first (FORBIDDEN as before), then the method, then the masking point's decision
(`present`, synchronous unless it must read the database). A field with any other
extension, an async resolver, `info` or arguments other than `reveal` keeps Strawberry's
chain.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from schema.access import ReadableBy
from schema.sensitive import MaskingExtension


def _parts(field: StrawberryField) -> tuple[list[ReadableBy], MaskingExtension | None] | None:
    """The field's read rules and masking point, if those are all its extensions."""
    rules: list[ReadableBy] = []
    kinds: list[MaskingExtension] = []
    for extension in field.extensions:
        if isinstance(extension, MaskingExtension):
            kinds.append(extension)
        elif isinstance(extension, PermissionExtension) and not extension.fail_silently:
            if not all(isinstance(p, ReadableBy) for p in extension.permissions):
                return None
            rules.extend(extension.permissions)  # type: ignore[arg-type]
        else:
            return None
    if len(kinds) > 1:
        return None
    return rules, kinds[0] if kinds else None


def plain_resolver(field: StrawberryField) -> Callable[..., Any] | None:
    """The direct resolver of `field`, or None when it needs Strawberry's chain."""
    resolver = field.base_resolver
    if resolver is None or resolver.is_async or field.is_subscription:
        return None
    method = resolver.wrapped_func
    if not inspect.isfunction(method):
        return None
    names = list(inspect.signature(method).parameters)
    parts = _parts(field)
    if parts is None or names[:1] != ["self"]:
        return None
    rules, kind = parts
    if names[1:] != (["reveal"] if kind is not None else []):
        return None

    if kind is None:

        def resolve(source: Any, info: Any) -> Any:
            for rule in rules:
                if not rule.has_permission(source, info):
                    rule.on_unauthorized()
            return method(source)

        return resolve

    masking: MaskingExtension = kind

    def resolve_sensitive(source: Any, info: Any, reveal: bool = False) -> Any:
        for rule in rules:
            if not rule.has_permission(source, info):
                rule.on_unauthorized()
        value = method(source, reveal=reveal)
        return masking.shown(info.context, value, reveal=bool(reveal))

    return resolve_sensitive


def resolve_plain_fields(graphql_types: dict[str, Any], *, handlers: bool) -> int:
    """Give every plain field of the built schema its direct resolver; how many.

    `handlers`: the schema converts exceptions into results somewhere (Strawberry's
    exception handlers), and then every field keeps Strawberry's chain."""
    if handlers:
        return 0
    replaced = 0
    for graphql_type in graphql_types.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField):
                continue
            direct = plain_resolver(field)
            if direct is not None:
                graphql_field.resolve = direct
                replaced += 1
    return replaced
