"""The GraphQL schema, assembled from one Queries and one Mutations class per domain."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schema.accounts.queries import AccountQueries
from schema.accounts.types import BusinessAccount, EnterpriseAccount, IndividualAccount, SubAccount
from schema.auth.mutations import AuthMutations
from schema.auth.queries import AuthQueries
from schema.bank_cards.mutations import BankCardMutations
from schema.consents.mutations import ConsentMutations
from schema.consents.queries import ConsentQueries
from schema.enterprise.mutations import EnterpriseMutations
from schema.execution import GatewayExecutor
from schema.guardian import gate_mutations
from schema.input_rules import check_inputs
from schema.payloads import answer_refusals_in_payloads
from schema.plain_fields import resolve_plain_fields
from schema.policies.mutations import PolicyMutations
from schema.policies.queries import PolicyQueries
from schema.privacy.queries import PrivacyQueries
from schema.rights.mutations import RightsMutations
from schema.rights.queries import RightsQueries
from schema.sensitive import Sensitive, enforce_sensitive_fields
from schema.settings.mutations import SettingsMutations
from schema.unit_of_work import one_unit_of_work_per_mutation
from schema.verifications.mutations import VerificationMutations

Query = merge_types(
    "Query",
    (AccountQueries, AuthQueries, ConsentQueries, PolicyQueries, PrivacyQueries, RightsQueries),
)
Mutation = merge_types(
    "Mutation",
    (
        AuthMutations,
        SettingsMutations,
        VerificationMutations,
        BankCardMutations,
        EnterpriseMutations,
        ConsentMutations,
        PolicyMutations,
        RightsMutations,
    ),
)
ACCOUNT_TYPES = [IndividualAccount, BusinessAccount, EnterpriseAccount, SubAccount]

enforce_sensitive_fields([Query, Mutation, *ACCOUNT_TYPES])
gate_mutations(Mutation)
one_unit_of_work_per_mutation(Mutation)
# Input no field may take is refused before any other work.
check_inputs([Query, Mutation, *ACCOUNT_TYPES], Mutation)
# Last, so outermost: every refusal below becomes its mutation's payload.
answer_refusals_in_payloads(Mutation)


class GatewaySchema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Direct fields resolve in line (schema/execution.py).
        kwargs.setdefault("execution_context_class", GatewayExecutor)
        super().__init__(*args, **kwargs)
        # Plain account fields skip Strawberry's per-field chain (schema/plain_fields.py).
        handlers = bool(self.schema_converter._exception_handler_specs)
        resolve_plain_fields(self._schema.type_map, handlers=handlers)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Nothing here: error messages can quote input values, so they are not logged.

        The gateway's error policy logs unexpected errors by type and traceback.
        """


def build_schema(
    extensions: Sequence[Callable[[], SchemaExtension]] = (),
    *,
    federation: bool = False,
    public_sdl: bool = True,
) -> strawberry.Schema:
    """The gateway's schema; with `federation`, also an Apollo Federation 2 subgraph
    (schema/federation.py), whose SDL only platform services read unless `public_sdl`."""
    query: type = Query
    config = StrawberryConfig()
    if federation:
        from schema.federation import REPRESENTATION_SCALAR, Representation, federation_queries

        config = StrawberryConfig(scalar_map={Representation: REPRESENTATION_SCALAR})

        query = merge_types(
            "Query", (Query, federation_queries(schema.as_str(), public_sdl=public_sdl))
        )
    return GatewaySchema(
        query=query,
        mutation=Mutation,
        types=ACCOUNT_TYPES,
        extensions=list(extensions),
        schema_directives=[Sensitive],
        config=config,
    )


schema = build_schema()

__all__ = ["build_schema", "schema"]
