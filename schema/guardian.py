"""While a minor's account awaits guardian consent, most mutations answer a userError.

The gate is attached to every mutation except those allowed below, so a new mutation is
restricted by default. Withdrawing is never harder than granting: the mutations that
withdraw a consent or a permission, or erase what was collected, pass the gate too,
whole or only when their input withdraws (docs/spec/privacy-centre.md#minors).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.base import StrawberryObjectDefinition

from models import AccountStatus
from resolvers.errors import Refused, UserErrorCode, user_error

ALLOWED_WHILE_PENDING = frozenset(
    {
        "requestSmsCode",
        "recordGuardianConsent",
        "acceptPrivacyPolicy",
        "elevateSession",
        "refreshSession",
        "logout",
        # Protecting oneself is never gated: a minor whose token was stolen signs out.
        "revokeOtherSessions",
        "exportMyData",
        "submitDataRequest",
        "cancelAccount",
        # A guardian or relative filing for someone else changes nothing of the account.
        "requestDataRequestCode",
        "submitVerifiedDataRequest",
        # Withdrawals: they only ever take something away.
        "clearSearchHistory",
        "unbindBankCard",
        "withdrawGuardianConsent",
    }
)
# Mutations that both grant and withdraw pass the gate when their input withdraws.
ALLOWED_WHEN_WITHDRAWING: Mapping[str, Callable[[dict[str, Any]], bool]] = {
    "setConsent": lambda arguments: arguments["input"].granted is False,
    "setDevicePermission": lambda arguments: arguments["input"].enabled is False,
}
GUARDIAN_CONSENT_REQUIRED = user_error(
    UserErrorCode.GUARDIAN_CONSENT_REQUIRED,
    "A guardian must consent before this account can do that.",
)


class GuardianConsentGate(FieldExtension):
    def __init__(self, withdrawing: Callable[[dict[str, Any]], bool] | None = None) -> None:
        self.withdrawing = withdrawing

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        raise TypeError("mutations resolve asynchronously only")

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        account = info.context.viewer_account
        if (
            account is not None
            and account.status is AccountStatus.PENDING_GUARDIAN_CONSENT
            and not (self.withdrawing is not None and self.withdrawing(kwargs))
        ):
            raise Refused(GUARDIAN_CONSENT_REQUIRED)
        return await next_(source, info, **kwargs)


def gate_mutations(mutation_type: type[Any]) -> list[str]:
    """Attach the gate to every mutation not on the allowed list; returns their names."""
    definition: StrawberryObjectDefinition = mutation_type.__strawberry_definition__
    gated = []
    for field in definition.fields:
        name = field.graphql_name or _camel(field.python_name)
        if name in ALLOWED_WHILE_PENDING:
            continue
        if not any(isinstance(ext, GuardianConsentGate) for ext in field.extensions):
            field.extensions.append(GuardianConsentGate(ALLOWED_WHEN_WITHDRAWING.get(name)))
        gated.append(name)
    return gated


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
