"""Listing an enterprise's sub-accounts."""

from __future__ import annotations

from auth.contacts import parse_email, parse_phone
from auth.errors import BadUserInput, Forbidden
from auth.relations import MANAGING, Relation, relation_to
from models import Account, AccountStatus, SubAccountRole, queries
from resolvers.context import RequestContext
from resolvers.pagination import Page, check_first, decode_cursor, page_from_keyset


def may_list_sub_accounts(ctx: RequestContext, enterprise: Account) -> bool:
    relation = relation_to(ctx.viewer, enterprise)
    if relation in (Relation.SELF, Relation.STAFF):
        return True
    return (
        relation is Relation.ENTERPRISE_MEMBER
        and ctx.viewer is not None
        and ctx.viewer.may(*MANAGING)
    )


async def sub_accounts(
    ctx: RequestContext,
    enterprise: Account,
    *,
    first: int | None,
    after: str | None,
    status: AccountStatus | None = None,
    role: SubAccountRole | None = None,
    search: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    count: bool = True,
) -> Page[Account]:
    """A page of the enterprise's sub-accounts; `count`: with how many match in all."""
    if not may_list_sub_accounts(ctx, enterprise):
        raise Forbidden("You may not read this field.")
    size = check_first(first)
    position = decode_cursor(after) if after is not None else None
    parsed_phone = parse_phone(phone) if phone is not None else None
    if phone is not None and parsed_phone is None:
        raise BadUserInput("filter.phone is not a valid phone number.")
    parsed_email = parse_email(email) if email is not None else None
    if email is not None and parsed_email is None:
        raise BadUserInput("filter.email is not an e-mail address.")
    where = queries.SubAccountFilter(
        status=status, role=role, name_prefix=search or None, phone=parsed_phone, email=parsed_email
    )
    page, total = await queries.sub_accounts_page(
        ctx.session, enterprise.id, where, first=size, after=position, count=count
    )
    for row in page.rows:
        ctx.loaders.account_by_id.prime(row.id, row)
    return page_from_keyset(page, after=after, total_count=total)
