from __future__ import annotations

from datetime import date

import strawberry

from models import ConsentPurpose
from resolvers.policies import publish
from schema.common import payload
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


@payload
class PrivacyPolicyPayload:
    privacy_policy: PrivacyPolicy | None = None


@strawberry.type
class PolicyMutations:
    @strawberry.mutation(description="Accept the policy version in force.")
    async def accept_privacy_policy(
        self, info: Info, input: AcceptPrivacyPolicyInput
    ) -> AccountPayload:
        return AccountPayload.of(await publish.accept_privacy_policy(info.context, input.version))

    @strawberry.mutation(
        description="Privacy officers: publish a version; a material one notifies everyone."
    )
    async def publish_privacy_policy(
        self, info: Info, input: PublishPrivacyPolicyInput
    ) -> PrivacyPolicyPayload:
        row = await publish.publish_privacy_policy(info.context, input)
        return PrivacyPolicyPayload(privacy_policy=PrivacyPolicy.from_row(row))
