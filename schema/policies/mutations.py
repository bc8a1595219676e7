from __future__ import annotations

from datetime import date

import strawberry

from models import ConsentPurpose
from resolvers.policies import publish
from schema.common import UserError, user_errors
from schema.context import Info
from schema.payloads import AccountPayload
from schema.policies.types import PrivacyPolicy


@strawberry.input
class AcceptPrivacyPolicyInput:
    version: str


@strawberry.input
class PublishPrivacyPolicyInput:
    version: str
    effective_on: date
    material: bool
    summary_of_changes: str | None = strawberry.field(
        default=None, description="Required for a material version."
    )
    body: str = strawberry.field(description="Markdown.")
    affected_purposes: list[ConsentPurpose] | None = strawberry.field(
        default=None,
        description=(
            "Required for a material version (empty for none): the purposes whose consents"
            " read as not granted until given again under it."
        ),
    )


@strawberry.type
class PrivacyPolicyPayload:
    privacy_policy: PrivacyPolicy | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PolicyMutations:
    @strawberry.mutation(description="Accept the policy version in force.")
    async def accept_privacy_policy(
        self, info: Info, input: AcceptPrivacyPolicyInput
    ) -> AccountPayload:
        return AccountPayload.from_result(
            await publish.accept_privacy_policy(info.context, input.version)
        )

    @strawberry.mutation(
        description="Privacy officers: publish a version; a material one notifies everyone."
    )
    async def publish_privacy_policy(
        self, info: Info, input: PublishPrivacyPolicyInput
    ) -> PrivacyPolicyPayload:
        result = await publish.publish_privacy_policy(
            info.context,
            publish.NewPolicy(
                version=input.version,
                effective_on=input.effective_on,
                material=input.material,
                summary_of_changes=input.summary_of_changes,
                body=input.body,
                affected_purposes=(
                    tuple(input.affected_purposes) if input.affected_purposes is not None else None
                ),
            ),
        )
        policy = PrivacyPolicy.from_row(result.policy) if result.policy is not None else None
        return PrivacyPolicyPayload(
            privacy_policy=policy, user_errors=user_errors(result.user_errors)
        )
