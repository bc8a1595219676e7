"""The gateway's executor: graphql-core's, with a short path for direct fields.

graphql-core resolves every field the same way: it builds an `info` (fourteen values)
and a path, reads the field's arguments, calls the resolver, and completes the value
through the general `complete_value`. A field that `schema/plain_fields.py` gave a
direct resolver needs none of that when it is sent without arguments: `execute_fields`
calls the resolver in line with the object and the request's context, and completes a
scalar or enum value itself, as `complete_value` would (null for a nullable field, the
same error for a null in a non-null one, the type's own output coercion); the path is
made only for an error; a list of scalars or enums is completed the same way.
`complete_value` takes a present object straight to its
sub-fields and a scalar to its coercion, and names an enum member from a table.
Anything else (an awaitable, an error, a list, an abstract type, an argument) takes
graphql-core's path unchanged, and an error is located and handled as graphql-core
handles it. tests/schema/test_execution.py runs documents through both executors.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from functools import cached_property
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
)
from graphql.error import located_error
from graphql.execution.collect_fields import CollectedFields, FieldDetails
from graphql.execution.executor import to_nodes
from graphql.language import DirectiveNode, FragmentSpreadNode, Node
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from auth.errors import GatewayError
from resolvers.context import RequestContext
from schema.plain_fields import DIRECT, Direct

# Values that are certainly neither awaitable nor an error: checked first, by type (an
# enum member is checked by isinstance).
PLAIN_VALUES = frozenset((str, int, bool, float, datetime, date))
# The scalars whose output coercion returns a string unchanged.
TEXT = frozenset((GraphQLString, GraphQLID))
# What a completed field can be that is certainly not awaitable: a leaf, a null, an
# object's answer or a list's.
COMPLETED = frozenset((str, int, bool, float, type(None), dict, list))


def _no_resolver(source: Any, info: Any) -> None:
    return None


# Where a Strawberry enum keeps its members' GraphQL names, by the member's identity (a
# member lives as long as its class; hashing it would call Enum.__hash__): Strawberry's
# own output coercion searches the values for every member it outputs.
NAMES = "_gateway_output_names"


def _names_of(enum_type: GraphQLEnumType) -> dict[int, str]:
    names: dict[int, str] | None = getattr(enum_type, NAMES, None)
    if names is None:
        values = enum_type.values.items()
        names = {
            id(member): name
            for member in getattr(enum_type, "wrapped_cls", None) or ()
            for name, value in values
            if value.value == member.value
        }
        setattr(enum_type, NAMES, names)
    return names


# A field of a grouped field set: its response name, its field details, its definition
# (None for a field the type lacks) and its direct resolver when it is resolved in line.
Planned = tuple[str, Any, GraphQLField | None, Direct | None]


Plans = dict[int, tuple[Any, GraphQLObjectType, list[Planned]]]


@dataclass(eq=False, slots=True)
class Collected:
    """One operation's collected fields and plans, for one schema: the root's field set
    by root type, each object's sub-fields by type and field nodes, and the plans of
    those field sets (by the set's id, held with the set)."""

    schema: GraphQLSchema
    hide_suggestions: bool
    middleware: bool
    roots: dict[GraphQLObjectType, CollectedFields] = field(default_factory=dict)
    subfields: dict[tuple[Any, ...], CollectedFields] = field(default_factory=dict)
    plans: Plans = field(default_factory=dict)


# By the operation's and the schema's ids: the operation's weak reference (its entry
# goes with it) and what is kept for it, None when variables can change its collection.
_kept: dict[tuple[int, int], tuple[weakref.ref[OperationDefinitionNode], Collected | None]] = {}


def _forget(key: tuple[int, int], reference: weakref.ref[OperationDefinitionNode]) -> None:
    entry = _kept.get(key)
    if entry is not None and entry[0] is reference:
        del _kept[key]


# Directives that make graphql-core collect a field set per request (incremental delivery).
INCREMENTAL = frozenset(("defer", "stream"))


def _collects_alike(nodes: Iterable[Node]) -> bool:
    """Whether no directive under `nodes` takes a variable or delivers incrementally and
    no fragment spread takes arguments: then the same nodes collect the same fields in
    every request. Walked without recursion: an argument's value can nest as deep as the
    token limit allows."""
    stack = [(node, False) for node in nodes]
    while stack:
        node, in_directive = stack.pop()
        if in_directive and isinstance(node, VariableNode):
            return False
        if isinstance(node, DirectiveNode) and node.name.value in INCREMENTAL:
            return False
        if isinstance(node, FragmentSpreadNode) and getattr(node, "arguments", None):
            return False
        inside = in_directive or isinstance(node, DirectiveNode)
        for key in node.keys:
            value = getattr(node, key, None)
            for child in value if isinstance(value, tuple | list) else (value,):
                if isinstance(child, Node):
                    stack.append((child, inside))
    return True


class GatewayExecutor(StrawberryGraphQLCoreExecutionContext):
    @cached_property
    def _middleware(self) -> bool:
        """Whether a middleware wraps resolvers (then every field takes its path)."""
        manager = self.middleware_manager
        return manager is not None and manager.get_field_resolver(_no_resolver) is not _no_resolver

    @cached_property
    def _collected(self) -> Collected | None:
        """What is kept for this operation on this schema, made on its first run; None
        when its collection may differ between requests (it is collected per request)."""
        operation, schema = self.operation, self.schema
        key = (id(operation), id(schema))
        entry = _kept.get(key)
        if entry is None or entry[0]() is not operation:
            alike = operation.operation is not OperationType.SUBSCRIPTION and _collects_alike(
                (operation, *(details.definition for details in self.fragments.values()))
            )
            kept = Collected(schema, self.hide_suggestions, self._middleware) if alike else None
            entry = (weakref.ref(operation, lambda ref: _forget(key, ref)), kept)
            _kept[key] = entry
        kept = entry[1]  # holds the schema: no other schema takes its id while kept
        if kept is None:
            return None
        if kept.hide_suggestions != self.hide_suggestions or kept.middleware != self._middleware:
            return None
        return kept

    def execute_collected_root_fields(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: Any,
        serially: bool,
        new_defer_usages: Any,
    ) -> Any:
        """graphql-core's, with the root's field set kept for the operation: the sets
        below it, and their plans, are then the same objects in every request."""
        kept = self._collected
        if kept is not None:
            known = kept.roots.get(root_type)
            if known is None:
                kept.roots[root_type] = CollectedFields(grouped_field_set, [], [])
            else:
                grouped_field_set = known.grouped_field_set
        return super().execute_collected_root_fields(
            root_type, root_value, grouped_field_set, serially, new_defer_usages
        )

    def collect_subfields(
        self, return_type: GraphQLObjectType, field_details_list: list[FieldDetails]
    ) -> CollectedFields:
        """graphql-core's, kept for the operation by the type and the field nodes (a
        kept operation has no deferred fields and no fragment arguments, so its field
        details are their nodes alone)."""
        kept = self._collected
        if kept is None:
            return super().collect_subfields(return_type, field_details_list)
        key = (return_type, *(id(details.node) for details in field_details_list))
        found = kept.subfields.get(key)
        if found is None:
            found = kept.subfields[key] = super().collect_subfields(return_type, field_details_list)
        return found

    def execute_operation(self, serially: bool | None = None) -> Any:
        """graphql-core's, after telling the request's scope whether the operation only
        reads: a query's rows are read for display, bypassing the ORM (models/display.py).
        Any other operation first takes the viewer's account, read for display with the
        session, into the request's session."""
        context = self.context_value
        if isinstance(context, RequestContext):
            query = self.operation.operation is OperationType.QUERY
            context.scope.display_reads = query
            if not query and context.viewer_account is not None:
                return self._as_the_viewers_account(context, serially)
        return super().execute_operation(serially)

    async def _as_the_viewers_account(self, context: RequestContext, serially: bool | None) -> Any:
        try:
            await context.take_viewer_account()
        except GatewayError as refused:
            # The whole operation is refused, as graphql-core reports an operation it
            # cannot run: no data, one error without a path (shaped by the error policy).
            self.collected_errors.add(located_error(refused, [self.operation]), None)
            return self.finish(self.build_response(None))
        result = super().execute_operation(serially)
        return await result if self.is_awaitable(result) else result

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields`, resolving a direct scalar or enum field in
        line (no call, no path unless it fails); every other field as graphql-core does."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list, field_def, direct in self._plan(
                parent_type, grouped_field_set
            ):
                if direct is not None:
                    result = self._direct(
                        direct, field_def, parent_type, source_value, field_details_list,
                        path, response_name, position_context,
                    )  # fmt: skip
                else:
                    result = self.execute_field(
                        parent_type,
                        source_value,
                        field_details_list,
                        Path(path, response_name, parent_type.name),
                        position_context,
                    )
                    if result is Undefined:
                        continue
                results[response_name] = result
                if type(result) not in COMPLETED and is_awaitable(result):
                    awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    @cached_property
    def _plans(self) -> Plans:
        kept = self._collected
        return kept.plans if kept is not None else {}

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[Planned]:
        """The fields of a grouped field set, each with its definition and, when it is
        resolved in line, its direct resolver: worked out once, since graphql-core
        collects the same set for every object of a list (and, for a kept operation,
        every request gets the same sets). Held with the set, so that no other set takes
        its id while the plan is kept."""
        known = self._plans.get(id(grouped_field_set))
        if known is not None and known[0] is grouped_field_set and known[1] is parent_type:
            return known[2]
        fields = parent_type.fields
        direct_allowed = not self._middleware
        plan: list[Planned] = []
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            field_def = fields.get(node.name.value)
            direct: Direct | None = (
                field_def.extensions.get(DIRECT) if field_def is not None else None
            )
            usable = direct is not None and direct_allowed and not node.arguments
            plan.append((response_name, field_details_list, field_def, direct if usable else None))
        self._plans[id(grouped_field_set)] = (grouped_field_set, parent_type, plan)
        return plan

    def _direct(
        self,
        direct: Direct,
        field_def: Any,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        parent_path: Path | None,
        response_name: str,
        position_context: Any,
    ) -> Any:
        """A direct field's completed value: a scalar or enum (or its null) here, and
        anything else (an awaitable, an error, a list, an object) by graphql-core."""
        try:
            result = direct.resolve(source, self.context_value)
            leaf = direct.leaf
            if leaf is not None:
                if result is None:
                    if direct.non_null:
                        raise TypeError(
                            "Cannot return null for non-nullable field"
                            f" {parent_type.name}.{field_details_list[0].node.name.value}."
                        )
                    return None
                if (
                    type(result) in PLAIN_VALUES
                    or isinstance(result, Enum)
                    or not (self.is_awaitable(result) or isinstance(result, Exception))
                ):
                    return self.complete_leaf_value(leaf, result)
            elif direct.items is not None and type(result) is list:
                completed = self._leaves(direct.items, result)
                if completed is not None:
                    return completed
        except Exception as raw_error:
            path = Path(parent_path, response_name, parent_type.name)
            self.handle_field_error(raw_error, field_def.type, field_details_list, path)
            return None
        path = Path(parent_path, response_name, parent_type.name)
        try:
            return self._complete(
                field_def, parent_type, field_details_list, path, result, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, field_def.type, field_details_list, path)
            return None

    def _leaves(self, item_type: Any, items: list[Any]) -> list[Any] | None:
        """A list of scalars or enums completed, or None when any item is not simply
        present and valid (graphql-core then completes it, with its errors per item)."""
        if None in items:
            return None
        complete = self.complete_leaf_value
        try:
            return [complete(item_type, item) for item in items]
        except Exception:
            return None

    def complete_value(
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's completion, with a short path for a present object or scalar.

        An object (non-null or not) whose type has no `is_type_of`, or one that accepts
        the value at once, goes straight to its sub-fields (their answer is never null);
        a scalar or enum to its output coercion. Everything else, null, an error, a
        list, an abstract type, is graphql-core's.
        """
        if result is not None and not isinstance(result, Exception):
            inner = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
            if isinstance(inner, GraphQLObjectType):
                is_type_of = inner.is_type_of
                if is_type_of is None or is_type_of(result, info) is True:
                    return self.collect_and_execute_subfields(
                        inner, field_details_list, path, result, position_context
                    )
            elif isinstance(inner, GraphQLEnumType | GraphQLScalarType):
                return self.complete_leaf_value(inner, result)
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    @staticmethod
    def complete_leaf_value(return_type: Any, result: Any) -> Any:
        kind = type(result)
        if (kind is str and return_type in TEXT) or (
            kind is bool and return_type is GraphQLBoolean
        ):
            return result  # what their output coercion returns for it
        if isinstance(return_type, GraphQLEnumType):
            name = _names_of(return_type).get(id(result))
            if name is not None and type(result) is getattr(return_type, "wrapped_cls", None):
                return name
        return StrawberryGraphQLCoreExecutionContext.complete_leaf_value(return_type, result)

    def _complete(
        self,
        field_def: GraphQLField,
        parent_type: GraphQLObjectType,
        field_details_list: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's completion of a resolved value, with the `info` it needs."""
        info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
        if self.is_awaitable(result):
            return self.complete_awaitable_value(
                field_def.type, field_details_list, info, path, result, position_context
            )
        completed = self.complete_value(
            field_def.type, field_details_list, info, path, result, position_context
        )
        if self.is_awaitable(completed):
            return self._settled(completed, field_def, field_details_list, path)
        return completed

    async def _settled(
        self, completed: Any, field_def: GraphQLField, field_details_list: Any, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field_def.type, field_details_list, path)
            return None
