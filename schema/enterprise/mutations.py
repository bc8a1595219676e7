"""The enterprise back office's mutations."""

from __future__ import annotations

import strawberry

from models import Account as AccountRow
from models import AccountStatus, EnterprisePermission, SubAccountRole
from resolvers.enterprise import mutations as use_cases
from schema.accounts.types import SubAccount, account_global_id
from schema.common import payload
from schema.context import Info
from schema.payloads import OkPayload, use_case_mutation


@strawberry.input
class CreateSubAccountInput(use_cases.NewSubAccount):
    pass


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


@payload
class SubAccountPayload:
    sub_account: SubAccount | None = None

    @classmethod
    def of(cls, row: AccountRow) -> SubAccountPayload:
        return cls(sub_account=SubAccount(id=account_global_id(row), row=row))


@strawberry.type
class EnterpriseMutations:
    create_sub_account = use_case_mutation(
        CreateSubAccountInput,
        use_cases.create_sub_account,
        SubAccountPayload.of,
        description="The enterprise, or a sub-account with MANAGE_SUB_ACCOUNTS.",
    )
    update_sub_account = use_case_mutation(
        UpdateSubAccountInput, use_cases.update_sub_account, SubAccountPayload.of
    )

    @strawberry.mutation(description="ACTIVE or DISABLED; disabling ends its sessions at once.")
    async def set_sub_account_status(
        self, info: Info, input: SetSubAccountStatusInput
    ) -> SubAccountPayload:
        row = await use_cases.set_sub_account_status(info.context, input.id, input.status)
        return SubAccountPayload.of(row)

    @strawberry.mutation(description="Erase the sub-account as cancellation does.")
    async def delete_sub_account(self, info: Info, input: DeleteSubAccountInput) -> OkPayload:
        await use_cases.delete_sub_account(info.context, input.id)
        return OkPayload.done()
