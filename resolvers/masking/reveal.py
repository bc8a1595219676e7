"""The one place where a stored sensitive value becomes a response value.

A field marked `@sensitive` resolves to a `SensitiveValue` (whose account it belongs
to, and the clear value); `present` asks the policy what this viewer may see and
answers masked, clear (writing the access-log entry first), or refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from auth.errors import Forbidden, StepUpRequired
from auth.policy import Decision, decide
from auth.relations import Relation, relation_to
from models import AccessLogEntry, Account, ActorKind, SensitiveKind, StaffMember, queries
from resolvers.context import RequestContext, log_security
from resolvers.global_id import to_global_id
from resolvers.masking.formats import mask

ACTOR_KINDS = {
    Relation.SELF: ActorKind.SELF,
    Relation.ENTERPRISE_MANAGER: ActorKind.ENTERPRISE_MANAGER,
    Relation.STAFF: ActorKind.STAFF,
}
REASONS = {
    Relation.SELF: "Viewed by the account holder",
    Relation.ENTERPRISE_MANAGER: "Enterprise sub-account administration",
}


@dataclass(frozen=True, slots=True)
class SensitiveValue:
    """A clear value on its way to the masking point, with the account it describes."""

    subject: Account
    clear: str | None


async def open_data_request_reason(ctx: RequestContext, subject: Account) -> str | None:
    """The ID of an open rights request of `subject`: staff reveal only to work one."""
    request = await queries.open_data_request(ctx.session, subject.id)
    return to_global_id("DataRequest", request.id) if request is not None else None


async def _actor_name(ctx: RequestContext, relation: Relation) -> str:
    viewer = ctx.viewer
    if relation is Relation.STAFF and viewer is not None and viewer.staff_id is not None:
        staff = await ctx.session.get(StaffMember, viewer.staff_id)
        return staff.name if staff is not None else "Staff"
    if ctx.viewer_account is not None:
        return ctx.viewer_account.display_name
    return "Unknown"


async def present(
    ctx: RequestContext, kind: SensitiveKind, value: SensitiveValue | None, *, reveal: bool
) -> str | None:
    """The value as this viewer may see it; raises FORBIDDEN or STEP_UP_REQUIRED."""
    if value is None:
        return None
    if not isinstance(value, SensitiveValue):
        raise TypeError("a @sensitive field must resolve to a SensitiveValue")
    relation = relation_to(ctx.viewer, value.subject)
    viewer = ctx.viewer
    elevated = viewer is not None and viewer.is_elevated(ctx.now())
    reason = REASONS.get(relation)
    if relation is Relation.STAFF and reveal:
        reason = await open_data_request_reason(ctx, value.subject)
    decision = decide(
        kind,
        relation,
        reveal=reveal,
        elevated=elevated,
        open_data_request=reason is not None,
    )
    if decision is Decision.FORBIDDEN:
        raise Forbidden("You may not read this field.")
    if decision is Decision.STEP_UP_REQUIRED:
        raise StepUpRequired("Confirm it is you (elevateSession), then ask again.")
    if value.clear is None:
        return None
    if decision is Decision.MASKED:
        return mask(kind, value.clear)
    # CLEAR: the entry is committed before the response is sent; a response whose
    # entry could not be stored is never sent.
    log_security(ctx, "reveal", "success", field=kind.value, subject_id=str(value.subject.id))
    ctx.scope.before_response(
        AccessLogEntry(
            subject_id=value.subject.id,
            created_at=ctx.now(),
            actor_kind=ACTOR_KINDS[relation],
            actor_name=(await _actor_name(ctx, relation))[:100],
            field=kind,
            reason=reason,
        )
    )
    return value.clear
