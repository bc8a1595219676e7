"""Operator-set limits the use cases enforce."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_SUB_ACCOUNTS = 1000


@dataclass(frozen=True)
class GatewayLimits:
    max_sub_accounts: int = DEFAULT_MAX_SUB_ACCOUNTS
