"""cancelAccount: irreversible, atomic, with step-up and a typed confirmation."""

from __future__ import annotations

from auth.errors import Forbidden
from models import AccountKind
from resolvers.accounts.access import require_account, step_up_error
from resolvers.accounts.erasure import erase_account
from resolvers.context import RequestContext
from resolvers.errors import Refused, UserErrorCode, refused

CONFIRMATION = "CANCEL"


async def cancel_account(ctx: RequestContext, confirmation: str) -> None:
    """Everything happens in the request's one transaction: a failure part-way changes
    nothing, and the account stays as it was."""
    account = require_account(ctx)
    if account.kind is AccountKind.SUB_ACCOUNT:
        # It belongs to its enterprise, which deletes it (deleteSubAccount).
        raise Forbidden("A sub-account is deleted by its enterprise, not by itself.")
    if confirmation != CONFIRMATION:
        raise refused(
            UserErrorCode.INVALID_INPUT,
            f'Type "{CONFIRMATION}" to confirm; this cannot be undone.',
            "confirmation",
        )
    missing_step_up = step_up_error(ctx)
    if missing_step_up is not None:
        raise Refused(missing_step_up)
    await erase_account(ctx, account)
