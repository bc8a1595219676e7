"""GraphQL literals the schema accepts, written from its types, for tests that call every
root field: each required input field filled in, and an ID replaced by one this API never
issued where a test asks."""

from __future__ import annotations

import uuid

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
)

from resolvers.global_id import to_global_id

SCALAR_LITERALS = {
    "String": '"x"',
    "ID": f'"{to_global_id("IndividualAccount", uuid.UUID(int=1))}"',
    "Int": "1",
    "Float": "1.5",
    "Boolean": "true",
    "Date": '"2000-01-01"',
    "DateTime": '"2000-01-01T00:00:00+00:00"',
}
NOT_AN_ID = '"not-an-id"'
KEEP = ("",)  # a path that names no field: every ID stays well-formed


def _required_or_on(
    name: str, type_: GraphQLInputType, default: object, path: tuple[str, ...]
) -> bool:
    return path[:1] == (name,) or (isinstance(type_, GraphQLNonNull) and default is Undefined)


def literal(
    type_: GraphQLInputType, bad_id_at: tuple[str, ...] = KEEP, *, id_literal: str | None = None
) -> str:
    """A literal of `type_` with every required field filled in (each ID `id_literal`
    unless told), and the ID at the path `bad_id_at` replaced by one this API never
    issued."""
    if isinstance(type_, GraphQLNonNull):
        return literal(type_.of_type, bad_id_at, id_literal=id_literal)
    if isinstance(type_, GraphQLList):
        return f"[{literal(type_.of_type, bad_id_at, id_literal=id_literal)}]"
    if isinstance(type_, GraphQLEnumType):
        return str(next(iter(type_.values)))
    if isinstance(type_, GraphQLInputObjectType):
        fields = ", ".join(
            f"{name}: {literal(field.type, _under(name, bad_id_at), id_literal=id_literal)}"
            for name, field in type_.fields.items()
            if _required_or_on(name, field.type, field.default_value, bad_id_at)
        )
        return "{" + fields + "}"
    assert isinstance(type_, GraphQLScalarType)
    assert type_.name in SCALAR_LITERALS, f"give the scalar {type_.name} a literal"
    if type_.name == "ID":
        return NOT_AN_ID if bad_id_at == () else id_literal or SCALAR_LITERALS["ID"]
    return SCALAR_LITERALS[type_.name]


def _under(name: str, path: tuple[str, ...]) -> tuple[str, ...]:
    return path[1:] if path[:1] == (name,) else KEEP


def arguments(
    field: GraphQLField, bad_id_at: tuple[str, ...] = KEEP, *, id_literal: str | None = None
) -> str:
    """The field's required arguments (and the one `bad_id_at` starts at) as literals."""
    return ", ".join(
        f"{name}: {literal(argument.type, _under(name, bad_id_at), id_literal=id_literal)}"
        for name, argument in field.args.items()
        if _required_or_on(name, argument.type, argument.default_value, bad_id_at)
    )
