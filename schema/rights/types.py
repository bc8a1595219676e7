"""Rights requests."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import DataRequest as DataRequestRow
from models import DataRequestStatus, DataRequestType, DeletionGround, RefusalReason
from resolvers.accounts.queries import readable_account
from resolvers.global_id import to_global_id
from resolvers.pagination import Page
from resolvers.rights.requests import is_overdue
from schema.accounts.types import Account, account_object
from schema.context import Info
from schema.relay import Node, PageInfo, page_info

strawberry.enum(DataRequestType, name="DataRequestType")
strawberry.enum(DataRequestStatus, name="DataRequestStatus")
strawberry.enum(DeletionGround, name="DeletionGround")
strawberry.enum(RefusalReason, name="RefusalReason")


@strawberry.type
class DataRequest(Node):
    row: strawberry.Private[DataRequestRow]

    @classmethod
    def of(cls, row: DataRequestRow) -> DataRequest:
        return cls(id=strawberry.ID(to_global_id("DataRequest", row.id)), row=row)

    @strawberry.field
    def type(self) -> DataRequestType:
        return self.row.type

    @strawberry.field
    def status(self) -> DataRequestStatus:
        return self.row.status

    @strawberry.field
    def details(self) -> str | None:
        return self.row.details

    @strawberry.field
    def deletion_ground(self) -> DeletionGround | None:
        return self.row.deletion_ground

    @strawberry.field
    def submitted_at(self) -> datetime:
        return self.row.submitted_at

    @strawberry.field(description="submittedAt + 15 days.")
    def due_at(self) -> datetime:
        return self.row.due_at

    @strawberry.field(description="Still open after its due date.")
    def overdue(self, info: Info) -> bool:
        return is_overdue(self.row, info.context)

    @strawberry.field
    def resolved_at(self) -> datetime | None:
        return self.row.resolved_at

    @strawberry.field
    def resolution_note(self) -> str | None:
        return self.row.resolution_note

    @strawberry.field
    def refusal_reason(self) -> RefusalReason | None:
        return self.row.refusal_reason

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        row = await readable_account(info.context, self.row.account_id)
        return account_object(row) if row is not None else None


@strawberry.type
class DataRequestEdge:
    node: DataRequest
    cursor: str


@strawberry.type
class DataRequestConnection:
    edges: list[DataRequestEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, page: Page[DataRequestRow]) -> DataRequestConnection:
        return cls(
            edges=[
                DataRequestEdge(node=DataRequest.of(e.node), cursor=e.cursor) for e in page.edges
            ],
            page_info=page_info(page),
            total_count=page.total_count or 0,
        )
