"""The enterprise back office's mutations."""

from __future__ import annotations

import strawberry

from models import AccountStatus, EnterprisePermission, SubAccountRole
from resolvers.enterprise import mutations as use_cases
from schema.accounts.types import SubAccount, account_global_id
from schema.common import UserError, user_errors
from schema.context import Info
from schema.payloads import OkPayload


@strawberry.input
class CreateSubAccountInput:
    display_name: str
    email: str
    phone: str
    password: str
    role: SubAccountRole
    permissions: list[EnterprisePermission]


@strawberry.input
class UpdateSubAccountInput:
    id: strawberry.ID
    display_name: str | None = None
    role: SubAccountRole | None = None
    permissions: list[EnterprisePermission] | None = None


@strawberry.input
class SetSubAccountStatusInput:
    id: strawberry.ID
    status: AccountStatus


@strawberry.input
class DeleteSubAccountInput:
    id: strawberry.ID


@strawberry.type
class SubAccountPayload:
    sub_account: SubAccount | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def from_result(cls, result: use_cases.SubAccountResult) -> SubAccountPayload:
        row = result.sub_account
        return cls(
            sub_account=SubAccount(id=account_global_id(row), row=row) if row is not None else None,
            user_errors=user_errors(result.user_errors),
        )


@strawberry.type
class EnterpriseMutations:
    @strawberry.mutation(description="The enterprise, or a sub-account with MANAGE_SUB_ACCOUNTS.")
    async def create_sub_account(
        self, info: Info, input: CreateSubAccountInput
    ) -> SubAccountPayload:
        new = use_cases.NewSubAccount(
            display_name=input.display_name,
            email=input.email,
            phone=input.phone,
            password=input.password,
            role=input.role,
            permissions=list(input.permissions),
        )
        return SubAccountPayload.from_result(await use_cases.create_sub_account(info.context, new))

    @strawberry.mutation
    async def update_sub_account(
        self, info: Info, input: UpdateSubAccountInput
    ) -> SubAccountPayload:
        result = await use_cases.update_sub_account(
            info.context,
            input.id,
            display_name=input.display_name,
            role=input.role,
            permissions=list(input.permissions) if input.permissions is not None else None,
        )
        return SubAccountPayload.from_result(result)

    @strawberry.mutation(description="ACTIVE or DISABLED; disabling ends its sessions at once.")
    async def set_sub_account_status(
        self, info: Info, input: SetSubAccountStatusInput
    ) -> SubAccountPayload:
        result = await use_cases.set_sub_account_status(info.context, input.id, input.status)
        return SubAccountPayload.from_result(result)

    @strawberry.mutation(description="Erase the sub-account as cancellation does.")
    async def delete_sub_account(self, info: Info, input: DeleteSubAccountInput) -> OkPayload:
        result = await use_cases.delete_sub_account(info.context, input.id)
        return OkPayload(ok=result.ok, user_errors=user_errors(result.user_errors))
