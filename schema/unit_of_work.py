"""Each root mutation field is its own unit of work (models/unit_of_work.py).

Attached to every mutation when the schema is built, around every extension but the
input rules (which touch no database): a mutation that returns, or refuses with user
errors, commits; one that raises anything else rolls back alone, and the root fields of
one document neither share nor undo each other's work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.base import StrawberryObjectDefinition

from resolvers.errors import Refused


class UnitOfWork(FieldExtension):
    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        raise TypeError("mutations resolve asynchronously only")

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        async with info.context.scope.unit_of_work():
            try:
                return await next_(source, info, **kwargs)
            except Refused as refusal:
                refused = refusal  # an answer: committed, then answered (schema/payloads.py)
        raise refused


def one_unit_of_work_per_mutation(mutation_type: type[Any]) -> None:
    """Wrap every mutation in its own unit of work (added last, so it runs outermost)."""
    definition: StrawberryObjectDefinition = mutation_type.__strawberry_definition__
    for field in definition.fields:
        if not any(isinstance(ext, UnitOfWork) for ext in field.extensions):
            field.extensions.append(UnitOfWork())
