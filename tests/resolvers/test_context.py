"""The request context's memory of the viewer's relation to the rows it loaded."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.relations import Relation
from auth.viewer import Viewer
from models import Account, AccountKind, AccountStatus, EnterprisePermission
from models.database import create_session_factory
from models.unit_of_work import RequestScope
from resolvers.context import RequestContext


@pytest.fixture
async def scope(engine: AsyncEngine) -> AsyncIterator[RequestScope]:
    async with RequestScope(create_session_factory(engine)) as scope:
        yield scope


def sub_account(enterprise_id: uuid.UUID) -> Account:
    return Account(
        id=uuid.uuid4(),
        kind=AccountKind.SUB_ACCOUNT,
        status=AccountStatus.ACTIVE,
        display_name="Member",
        enterprise_id=enterprise_id,
        created_at=datetime.now(UTC),
    )


def manager(enterprise_id: uuid.UUID) -> Viewer:
    return Viewer(
        session_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        enterprise_id=enterprise_id,
        permissions=frozenset({EnterprisePermission.VIEW_SUB_ACCOUNTS}),
    )


async def test_a_relation_found_while_reading_is_kept_for_the_row(scope: RequestScope) -> None:
    enterprise_id = uuid.uuid4()
    ctx = RequestContext(scope=scope, viewer=manager(enterprise_id))
    row = sub_account(enterprise_id)
    assert ctx.relation_to(row) is Relation.ENTERPRISE_MANAGER
    # Kept: a read does not change its rows, so the row is not looked at again.
    row.status = AccountStatus.CANCELLED
    assert ctx.relation_to(row) is Relation.ENTERPRISE_MANAGER
    # Another row, even one equal to it, and another viewer find their own.
    twin = sub_account(enterprise_id)
    twin.id, twin.status = row.id, AccountStatus.CANCELLED
    assert ctx.relation_to(twin) is Relation.OTHER
    ctx.viewer = Viewer(session_id=uuid.uuid4(), account_id=row.id)
    assert ctx.relation_to(row) is Relation.SELF


async def test_a_unit_of_work_finds_relations_afresh_and_forgets_them(
    scope: RequestScope,
) -> None:
    enterprise_id = uuid.uuid4()
    ctx = RequestContext(scope=scope, viewer=manager(enterprise_id))
    row = sub_account(enterprise_id)
    assert ctx.relation_to(row) is Relation.ENTERPRISE_MANAGER
    async with scope.unit_of_work():
        row.status = AccountStatus.CANCELLED  # as a cancellation would, not yet flushed
        assert ctx.relation_to(row) is Relation.OTHER
        row.status = AccountStatus.ACTIVE
        assert ctx.relation_to(row) is Relation.ENTERPRISE_MANAGER
        row.status = AccountStatus.CANCELLED
    assert ctx.relation_to(row) is Relation.OTHER
