"""A one-time code inside a use case: checked first, used up once everything else
allows the change, refused on the input field that carried it."""

from __future__ import annotations

from datetime import datetime

from auth.sms_codes import CodeCheck, check_code, consume_code
from models import SmsCode, SmsPurpose
from resolvers.context import RequestContext
from resolvers.errors import CODE_ERRORS, Refused, on_field


async def checked_code(
    ctx: RequestContext,
    *,
    recipient: str,
    purpose: SmsPurpose,
    code: str,
    now: datetime,
    field: str = "code",
) -> SmsCode:
    """The code sent to `recipient` for `purpose`, when `code` is it; refused with what
    is wrong (not right, expired, too many tries) otherwise. Every try counts for good."""
    check, row = await check_code(
        ctx.scope, recipient=recipient, purpose=purpose, code=code, now=now
    )
    if check is not CodeCheck.OK or row is None:
        raise Refused(on_field(CODE_ERRORS[check], field))
    return row


async def use_code(
    ctx: RequestContext, row: SmsCode, now: datetime, *, field: str = "code"
) -> None:
    """Use up a checked code; refused as not right when another request used it first."""
    if not await consume_code(ctx.session, row, now):
        raise Refused(on_field(CODE_ERRORS[CodeCheck.INVALID], field))
