"""recordSecurityIncident: tell each affected account what happened and what to do.

The notice says what personal-information-protection law asks of it: what happened,
which kinds of personal information were involved, the cause, the possible harm, what
was done, what the person can do, and whom to contact. It goes to every affected account
over each channel named: in the app at once, by SMS and e-mail through the queued-message
worker (the same senders and limits as every other message, retried on failure), with a
delivery record per account and channel.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from sqlalchemy import select

from models import (
    Account,
    AccountStatus,
    IncidentDelivery,
    IncidentRecipient,
    MessageChannel,
    NoticeChannel,
    NoticeDeliveryStatus,
    NotificationKind,
    SecurityIncident,
    StaffRole,
    queries,
)
from resolvers.accounts.access import (
    require_staff,
    require_staff_step_up,
)
from resolvers.context import RequestContext
from resolvers.errors import Refused, UserError, UserErrorCode, refused, user_error
from resolvers.messaging.queue import queue_message
from resolvers.pagination import Listing

TEXT_LIMIT = 5000
CONTACT_LIMIT = 200
# The title becomes each notification's title, a column of 200 characters.
TITLE_LIMIT = 200
PURPOSE = "SECURITY_INCIDENT"


class Incident(Protocol):
    """What an officer reports (recordSecurityIncident's input has these fields; the
    affected accounts come apart, as keys)."""

    title: str
    description: str
    measures: str
    advice: str
    categories: list[str]
    cause: str
    harm: str
    contact: str | None
    channels: list[NoticeChannel]


def _errors(
    ctx: RequestContext, incident: Incident, affected: list[uuid.UUID | None]
) -> list[UserError]:
    texts = {
        "title": (incident.title, TITLE_LIMIT),
        "description": (incident.description, TEXT_LIMIT),
        "cause": (incident.cause, TEXT_LIMIT),
        "harm": (incident.harm, TEXT_LIMIT),
        "measures": (incident.measures, TEXT_LIMIT),
        "advice": (incident.advice, TEXT_LIMIT),
    }
    if incident.contact is not None:
        texts["contact"] = (incident.contact, CONTACT_LIMIT)
    errors = [
        user_error(UserErrorCode.INVALID_INPUT, f"Give 1 to {limit} characters.", name)
        for name, (text, limit) in texts.items()
        if not 1 <= len(text.strip()) <= limit
    ]
    known = {category.key for category in ctx.inventory.categories}
    if not incident.categories or any(key not in known for key in incident.categories):
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT,
                "Name the kinds of personal information involved by their dataCategories key.",
                "categories",
            )
        )
    if not incident.channels:
        errors.append(
            user_error(UserErrorCode.INVALID_INPUT, "Name at least one channel.", "channels")
        )
    if not affected:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT, "Name the affected accounts.", "affectedAccountIds"
            )
        )
    return errors


def notice(ctx: RequestContext, row: SecurityIncident) -> str:
    """What each affected person is told, whatever the channel."""
    names = "; ".join(ctx.inventory.category(key).name for key in row.categories)
    return (
        f"{row.description}\n\n"
        f"Personal information involved: {names}\n\n"
        f"Cause: {row.cause}\n\n"
        f"Possible harm: {row.harm}\n\n"
        f"What we did: {row.measures}\n\n"
        f"What you can do: {row.advice}\n\n"
        f"Contact: {row.contact}"
    )


async def _deliver(ctx: RequestContext, row: SecurityIncident, account: Account, body: str) -> None:
    now = ctx.now()
    recipient = IncidentRecipient(incident_id=row.id, account_id=account.id, created_at=now)
    ctx.session.add(recipient)
    await ctx.session.flush()
    contacts = {NoticeChannel.SMS: account.phone, NoticeChannel.EMAIL: account.email}
    for value in dict.fromkeys(row.channels):
        channel = NoticeChannel(value)
        delivery = IncidentDelivery(
            recipient_id=recipient.id,
            account_id=account.id,
            channel=channel,
            status=NoticeDeliveryStatus.SENT,
            created_at=now,
        )
        if channel is not NoticeChannel.IN_APP:
            address = contacts[channel]
            if address is None:
                delivery.status = NoticeDeliveryStatus.NO_CONTACT
            else:
                message = queue_message(
                    ctx.session,
                    channel=MessageChannel(channel.value),
                    recipient=address,
                    purpose=PURPOSE,
                    body=f"{row.title}\n\n{body}",
                    now=now,
                    account_id=account.id,
                )
                # Written before the record that points to it (no ORM relationship
                # orders the two).
                await ctx.session.flush()
                delivery.status = NoticeDeliveryStatus.QUEUED
                delivery.queued_message_id = message.id
        ctx.session.add(delivery)


async def record_security_incident(
    ctx: RequestContext, incident: Incident, affected: list[uuid.UUID | None]
) -> SecurityIncident:
    """The incident recorded, each affected account told of it (`affected_count` of them)."""
    officer = await require_staff(ctx, StaffRole.PRIVACY_OFFICER)
    errors = _errors(ctx, incident, affected)
    if errors:
        raise Refused(*errors)
    wanted = {key for key in affected if key is not None}
    accounts = list(
        (
            await ctx.session.scalars(
                select(Account)
                .where(Account.id.in_(wanted), Account.status != AccountStatus.CANCELLED)
                .order_by(Account.id)
            )
        ).all()
    )
    if None in affected or {account.id for account in accounts} != wanted:
        raise refused(
            UserErrorCode.NOT_FOUND,
            "Some affected account IDs are unknown or cancelled; nothing was sent.",
            "affectedAccountIds",
        )
    # Notices go in the platform's name by SMS and e-mail and cannot be taken back.
    require_staff_step_up(ctx)
    now = ctx.now()
    officer_contact = f"{ctx.inventory.contact.officer_name}, {ctx.inventory.contact.officer_email}"
    row = SecurityIncident(
        title=incident.title.strip(),
        description=incident.description.strip(),
        cause=incident.cause.strip(),
        harm=incident.harm.strip(),
        measures=incident.measures.strip(),
        advice=incident.advice.strip(),
        contact=(incident.contact or "").strip() or officer_contact,
        categories=list(dict.fromkeys(incident.categories)),
        channels=[channel.value for channel in dict.fromkeys(incident.channels)],
        affected_count=len(accounts),
        recorded_by_id=officer.id,
        created_at=now,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    body = notice(ctx, row)
    if NoticeChannel.IN_APP.value in row.channels:
        await queries.notify_accounts(
            ctx.session,
            [account.id for account in accounts],
            kind=NotificationKind.SECURITY_INCIDENT,
            title=row.title,
            body=body,
            now=now,
        )
    for account in accounts:
        await _deliver(ctx, row, account, body)
    await ctx.session.flush()
    return row


def account_incidents(ctx: RequestContext, account: Account) -> Listing[IncidentRecipient]:
    """The incidents the account was told of, newest first: the person and staff."""
    return ctx.loaders.incident_notices_page_by_account.listing(
        ctx.loaders.incident_notice_count_by_account, account.id
    )


async def delivery_state(
    ctx: RequestContext, delivery: IncidentDelivery
) -> tuple[str, datetime | None]:
    """SENT, PENDING, FAILED or NO_CONTACT, and when it was sent."""
    if delivery.status is NoticeDeliveryStatus.NO_CONTACT:
        return "NO_CONTACT", None
    if delivery.status is NoticeDeliveryStatus.SENT:
        return "SENT", delivery.created_at
    message = (
        await ctx.loaders.queued_message_by_id.load(delivery.queued_message_id)
        if delivery.queued_message_id is not None
        else None
    )
    if message is None:
        return "FAILED", None
    return message.status.value, message.sent_at
