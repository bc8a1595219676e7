"""Field-level read rules for account fields (RULES.md section 2)."""

from __future__ import annotations

from auth.errors import Forbidden
from auth.relations import Relation, relation_to
from models import Account
from resolvers.context import RequestContext

SELF_AND_STAFF = frozenset({Relation.SELF, Relation.STAFF})


def require_relation(
    ctx: RequestContext, account: Account, allowed: frozenset[Relation] = SELF_AND_STAFF
) -> Relation:
    relation = relation_to(ctx.viewer, account)
    if relation not in allowed:
        raise Forbidden("You may not read this field.")
    return relation
