"""Global IDs as the API issues them, written out for the tests."""

from __future__ import annotations

from models import Account, AccountKind
from resolvers.global_id import to_global_id

ACCOUNT_TYPES = {
    AccountKind.INDIVIDUAL: "IndividualAccount",
    AccountKind.BUSINESS: "BusinessAccount",
    AccountKind.ENTERPRISE: "EnterpriseAccount",
    AccountKind.SUB_ACCOUNT: "SubAccount",
}


def global_id(account: Account) -> str:
    """The account's ID: its kind's type name and its key."""
    return to_global_id(ACCOUNT_TYPES[account.kind], account.id)


# The object types that implement Node, whose IDs `node` and `nodes` resolve, sorted.
NODE_TYPES = [
    "BankCard",
    "BusinessAccount",
    "DataRequest",
    "EnterpriseAccount",
    "IndividualAccount",
    "PublicProfile",
    "SubAccount",
]
