"""Fields that need none of Strawberry's per-field machinery resolve without it.

Strawberry resolves a field with a resolver method through a chain made for the
general case: an `Info` object, the arguments converted to Python types, a partial per
field extension, all per value. Most account fields are a plain method of the object
(`return self.row.kind`), perhaps with a read rule (`readable_by`) or the masking point
(`@sensitive`) around it, and a page of 100 sub-accounts resolves a thousand of them.

`resolve_plain_fields` gives each such field, once the schema is built, a direct
resolver that does exactly what the chain did and nothing else: the field's read rules
first (FORBIDDEN as before), then the method, then the masking point's decision
(`present`, synchronous unless it must read the database); an attribute field (no
resolver, no extension) reads the attribute. The gateway's executor calls it with the
object and the context (schema/execution.py); graphql-core's resolver of the field calls
it too. A field with any other extension, an async resolver, `info` or arguments other
than `reveal` keeps Strawberry's chain.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    get_nullable_type,
    is_leaf_type,
)
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from schema.access import ReadableBy
from schema.sensitive import MaskingExtension

# The key, in a graphql-core field's extensions, of its `Direct` resolver, which the
# gateway's executor calls without building an `info` (schema/execution.py).
DIRECT = "gateway.direct"


@dataclass(frozen=True, slots=True)
class Direct:
    """A field as a function of its object and the request's context (`reveal` false),
    and the scalar or enum its value completes to (None for a list or an object)."""

    resolve: Callable[..., Any]
    leaf: GraphQLLeafType | None
    non_null: bool
    # The scalar or enum of a list's items, for a list of them (None otherwise).
    items: GraphQLLeafType | None = None

    @classmethod
    def of(cls, resolve: Callable[..., Any], field_type: GraphQLOutputType) -> Direct:
        named = get_nullable_type(field_type)
        leaf = named if is_leaf_type(named) else None
        items = None
        if isinstance(named, GraphQLList):
            item = get_nullable_type(named.of_type)
            items = item if is_leaf_type(item) else None
        return cls(resolve, leaf, isinstance(field_type, GraphQLNonNull), items)


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


def direct_resolver(field: StrawberryField) -> Callable[[Any, Any], Any] | None:
    """`field` as a function of its object and the request's context, or None when it
    needs Strawberry's chain. The function resolves the field as sent without
    arguments (`reveal` false)."""
    if field.is_basic_field and not field.is_subscription:
        name = field.python_name
        return lambda source, context: getattr(source, name)
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
    if kind is None and not rules:
        return lambda source, context: method(source)
    if kind is None:

        def resolve(source: Any, context: Any) -> Any:
            for rule in rules:
                rule.check(context, source)
            return method(source)

        return resolve
    masking: MaskingExtension = kind

    def resolve_sensitive(source: Any, context: Any, reveal: bool = False) -> Any:
        for rule in rules:
            rule.check(context, source)
        return masking.shown(context, method(source, reveal=reveal), reveal=reveal)

    return resolve_sensitive


def _graphql_resolver(direct: Callable[..., Any]) -> Callable[..., Any]:
    """graphql-core's calling convention for a direct resolver: for a field executed
    with its arguments (`reveal: true`), or by an executor other than the gateway's."""

    def resolve(source: Any, info: Any, reveal: bool = False) -> Any:
        if reveal:
            return direct(source, info.context, reveal=True)
        return direct(source, info.context)

    return resolve


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
            direct = direct_resolver(field)
            if direct is not None:
                graphql_field.resolve = _graphql_resolver(direct)
                graphql_field.extensions[DIRECT] = Direct.of(direct, graphql_field.type)
                replaced += 1
    return replaced
