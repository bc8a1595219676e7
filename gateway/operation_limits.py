"""How deep an operation nests fields and how many aliases it uses, checked while validating.

- Depth: a root field is level 1, a field in its selection level 2, and so on through
  fragments; a field below level 10 is refused. Introspection fields (`__schema`,
  `__type`, …) do not count, so tools such as GraphiQL can read the schema.
- Aliases: at most 30 in all the document's operations, counted through fragments as
  often as they are spread.

Each fragment is walked once (once per level, for the depth), however often it is
spread: a document of twenty fragments that each spread the next twice costs twenty
walks, not a million. The messages state the documented limits, never the client's
operation name or counts.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import AddValidationRules


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


class _Deepest:
    """Finds a field below the limit."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode], max_depth: int) -> None:
        self.fragments = fragments
        self.max_depth = max_depth
        self.walked: dict[tuple[str, int], FieldNode | None] = {}

    def too_deep(self, selections: SelectionSetNode, level: int) -> FieldNode | None:
        for selection in selections.selections:
            found: FieldNode | None = None
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                if level > self.max_depth:
                    return selection
                if selection.selection_set is not None:
                    found = self.too_deep(selection.selection_set, level + 1)
            elif isinstance(selection, InlineFragmentNode):
                found = self.too_deep(selection.selection_set, level)
            elif isinstance(selection, FragmentSpreadNode):
                found = self._spread(selection.name.value, level)
            if found is not None:
                return found
        return None

    def _spread(self, name: str, level: int) -> FieldNode | None:
        key = (name, level)
        fragment = self.fragments.get(name)
        if key in self.walked or fragment is None:
            # Walked already, or being walked: a cycle, which validation refuses.
            return self.walked.get(key)
        self.walked[key] = None
        self.walked[key] = self.too_deep(fragment.selection_set, level)
        return self.walked[key]


class _Aliases:
    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.counted: dict[str, int] = {}

    def count(self, selections: SelectionSetNode | None) -> int:
        if selections is None:
            return 0
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += (selection.alias is not None) + self.count(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += self.count(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._spread(selection.name.value)
        return total

    def _spread(self, name: str) -> int:
        fragment = self.fragments.get(name)
        if name in self.counted or fragment is None:
            return self.counted.get(name, 0)  # a cycle counts once: validation refuses it
        self.counted[name] = 0
        self.counted[name] = self.count(fragment.selection_set)
        return self.counted[name]


# One rule class per limit, made once: the validation cache (gateway/extensions.py) keys
# its results by the rules too, and a new class per request would never hit it.
@functools.cache
def max_depth_rule(max_depth: int) -> type[ValidationRule]:
    message = f"The operation nests fields deeper than the {max_depth} levels allowed."

    class MaxDepthRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments = _fragments(context.document)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            found = _Deepest(self.fragments, max_depth).too_deep(node.selection_set, 1)
            if found is not None:
                self.report_error(GraphQLError(message, found))

    return MaxDepthRule


@functools.cache
def max_aliases_rule(max_aliases: int) -> type[ValidationRule]:
    message = f"The document uses more than the {max_aliases} aliases allowed."

    class MaxAliasesRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            aliases = _Aliases(_fragments(context.document))
            total = sum(
                aliases.count(definition.selection_set)
                for definition in context.document.definitions
                if isinstance(definition, OperationDefinitionNode)
            )
            if total > max_aliases:
                self.report_error(GraphQLError(message))

    return MaxAliasesRule


class MaxDepth(AddValidationRules):
    def __init__(self, max_depth: int) -> None:
        super().__init__([max_depth_rule(max_depth)])


class MaxAliases(AddValidationRules):
    def __init__(self, max_aliases: int) -> None:
        super().__init__([max_aliases_rule(max_aliases)])
