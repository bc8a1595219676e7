"""The `possibleTypes` map of Apollo Client's cache: every abstract type and its object types.

Apollo's `InMemoryCache` cannot tell, without this map, that an `IndividualAccount`
is an `Account` or a `Node`: a fragment `... on Account` then matches nothing in the
cache and its fields silently go missing. The map is derived from the schema, so it
names every interface and union the schema has, and no more.
"""

from __future__ import annotations

from graphql import GraphQLSchema, is_abstract_type


def possible_types(schema: GraphQLSchema) -> dict[str, list[str]]:
    """Each interface and union of `schema` (introspection's own excluded), with the
    names of the object types that can stand for it, sorted."""
    return {
        name: sorted(member.name for member in schema.get_possible_types(named))
        for name, named in sorted(schema.type_map.items())
        if is_abstract_type(named) and not name.startswith("__")
    }
