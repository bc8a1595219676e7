"""Refuse operations that ask for more than 200 list items in all (RULES.md section 10).

Every field with a `first` argument asks for that many items (its default when not
given), times the items of the lists it is nested in; the sum over the operation must
stay within the limit. Checked after validation and before any resolver runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

MAX_PAGE_ITEMS = 200


class _Counter:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def _first(self, node: FieldNode, default: Any) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                return int(given) if isinstance(given, int) else int(default or 0)
        return int(default or 0)

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
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    inner = self._type(fragment.type_condition.name.value)
                    total += self.count(inner, fragment.selection_set, factor)
        return total

    def _type(self, name: str) -> Any:
        return self.schema.get_type(name)

    def _field(self, parent: Any, node: FieldNode, factor: int) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 0
        items = 0
        first_argument = definition.args.get("first")
        if first_argument is not None:
            factor *= max(self._first(node, first_argument.default_value), 0)
            items = factor
        return items + self.count(get_named_type(definition.type), node.selection_set, factor)


def requested_items(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation.operation.value]
    return _Counter(schema, fragments, variables).count(root, operation.selection_set, 1)


class MaxPageItems(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not context.result:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            name = context.operation_name
            chosen = [o for o in operations if name is None or (o.name and o.name.value == name)]
            if chosen:
                items = requested_items(
                    context.schema._schema, chosen[0], fragments, context.variables or {}
                )
                if items > MAX_PAGE_ITEMS:
                    context.result = ExecutionResult(
                        data=None,
                        errors=[
                            GraphQLError(
                                f"The operation asks for {items} list items; at most "
                                f"{MAX_PAGE_ITEMS} are served per request."
                            )
                        ],
                    )
        yield
