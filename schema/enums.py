"""Enums stored by the models, exposed under their contract names.

`strawberry.enum` registers the model's own class, so resolvers and types share one enum.
"""

from __future__ import annotations

import strawberry

from models import AccountKind, AccountStatus

strawberry.enum(AccountKind, name="AccountKind")
strawberry.enum(AccountStatus, name="AccountStatus")

__all__ = ["AccountKind", "AccountStatus"]
