"""Listing an enterprise's sub-accounts."""

from __future__ import annotations

from collections.abc import Sequence

from auth.contacts import parse_email, parse_phone
from auth.errors import BadUserInput
from models import Account, AccountStatus, SubAccountRole, queries
from resolvers.context import RequestContext
from resolvers.pagination import Listing, StatementListing


async def sub_accounts(
    ctx: RequestContext,
    enterprise: Account,
    *,
    status: AccountStatus | None = None,
    role: SubAccountRole | None = None,
    search: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Listing[Account]:
    parsed_phone = parse_phone(phone) if phone is not None else None
    if phone is not None and parsed_phone is None:
        raise BadUserInput("filter.phone is not a valid phone number.")
    parsed_email = parse_email(email) if email is not None else None
    if email is not None and parsed_email is None:
        raise BadUserInput("filter.email is not an e-mail address.")
    where = queries.SubAccountFilter(
        status=status, role=role, name_prefix=search or None, phone=parsed_phone, email=parsed_email
    )

    def seen(rows: Sequence[Account]) -> None:
        for row in rows:
            ctx.loaders.account_by_id.prime(row.id, row)

    statement, parameters = queries.sub_accounts(enterprise.id, where)
    return StatementListing(
        ctx.session, statement, parameters, Account.created_at, Account.id, seen=seen
    )
