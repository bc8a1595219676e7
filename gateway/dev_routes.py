"""Development-only HTTP routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from auth.contacts import looks_like_email, parse_email, parse_phone
from auth.senders import Outbox


def outbox_endpoint(outbox: Outbox) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def dev_outbox(request: Request) -> JSONResponse:
        """What the console senders "sent" to one phone or e-mail address, newest first."""
        raw = request.query_params.get("to", "")
        to = parse_email(raw) if looks_like_email(raw) else parse_phone(raw)
        messages = outbox.for_recipient(to) if to else []
        return JSONResponse(
            [
                {
                    "to": message.to,
                    "channel": message.channel,
                    "purpose": message.purpose,
                    "code": message.code,
                    "body": message.body,
                    "sentAt": message.sent_at.isoformat(),
                }
                for message in messages
            ]
        )

    return dev_outbox
