"""The privacy centre's mutations."""

from __future__ import annotations

import strawberry

from models import ConsentPurpose, DevicePermissionKind
from resolvers.consents import mutations as use_cases
from resolvers.consents import queries as consent_queries
from schema.common import UserError, user_errors
from schema.consents.types import Consent, DevicePermission
from schema.context import Info
from schema.payloads import AccountPayload, OkPayload


@strawberry.input
class SetConsentInput:
    purpose: ConsentPurpose
    granted: bool


@strawberry.type
class ConsentPayload:
    consent: Consent | None = None
    erased: list[str] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetDevicePermissionInput:
    permission: DevicePermissionKind
    enabled: bool


@strawberry.type
class DevicePermissionPayload:
    device_permission: DevicePermission | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RecordGuardianConsentInput:
    guardian_name: str
    guardian_phone: str
    code: str


@strawberry.input
class WithdrawGuardianConsentInput:
    minor_phone: str = strawberry.field(description="The phone of the minor's account.")
    guardian_phone: str
    code: str = strawberry.field(description="A GUARDIAN_CONSENT code sent to guardianPhone.")


@strawberry.type
class WithdrawGuardianConsentPayload:
    withdrawn: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RecordSearchInput:
    query: str


@strawberry.type
class RecordSearchPayload:
    recorded: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConsentMutations:
    @strawberry.mutation(
        description="Grant or withdraw; withdrawing needs no step-up and erases what was collected only under the purpose."
    )
    async def set_consent(self, info: Info, input: SetConsentInput) -> ConsentPayload:
        result = await use_cases.set_consent(info.context, input.purpose, input.granted)
        consent = None
        if result.account is not None and result.purpose is not None:
            states = await consent_queries.consents(info.context, result.account)
            consent = next(Consent.of(s) for s in states if s.purpose is result.purpose)
        return ConsentPayload(
            consent=consent, erased=result.erased, user_errors=user_errors(result.user_errors)
        )

    @strawberry.mutation
    async def set_device_permission(
        self, info: Info, input: SetDevicePermissionInput
    ) -> DevicePermissionPayload:
        result = await use_cases.set_device_permission(
            info.context, input.permission, input.enabled
        )
        permission = (
            DevicePermission.of(input.permission, result.permission)
            if result.permission is not None
            else None
        )
        return DevicePermissionPayload(
            device_permission=permission, user_errors=user_errors(result.user_errors)
        )

    @strawberry.mutation(description="A guardian's consent for a minor aged 14 to 17.")
    async def record_guardian_consent(
        self, info: Info, input: RecordGuardianConsentInput
    ) -> AccountPayload:
        return AccountPayload.from_result(
            await use_cases.record_guardian_consent(
                info.context, input.guardian_name, input.guardian_phone, input.code
            )
        )

    @strawberry.mutation(
        description=(
            "The guardian withdraws their consent with a GUARDIAN_CONSENT code to their phone;"
            " a minor's account awaits a guardian's consent again."
        )
    )
    async def withdraw_guardian_consent(
        self, info: Info, input: WithdrawGuardianConsentInput
    ) -> WithdrawGuardianConsentPayload:
        result = await use_cases.withdraw_guardian_consent(
            info.context, input.minor_phone, input.guardian_phone, input.code
        )
        return WithdrawGuardianConsentPayload(
            withdrawn=result.withdrawn, user_errors=user_errors(result.user_errors)
        )

    @strawberry.mutation(description="Kept only while SEARCH_HISTORY is granted.")
    async def record_search(self, info: Info, input: RecordSearchInput) -> RecordSearchPayload:
        result = await use_cases.record_search(info.context, input.query)
        return RecordSearchPayload(
            recorded=result.recorded, user_errors=user_errors(result.user_errors)
        )

    @strawberry.mutation
    async def clear_search_history(self, info: Info) -> OkPayload:
        result = await use_cases.clear_search_history(info.context)
        return OkPayload(ok=result.ok, user_errors=user_errors(result.user_errors))
