"""recordSecurityIncident: tell each affected account what happened and what to do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from models import (
    Account,
    AccountStatus,
    NotificationKind,
    SecurityIncident,
    StaffMember,
    StaffRole,
    queries,
)
from resolvers.accounts.access import require_staff, require_staff_reader
from resolvers.context import RequestContext
from resolvers.errors import UserError, UserErrorCode, user_error

TEXT_LIMIT = 5000
# The title becomes each notification's title, a column of 200 characters.
TITLE_LIMIT = 200


@dataclass(frozen=True)
class Incident:
    title: str
    description: str
    measures: str
    advice: str
    affected: list[uuid.UUID | None]


@dataclass
class IncidentResult:
    notified: int = 0
    incident: SecurityIncident | None = None
    user_errors: list[UserError] = field(default_factory=list)


async def record_security_incident(ctx: RequestContext, incident: Incident) -> IncidentResult:
    officer = await require_staff(ctx, StaffRole.PRIVACY_OFFICER)
    texts = {
        "title": (incident.title, TITLE_LIMIT),
        "description": (incident.description, TEXT_LIMIT),
        "measures": (incident.measures, TEXT_LIMIT),
        "advice": (incident.advice, TEXT_LIMIT),
    }
    errors = [
        user_error(UserErrorCode.INVALID_INPUT, f"Give 1 to {limit} characters.", name)
        for name, (text, limit) in texts.items()
        if not 1 <= len(text.strip()) <= limit
    ]
    if not incident.affected:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT, "Name the affected accounts.", "affectedAccountIds"
            )
        )
    if errors:
        return IncidentResult(user_errors=errors)
    wanted = {key for key in incident.affected if key is not None}
    found = set(
        (
            await ctx.session.scalars(
                select(Account.id).where(
                    Account.id.in_(wanted), Account.status != AccountStatus.CANCELLED
                )
            )
        ).all()
    )
    if None in incident.affected or found != wanted:
        return IncidentResult(
            user_errors=[
                user_error(
                    UserErrorCode.NOT_FOUND,
                    "Some affected account IDs are unknown or cancelled; nothing was sent.",
                    "affectedAccountIds",
                )
            ]
        )
    body = (
        f"{incident.description.strip()}\n\n"
        f"What we did: {incident.measures.strip()}\n\n"
        f"What you can do: {incident.advice.strip()}"
    )
    now = ctx.now()
    row = SecurityIncident(
        title=incident.title.strip(),
        description=incident.description.strip(),
        measures=incident.measures.strip(),
        advice=incident.advice.strip(),
        affected_count=len(found),
        recorded_by_id=officer.id,
        created_at=now,
    )
    ctx.session.add(row)
    await queries.notify_accounts(
        ctx.session,
        sorted(found),
        kind=NotificationKind.SECURITY_INCIDENT,
        title=incident.title.strip(),
        body=body,
        now=now,
    )
    return IncidentResult(notified=len(found), incident=row)


async def recorded_by(ctx: RequestContext, incident: SecurityIncident) -> StaffMember | None:
    """Staff only: the privacy officer who recorded the incident."""
    await require_staff_reader(ctx)
    if incident.recorded_by_id is None:
        return None
    return await ctx.loaders.staff_by_id.load(incident.recorded_by_id)
