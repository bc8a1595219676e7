"""The viewer's relation to an account (docs/spec/masking-and-viewers.md#relations)."""

from __future__ import annotations

from enum import StrEnum

from auth.viewer import Viewer
from models import Account, AccountStatus, EnterprisePermission

# A sub-account with either of these manages its enterprise's other sub-accounts.
MANAGING = (EnterprisePermission.MANAGE_SUB_ACCOUNTS, EnterprisePermission.VIEW_SUB_ACCOUNTS)


class Relation(StrEnum):
    SELF = "SELF"
    ENTERPRISE_MANAGER = "ENTERPRISE_MANAGER"
    ENTERPRISE_MEMBER = "ENTERPRISE_MEMBER"
    STAFF = "STAFF"
    OTHER = "OTHER"


def relation_to(viewer: Viewer | None, account: Account) -> Relation:
    if viewer is None:
        return Relation.OTHER
    if viewer.staff_id is not None:
        return Relation.STAFF
    if viewer.account_id == account.id:
        return Relation.SELF
    # A deleted sub-account is a CANCELLED shell that only staff may reach
    # (docs/spec/rights.md#cancellation).
    if (
        account.enterprise_id is not None
        and account.status is not AccountStatus.CANCELLED
        and (
            viewer.account_id == account.enterprise_id
            or (viewer.enterprise_id == account.enterprise_id and viewer.may(*MANAGING))
        )
    ):
        return Relation.ENTERPRISE_MANAGER
    if viewer.enterprise_id is not None and viewer.enterprise_id == account.id:
        return Relation.ENTERPRISE_MEMBER
    return Relation.OTHER


def may_reach(relation: Relation) -> bool:
    """Whether the viewer may reach the account object at all (else: as if missing)."""
    return relation is not Relation.OTHER
