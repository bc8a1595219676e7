"""Node and the connections every list is paged by, on Strawberry's relay types.

A connection field's resolver authorises and returns a `Paged`: the list (a
`resolvers.pagination.Listing`) and how each row becomes a GraphQL object. The field's
extension adds the paging arguments and lets `Connection.resolve_connection` read the
window the client asked for, one statement for the page whatever its depth; the list's
`totalCount` is counted only when asked.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Self, TypeVar

import strawberry
from strawberry import relay
from strawberry.annotation import StrawberryAnnotation
from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from auth.errors import BadUserInput
from resolvers.global_id import decode_global_id
from resolvers.pagination import DEFAULT_PAGE_SIZE, Listing, page, page_window
from schema.context import Info

ItemT = TypeVar("ItemT")
# Named as relay's own type variable, by which Strawberry specialises its Connection and
# Edge; not bound to relay's Node, whose IDs are not this API's (resolvers/global_id.py).
NodeType = TypeVar("NodeType")
PageInfo = relay.PageInfo
Edge = relay.Edge


@strawberry.interface(description="An object with a global ID that `node(id:)` resolves.")
class Node:
    id: strawberry.ID

    @classmethod
    async def resolve_nodes(cls, info: Info, keys: Sequence[uuid.UUID]) -> Sequence[Any | None]:
        """The object of each key the viewer may read by its ID, as the type's own queries
        would answer it, else None; in one statement for all the keys."""
        raise NotImplementedError(f"{cls.__name__} resolves no nodes by ID")


MAX_NODES = 100


def _node_type(info: Info, type_name: str) -> type[Node] | None:
    definition = info.schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition) or definition.is_interface:
        return None
    origin = definition.origin
    return origin if isinstance(origin, type) and issubclass(origin, Node) else None


async def resolve_node_ids(info: Info, ids: Sequence[str]) -> list[Node | None]:
    """The object of each ID, or None where there is none the viewer may read: one batch
    per type. An ID minted for one type never resolves as another (an account's ID names
    its kind)."""
    if len(ids) > MAX_NODES:
        raise BadUserInput(f"At most {MAX_NODES} IDs at once.")
    decoded = [decode_global_id(raw) for raw in ids]
    places: dict[str, list[int]] = defaultdict(list)
    for place, global_id in enumerate(decoded):
        places[global_id.type_name].append(place)
    found: list[Node | None] = [None] * len(ids)
    for type_name, where in places.items():
        node_type = _node_type(info, type_name)
        if node_type is None:
            continue
        nodes = await node_type.resolve_nodes(info, [decoded[place].key for place in where])
        for place, node in zip(where, nodes, strict=True):
            found[place] = node if node is not None and node.id == ids[place] else None
    return found


@dataclass(frozen=True, slots=True)
class Paged(Generic[ItemT]):
    """What a connection field's resolver returns: the authorised list, and how one of
    its rows becomes the connection's node."""

    listing: Listing[Any]
    node: Callable[[Any], ItemT]


@strawberry.type(
    description=(
        "One page of a list, and how many items the list holds. Page forwards with "
        "`first` (20 unless given, at most 100) and `after`, backwards with `last` and "
        "`before`; the cursors are those of `pageInfo` and the edges."
    )
)
class Connection(relay.Connection[NodeType]):
    listing: strawberry.Private[Listing[Any]]
    edge_type: ClassVar[type[Any]] = relay.Edge

    @strawberry.field(description="How many items the list holds, every page together.")
    async def total_count(self) -> int:
        return await self.listing.count()

    @classmethod
    async def resolve_connection(  # type: ignore[override]
        cls,
        nodes: Paged[NodeType],
        *,
        info: Any,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
        **kwargs: Any,
    ) -> Self:
        window = page_window(first=first, after=after, last=last, before=before)
        found = await page(nodes.listing, window)
        edges = [
            cls.edge_type(cursor=cursor, node=nodes.node(row))
            for row, cursor in zip(found.rows, found.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=found.has_next_page,
                has_previous_page=found.has_previous_page,
                start_cursor=found.cursors[0] if found.cursors else None,
                end_cursor=found.cursors[-1] if found.cursors else None,
            ),
            listing=nodes.listing,
        )


def _argument(name: str, annotation: Any, default: Any) -> StrawberryArgument:
    return StrawberryArgument(
        python_name=name,
        graphql_name=None,
        type_annotation=StrawberryAnnotation(annotation),
        default=default,
    )


# Forwards: `first` items (1 to 100) after the cursor `after`; backwards: `last` items
# before the cursor `before`.
PAGE_ARGUMENTS = (
    ("first", int | None, DEFAULT_PAGE_SIZE),
    ("after", str | None, None),
    ("last", int | None, None),
    ("before", str | None, None),
)


class KeysetConnectionExtension(FieldExtension):
    """Pages what the field's resolver returns by the arguments `connection` added."""

    def __init__(self, connection_type: type[Connection[Any]]) -> None:
        self.connection_type = connection_type

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        raise TypeError("connections resolve asynchronously only")

    async def resolve_async(
        self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        # The arguments `connection` added page the list; the resolver takes the others.
        window = {name: kwargs.pop(name) for name, _, _ in PAGE_ARGUMENTS}
        paged = await next_(source, info, **kwargs)
        if paged is None:
            return None
        backwards = window["last"] is not None or window["before"] is not None
        if backwards and not _given(info, "first"):
            window["first"] = None  # the default size of a forward page does not mix with `last`
        return await self.connection_type.resolve_connection(paged, info=info, **window)


def _given(info: Any, argument: str) -> bool:
    """Whether the client wrote `argument` on the field (rather than taking its default)."""
    node = info._raw_info.field_nodes[0]
    return any(given.name.value == argument for given in node.arguments or ())


def connection(
    connection_type: Any,
    *,
    description: str | None = None,
    nullable: bool = True,
    extensions: Sequence[FieldExtension] = (),
) -> Callable[[Callable[..., Any]], StrawberryField]:
    """A connection field: `first`/`after` (forwards, 20 by default) and `last`/`before`
    (backwards) come after the resolver's own arguments. Nullable unless told, so that a
    list refused to the viewer nulls only itself."""

    def make(resolver: Callable[..., Any]) -> StrawberryField:
        field: StrawberryField = strawberry.field(
            resolver, description=description, extensions=list(extensions)
        )
        # Read when the schema is built, in the resolver's module: a connection of a type
        # defined further down names it in quotes.
        field.type_annotation = StrawberryAnnotation(
            connection_type | None if nullable else connection_type,
            namespace=resolver.__globals__,
        )
        field.arguments = [*field.arguments, *(_argument(*spec) for spec in PAGE_ARGUMENTS)]
        origin = getattr(connection_type, "__origin__", connection_type)
        field.extensions.append(KeysetConnectionExtension(origin))
        return field

    return make
