"""The operator's environment of the gateway's wiring tests, for the settings checks here."""

from tests.gateway.conftest import operator_environment, restore_logging

__all__ = ["operator_environment", "restore_logging"]
