"""The one place where a stored sensitive value becomes a response value.

A field marked `@sensitive` resolves to a `SensitiveValue` (whose account it belongs
to, and the clear value); `present` asks the policy what this viewer may see and
answers masked, clear (writing the access-log entry first), or refuses. Staff see a
person's values only to work an open request of that person whose type needs the kind,
and every such read, masked or clear, is logged with the request as its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from prometheus_client import Counter

from auth.errors import Forbidden, StepUpRequired
from auth.policy import Decision, decide
from auth.relations import Relation, relation_to
from auth.staff_scope import request_needing
from models import AccessLogEntry, Account, ActorKind, DataRequest, SensitiveKind
from resolvers.context import RequestContext, log_security
from resolvers.global_id import to_global_id
from resolvers.masking.formats import WITHHELD, mask

# Clear values handed out, by sensitive kind: a count only, never a value or an account.
REVEALS = Counter(
    "gateway_sensitive_reveals", "Sensitive values answered in clear, by kind.", ["kind"]
)

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
    """A clear value on its way to the masking point, with the account it describes.

    `subject` is None for what someone without an account gave when filing a verified
    request; `request` is the rights request the value belongs to, if it belongs to one.
    """

    subject: Account | None
    clear: str | date | None
    request: DataRequest | None = None


async def staff_request(
    ctx: RequestContext, subject: Account, kind: SensitiveKind
) -> DataRequest | None:
    """The open request of `subject` whose type needs `kind`: what a staff read works on."""
    open_requests = await ctx.loaders.open_data_requests_by_account.load(subject.id)
    return request_needing(kind, open_requests)


async def _request_worked_on(
    ctx: RequestContext, value: SensitiveValue, kind: SensitiveKind
) -> DataRequest | None:
    own = value.request if value.request is not None and value.request.is_open else None
    if value.subject is None:
        # What a requester without an account gave: theirs to be read while their own
        # request is worked on.
        return own
    found = await staff_request(ctx, value.subject, kind)
    if found is None and own is not None:
        found = request_needing(kind, [own])
    return found


async def _actor_name(ctx: RequestContext, relation: Relation) -> str:
    viewer = ctx.viewer
    if relation is Relation.STAFF and viewer is not None and viewer.staff_id is not None:
        # Through the loader: the many reads of one response share one look-up.
        staff = await ctx.loaders.staff_by_id.load(viewer.staff_id)
        return staff.name if staff is not None else "Staff"
    if ctx.viewer_account is not None:
        return ctx.viewer_account.display_name
    return "Unknown"


async def _log(
    ctx: RequestContext,
    relation: Relation,
    kind: SensitiveKind,
    subject: Account | None,
    reason: str | None,
    *,
    clear: bool,
) -> None:
    """The access-log entry of a view, committed before the response is sent: a value
    whose entry could not be stored never leaves. A staff member's masked reads of one
    kind of one person for one request are one entry per response."""
    subject_id = subject.id if subject is not None else None
    if not clear:
        key = (subject_id, kind, reason)
        if key in ctx.logged_staff_reads:
            return
        ctx.logged_staff_reads.add(key)
    ctx.scope.before_response(
        AccessLogEntry(
            subject_id=subject_id,
            created_at=ctx.now(),
            actor_kind=ACTOR_KINDS[relation],
            actor_name=(await _actor_name(ctx, relation))[:100],
            field=kind,
            reason=reason,
            clear=clear,
        )
    )


async def present(
    ctx: RequestContext, kind: SensitiveKind, value: SensitiveValue | None, *, reveal: bool
) -> str | date | None:
    """The value as this viewer may see it; raises FORBIDDEN or STEP_UP_REQUIRED."""
    if value is None:
        return None
    if not isinstance(value, SensitiveValue):
        raise TypeError("a @sensitive field must resolve to a SensitiveValue")
    viewer = ctx.viewer
    if value.subject is not None:
        relation = relation_to(viewer, value.subject)
    else:
        staff = viewer is not None and viewer.staff_id is not None
        relation = Relation.STAFF if staff else Relation.OTHER
    elevated = viewer is not None and viewer.is_elevated(ctx.now())
    reason = REASONS.get(relation)
    if relation is Relation.STAFF:
        request = await _request_worked_on(ctx, value, kind)
        reason = to_global_id("DataRequest", request.id) if request is not None else None
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
    if decision is Decision.OWN:
        return value.clear
    if decision is Decision.MASKED:
        if relation is Relation.STAFF:
            await _log(ctx, relation, kind, value.subject, reason, clear=False)
        if kind in WITHHELD or not isinstance(value.clear, str):
            return None
        return mask(kind, value.clear)
    # CLEAR: the entry is committed before the response is sent; a response whose
    # entry could not be stored is never sent.
    subject_id = str(value.subject.id) if value.subject is not None else None
    log_security(ctx, "reveal", "success", field=kind.value, subject_id=subject_id)
    REVEALS.labels(kind.value).inc()
    await _log(ctx, relation, kind, value.subject, reason, clear=True)
    return value.clear
