"""The GraphQL schema, assembled from one Queries class per domain."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schema.accounts.queries import AccountQueries
from schema.accounts.types import BusinessAccount, EnterpriseAccount, IndividualAccount, SubAccount
from schema.policies.queries import PolicyQueries

Query = merge_types("Query", (AccountQueries, PolicyQueries))


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Nothing here: error messages can quote input values, so they are not logged.

        The gateway's error policy logs unexpected errors by type and traceback.
        """


def build_schema(
    extensions: Sequence[Callable[[], SchemaExtension]] = (),
) -> strawberry.Schema:
    kwargs: dict[str, Any] = {"extensions": list(extensions)}
    return GatewaySchema(
        query=Query,
        types=[IndividualAccount, BusinessAccount, EnterpriseAccount, SubAccount],
        **kwargs,
    )


schema = build_schema()

__all__ = ["build_schema", "schema"]
