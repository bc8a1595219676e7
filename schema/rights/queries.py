"""The staff's queue of rights requests."""

from __future__ import annotations

import strawberry

from models import DataRequestStatus
from resolvers.rights import requests
from schema.context import Info
from schema.relay import Connection, Paged, connection
from schema.rights.types import DataRequest


@strawberry.type
class RightsQueries:
    @connection(
        Connection[DataRequest],
        description="Staff only: the rights-request queue, oldest due first.",
        nullable=False,
    )
    async def data_requests(
        self,
        info: Info,
        status: DataRequestStatus | None = None,
        overdue: bool | None = None,
    ) -> Paged[DataRequest]:
        listing = await requests.data_request_queue(info.context, status=status, overdue=overdue)
        return Paged(listing, DataRequest.of)
