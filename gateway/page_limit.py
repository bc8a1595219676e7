"""Refuse operations that ask for more than 200 list items in all.

Every field with a `first` argument asks for that many items, or `last` many on a
backward page (`first`'s default when neither is given), times the items of the lists it
is nested in (`nodes(ids:)` and `_entities(representations:)` answer one object per
key given); the sum over the operation must
stay within the limit. Checked after validation and before any resolver runs, with the
argument values execution will use: literals and variables coerced as graphql-core
coerces them, defaults applied, so `$n: Int = 100` or `{"n": 100.0}` count as 100.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension

MAX_PAGE_ITEMS = 200
# Arguments listing the keys of the objects a field answers, one object per key.
KEYED_LISTS = ("ids", "representations")


class _Counter:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        # Items of one fragment under one parent type, for a factor of 1: the count is
        # linear in the factor, so each fragment is walked once however often it is
        # spread (twenty fragments that each spread the next twice cost twenty walks).
        self.per_fragment: dict[tuple[str, str], int] = {}
        # Whether any field of the operation takes a page size or keys: if none does, the
        # operation asks for no list items whatever its variables.
        self.paged = False

    def _page_size(self, definition: GraphQLField, node: FieldNode) -> int:
        """The page size the field's resolver will get: `last` when given (a backward
        page), else `first`, null meaning its default. Both given count as the larger
        (execution refuses the mix)."""
        try:
            values = get_argument_values(definition, node, self.variables)
        except GraphQLError:
            return 0  # execution reports the argument
        first, last = values.get("first"), values.get("last")
        wrote_first = any(argument.name.value == "first" for argument in node.arguments or ())
        if last is not None and not wrote_first:
            first = None  # the default of `first` does not mix with `last`
        if first is None and last is None:
            first = definition.args["first"].default_value
        sizes = [size for size in (first, last) if isinstance(size, int)]
        return max(0, *sizes)

    def _keys(self, definition: GraphQLField, node: FieldNode, argument: str) -> int:
        """How many objects a field answers that takes their keys: one per key given."""
        try:
            values = get_argument_values(definition, node, self.variables)
        except GraphQLError:
            return 0  # execution reports the argument
        keys = values.get(argument)
        return len(keys) if isinstance(keys, list) else 1

    def count(self, parent: Any, selections: SelectionSetNode | None, factor: int) -> int:
        if selections is None:
            return 0
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self._field(parent, selection, factor)
            elif isinstance(selection, InlineFragmentNode):
                inner = (
                    self._type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                total += self.count(inner, selection.selection_set, factor)
            elif isinstance(selection, FragmentSpreadNode):
                total += factor * self._fragment(selection.name.value)
        return total

    def _fragment(self, name: str) -> int:
        fragment = self.fragments.get(name)
        if fragment is None:
            return 0
        key = (name, fragment.type_condition.name.value)
        if key not in self.per_fragment:
            self.per_fragment[key] = 0  # a cycle counts nothing: validation refuses it
            inner = self._type(fragment.type_condition.name.value)
            self.per_fragment[key] = self.count(inner, fragment.selection_set, 1)
        return self.per_fragment[key]

    def _type(self, name: str) -> Any:
        return self.schema.get_type(name)

    def _field(self, parent: Any, node: FieldNode, factor: int) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 0
        items = 0
        keys = next((name for name in KEYED_LISTS if name in definition.args), None)
        if keys is not None or "first" in definition.args:
            self.paged = True
        if keys is not None:
            # `nodes(ids:)`, `_entities(representations:)`: one object per key given, a
            # repeated one too, each with its pages.
            factor *= self._keys(definition, node, keys)
        if "first" in definition.args:
            factor *= self._page_size(definition, node)
            items = factor
        return items + self.count(get_named_type(definition.type), node.selection_set, factor)


def requested_items(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    """The list items `operation` asks for with the request's `variables` (as sent).

    Variables that do not coerce count nothing: execution refuses them anyway.
    """
    return _counted(schema, operation, fragments, variables)[0]


def _counted(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> tuple[int, bool]:
    """`requested_items`, and whether any field of the operation takes a page size or
    keys (if none does, no variables can make it ask for list items)."""
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables))
    if isinstance(coerced, list):
        return 0, True
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation.operation.value]
    counter = _Counter(schema, fragments, coerced)
    return counter.count(root, operation.selection_set, 1), counter.paged


# Operations (by document text and operation name, for each schema) none of whose fields
# takes a page size or keys: most of what clients send, counted once instead of per
# request.
_UNPAGED: WeakKeyDictionary[object, OrderedDict[tuple[str, str | None], None]] = WeakKeyDictionary()
UNPAGED_KEPT = 256


class MaxPageItems(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        remembered = _UNPAGED.get(context.schema)
        if remembered is None:
            remembered = _UNPAGED[context.schema] = OrderedDict()
        unpaged = (context.query or "", context.operation_name)
        if unpaged in remembered:
            remembered.move_to_end(unpaged)
        elif document is not None and not context.result:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            name = context.operation_name
            chosen = [o for o in operations if name is None or (o.name and o.name.value == name)]
            if chosen:
                items, paged = _counted(
                    context.schema._schema, chosen[0], fragments, context.variables or {}
                )
                if not paged:
                    remembered[unpaged] = None
                    if len(remembered) > UNPAGED_KEPT:
                        remembered.popitem(last=False)
                if items > MAX_PAGE_ITEMS:
                    # The count is not quoted: it is the client's own numbers, multiplied.
                    context.result = ExecutionResult(
                        data=None,
                        errors=[
                            GraphQLError(
                                "The operation asks for more list items than the "
                                f"{MAX_PAGE_ITEMS} served per request."
                            )
                        ],
                    )
        yield
