"""The Account interface and its four kinds."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import Account as AccountRow
from models import AccountKind as Kind
from resolvers.accounts.queries import enterprise_of
from resolvers.global_id import to_global_id
from schema.context import Info
from schema.enums import AccountKind, AccountStatus
from schema.relay import Node


@strawberry.interface(description="An account of any kind; fields depend on the viewer.")
class Account(Node):
    row: strawberry.Private[AccountRow]

    @strawberry.field
    def kind(self) -> AccountKind:
        return self.row.kind

    @strawberry.field
    def status(self) -> AccountStatus:
        return self.row.status

    @strawberry.field
    def display_name(self) -> str:
        return self.row.display_name

    @strawberry.field
    def avatar_url(self) -> str | None:
        return self.row.avatar_url

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.type(description="A person who signs in with a phone and SMS code, or WeChat.")
class IndividualAccount(Account):
    pass


@strawberry.type(description="A business registered with an e-mail address.")
class BusinessAccount(Account):
    @strawberry.field
    def business_name(self) -> str:
        return self.row.business_name or ""

    @strawberry.field
    def ur_token(self) -> str:
        return self.row.ur_token or ""


@strawberry.type(description="An enterprise that manages sub-accounts.")
class EnterpriseAccount(Account):
    @strawberry.field
    def company_name(self) -> str:
        return self.row.company_name or ""


@strawberry.type(description="A member of an enterprise, managed by it.")
class SubAccount(Account):
    @strawberry.field
    async def enterprise(self, info: Info) -> EnterpriseAccount:
        row = await enterprise_of(info.context, self.row)
        return EnterpriseAccount(id=account_global_id(row), row=row)


ACCOUNT_TYPES: dict[Kind, type[Account]] = {
    Kind.INDIVIDUAL: IndividualAccount,
    Kind.BUSINESS: BusinessAccount,
    Kind.ENTERPRISE: EnterpriseAccount,
    Kind.SUB_ACCOUNT: SubAccount,
}
ACCOUNT_TYPE_NAMES = tuple(cls.__name__ for cls in ACCOUNT_TYPES.values())


def account_global_id(row: AccountRow) -> strawberry.ID:
    return strawberry.ID(to_global_id(ACCOUNT_TYPES[row.kind].__name__, row.id))


def account_object(row: AccountRow) -> Account:
    return ACCOUNT_TYPES[row.kind](id=account_global_id(row), row=row)
