"""Enums stored by the models, exposed under their contract names.

`strawberry.enum` registers the model's own class, so resolvers and types share one enum.
"""

from __future__ import annotations

import strawberry

from models import AccountKind, AccountStatus, EnterprisePermission, SubAccountRole

strawberry.enum(AccountKind, name="AccountKind")
strawberry.enum(AccountStatus, name="AccountStatus")
strawberry.enum(SubAccountRole, name="SubAccountRole")
strawberry.enum(EnterprisePermission, name="EnterprisePermission")

__all__ = ["AccountKind", "AccountStatus", "EnterprisePermission", "SubAccountRole"]
