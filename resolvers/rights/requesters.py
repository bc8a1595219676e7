"""Telling someone who filed a request without an account how it goes: by SMS or e-mail
to the contact they proved, queued with the change (resolvers/messaging)."""

from __future__ import annotations

from sqlalchemy import select

from models import DataRequest, DataRequestRequester, MessageChannel
from resolvers.context import RequestContext
from resolvers.global_id import to_global_id
from resolvers.messaging.queue import queue_message

PURPOSE = "DATA_REQUEST_UPDATED"


async def requester_of(ctx: RequestContext, request: DataRequest) -> DataRequestRequester | None:
    statement = select(DataRequestRequester).where(
        DataRequestRequester.data_request_id == request.id
    )
    return (await ctx.session.scalars(statement)).first()


async def notify_requester(ctx: RequestContext, request: DataRequest, what: str) -> None:
    requester = await requester_of(ctx, request)
    if requester is None:
        return
    reference = to_global_id("DataRequest", request.id)
    kind = request.type.value.replace("_", " ").lower()
    body = f"Your {kind} request: {what}\n\nReference: {reference}"
    if requester.phone is not None:
        channel, recipient = MessageChannel.SMS, requester.phone
    elif requester.email is not None:
        channel, recipient = MessageChannel.EMAIL, requester.email
    else:
        return
    queue_message(
        ctx.session,
        channel=channel,
        recipient=recipient,
        purpose=PURPOSE,
        body=body,
        now=ctx.now(),
        data_request_id=request.id,
    )
    await ctx.session.flush()
