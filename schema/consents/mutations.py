"""The privacy centre's mutations."""

from __future__ import annotations

import strawberry

from models import ConsentPurpose, DevicePermissionKind
from resolvers.consents import mutations as use_cases
from schema.common import payload
from schema.consents.types import Consent, DevicePermission
from schema.context import Info
from schema.payloads import AccountPayload, OkPayload, use_case_mutation


@strawberry.input
class SetConsentInput:
    purpose: ConsentPurpose
    granted: bool


@payload
class ConsentPayload:
    consent: Consent | None = None
    erased: list[str] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, made: use_cases.ConsentSet) -> ConsentPayload:
        return cls(consent=Consent.of(made.consent), erased=made.erased)


@strawberry.input
class SetDevicePermissionInput:
    permission: DevicePermissionKind
    enabled: bool


@payload
class DevicePermissionPayload:
    device_permission: DevicePermission | None = None


@strawberry.input
class RecordGuardianConsentInput:
    guardian_name: str
    guardian_phone: str
    code: str


@strawberry.input
class WithdrawGuardianConsentInput:
    minor_phone: str | None = strawberry.field(
        default=None,
        description=(
            "The phone of the minor's account. Without it, every consent given with "
            "guardianPhone is withdrawn (a minor who signed up with WeChat has no phone)."
        ),
    )
    guardian_phone: str
    code: str = strawberry.field(description="A GUARDIAN_CONSENT code sent to guardianPhone.")


@payload
class WithdrawGuardianConsentPayload:
    withdrawn: bool = False


@strawberry.input
class RecordSearchInput:
    query: str


@payload
class RecordSearchPayload:
    recorded: bool = False


@strawberry.type
class ConsentMutations:
    set_consent = use_case_mutation(
        SetConsentInput,
        use_cases.set_consent,
        ConsentPayload.of,
        description="Grant or withdraw; withdrawing needs no step-up and erases what was collected only under the purpose.",
    )

    @strawberry.mutation
    async def set_device_permission(
        self, info: Info, input: SetDevicePermissionInput
    ) -> DevicePermissionPayload:
        row = await use_cases.set_device_permission(info.context, input)
        return DevicePermissionPayload(device_permission=DevicePermission.of(input.permission, row))

    record_guardian_consent = use_case_mutation(
        RecordGuardianConsentInput,
        use_cases.record_guardian_consent,
        AccountPayload.of,
        description="A guardian's consent for a minor aged 14 to 17.",
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
        await use_cases.withdraw_guardian_consent(info.context, input)
        return WithdrawGuardianConsentPayload(withdrawn=True)

    @strawberry.mutation(description="Kept only while SEARCH_HISTORY is granted.")
    async def record_search(self, info: Info, input: RecordSearchInput) -> RecordSearchPayload:
        recorded = await use_cases.record_search(info.context, input.query)
        return RecordSearchPayload(recorded=recorded)

    @strawberry.mutation
    async def clear_search_history(self, info: Info) -> OkPayload:
        await use_cases.clear_search_history(info.context)
        return OkPayload.done()
