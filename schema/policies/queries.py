from __future__ import annotations

import strawberry

from resolvers.policies import queries
from schema.context import Info
from schema.policies.types import PrivacyPolicy


@strawberry.type
class PolicyQueries:
    @strawberry.field(description="The current version, or the version named.")
    async def privacy_policy(self, info: Info, version: str | None = None) -> PrivacyPolicy | None:
        row = await queries.privacy_policy(info.context, version)
        return PrivacyPolicy.from_row(row) if row is not None else None

    @strawberry.field(description="Every published version, newest first.")
    async def privacy_policies(self, info: Info) -> list[PrivacyPolicy]:
        return [PrivacyPolicy.from_row(row) for row in await queries.privacy_policies(info.context)]
