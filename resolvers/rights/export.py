"""exportMyData: a copy of everything stored about the account, in clear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models import AccessLogEntry, ActorKind, SensitiveKind
from models.export import account_export
from resolvers.accounts.access import require_account, step_up_error
from resolvers.context import RequestContext
from resolvers.errors import Refused

# The kinds of sensitive value an export holds in clear, each logged as one view.
EXPORTED_KINDS = (
    SensitiveKind.PHONE,
    SensitiveKind.EMAIL,
    SensitiveKind.PERSON_NAME,
    SensitiveKind.ID_NUMBER,
    SensitiveKind.BANK_CARD,
    SensitiveKind.OPEN_ID,
    SensitiveKind.IP_ADDRESS,
)
EXPORT_REASON = "Copy of personal data (exportMyData)"


@dataclass(frozen=True)
class Export:
    document: dict[str, Any]
    generated_at: datetime


async def export_my_data(ctx: RequestContext) -> Export:
    account = require_account(ctx)
    missing_step_up = step_up_error(ctx)
    if missing_step_up is not None:
        raise Refused(missing_step_up)
    now = ctx.now()
    await ctx.session.flush()
    document = await account_export(ctx.session, account, now)
    ctx.session.add_all(
        AccessLogEntry(
            subject_id=account.id,
            created_at=now,
            actor_kind=ActorKind.SELF,
            actor_name=account.display_name[:100],
            field=kind,
            reason=EXPORT_REASON,
        )
        for kind in EXPORTED_KINDS
    )
    return Export(document=document, generated_at=now)
