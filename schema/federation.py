"""The gateway as an Apollo Federation 2 subgraph (`GATEWAY_FEDERATION=on`).

The subgraph adds two root fields to the schema and changes nothing else:

- `_service { sdl }`: the schema as SDL, with `@key(fields: "id")` on the four account
  types and the `@link` that imports `@key` from the federation spec, for the router's
  composition.
- `_entities(representations:)`: the account types by `id`, each resolved exactly as
  `node(id:)` resolves it (`schema.relay.resolve_node_ids`), so every rule of
  reach, masking and refusal applies unchanged. A reference the viewer may not reach
  (someone else's account, or one that does not exist: the two are not told apart)
  resolves to null with a FORBIDDEN error at its place in the list.

Why not `strawberry.federation.type(keys=["id"])`: the key is then part of the account
types themselves, and the schema served without federation (and `schema.graphql`) would
carry `@key` and the federation imports as well. Here the key exists only in the
subgraph's SDL, and the schema without the setting stays exactly as it is.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, NewType

import strawberry
from graphql import (
    ConstArgumentNode,
    ConstDirectiveNode,
    ConstListValueNode,
    DocumentNode,
    NameNode,
    ObjectTypeDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    parse,
    print_ast,
)

from auth.errors import BadUserInput, Forbidden, GatewayError
from schema.accounts.types import (
    ACCOUNT_TYPE_NAMES,
    BusinessAccount,
    EnterpriseAccount,
    IndividualAccount,
    SubAccount,
)
from schema.context import Info
from schema.relay import resolve_node_ids

FEDERATION_SPEC = "https://specs.apollo.dev/federation/v2.3"
KEY_FIELDS = "id"
# The most references one `_entities` call resolves: a router asks for what one page of
# another subgraph's results references, and a page holds at most 100 items.
MAX_REPRESENTATIONS = 100
NOT_REACHABLE = "The account does not exist or the viewer may not read it."
NOT_A_REFERENCE = "A representation is an object with the __typename of an account type and its id."

Representation = NewType("Representation", object)
# The scalar `_Any` of the federation spec, for the schema's scalar_map.
REPRESENTATION_SCALAR = strawberry.scalar(
    name="_Any",
    description="A representation of an entity: its __typename and its key fields.",
    serialize=lambda value: value,
    parse_value=lambda value: value,
)
Entity = Annotated[
    IndividualAccount | BusinessAccount | EnterpriseAccount | SubAccount,
    strawberry.union("_Entity"),
]


@strawberry.type(name="_Service")
class SubgraphService:
    sdl: str


def subgraph_sdl(sdl: str) -> str:
    """`sdl` (the schema as served without federation) as a Federation 2 subgraph's SDL:
    the account types keyed by `id`, `@key` imported from the federation spec."""
    document = parse(sdl)
    key = ConstDirectiveNode(
        name=NameNode(value="key"),
        arguments=(
            ConstArgumentNode(
                name=NameNode(value="fields"), value=StringValueNode(value=KEY_FIELDS)
            ),
        ),
    )
    link = SchemaExtensionNode(
        directives=(
            ConstDirectiveNode(
                name=NameNode(value="link"),
                arguments=(
                    ConstArgumentNode(
                        name=NameNode(value="url"), value=StringValueNode(value=FEDERATION_SPEC)
                    ),
                    ConstArgumentNode(
                        name=NameNode(value="import"),
                        value=ConstListValueNode(values=(StringValueNode(value="@key"),)),
                    ),
                ),
            ),
        ),
        operation_types=(),
    )
    definitions: list[Any] = [link]
    for definition in document.definitions:
        if (
            isinstance(definition, ObjectTypeDefinitionNode)
            and definition.name.value in ACCOUNT_TYPE_NAMES
        ):
            definition = ObjectTypeDefinitionNode(
                description=definition.description,
                name=definition.name,
                interfaces=definition.interfaces,
                directives=(*(definition.directives or ()), key),
                fields=definition.fields,
            )
        definitions.append(definition)
    return print_ast(DocumentNode(definitions=tuple(definitions))) + "\n"


async def _entity(info: Info, representation: object) -> object:
    """One reference resolved as `node(id:)` would, or the error that stands in its place."""
    if not isinstance(representation, dict) or set(representation) != {"__typename", "id"}:
        return BadUserInput(NOT_A_REFERENCE)
    type_name, id_ = representation["__typename"], representation["id"]
    if type_name not in ACCOUNT_TYPE_NAMES or not isinstance(id_, str):
        return BadUserInput(NOT_A_REFERENCE)
    try:
        [node] = await resolve_node_ids(info, [id_])
    except GatewayError as error:  # an id that is not one this API issued
        return error
    if node is None or type(node).__name__ != type_name:
        return Forbidden(NOT_REACHABLE)
    return node


def federation_queries(sdl: str, *, public_sdl: bool) -> type[Any]:
    """The subgraph's root fields. `public_sdl` False (introspection off): the SDL is
    given to platform services only (a `services create` credential), as the schema
    is hidden from everyone else."""
    service = SubgraphService(sdl=subgraph_sdl(sdl))

    @strawberry.type
    class FederationQueries:
        @strawberry.field(
            name="_entities",
            description=(
                "Apollo Federation: account types by reference, as node(id:) resolves them."
            ),
        )
        async def entities(
            self,
            info: Info,
            representations: list[Representation],
        ) -> list[Entity | None]:
            if len(representations) > MAX_REPRESENTATIONS:
                raise BadUserInput(
                    f"At most {MAX_REPRESENTATIONS} representations are resolved at once."
                )
            # Together, so that the account loader reads them all in one statement.
            # An error in place of a reference is raised by graphql-core at its index.
            resolved: list[Any] = list(
                await asyncio.gather(
                    *(_entity(info, representation) for representation in representations)
                )
            )
            return resolved

        @strawberry.field(name="_service", description="Apollo Federation: the subgraph's SDL.")
        def service(self, info: Info) -> SubgraphService:
            if not public_sdl and info.context.service is None:
                raise Forbidden("The subgraph's SDL is given to platform services only.")
            return service

    return FederationQueries
