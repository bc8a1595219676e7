"""The one place where a stored sensitive value becomes a response value.

A field marked `@sensitive` resolves to a `SensitiveValue` (whose account it belongs
to, and the clear value); `present` asks the policy what this viewer may see and
answers masked, clear (writing the access-log entry first), or refuses. Staff see a
person's values only to work an open request of that person whose type needs the kind,
and every such read, masked or clear, is logged with the request as its reason.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date

from prometheus_client import Counter

from auth.errors import Forbidden, StepUpRequired
from auth.policy import Decision, decide
from auth.relations import Relation
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


Presented = str | date | None


def _entry(
    ctx: RequestContext,
    relation: Relation,
    kind: SensitiveKind,
    subject: Account | None,
    reason: str | None,
    actor_name: str,
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
            actor_name=actor_name[:100],
            field=kind,
            reason=reason,
            clear=clear,
        )
    )


def _account_name(ctx: RequestContext) -> str:
    return ctx.viewer_account.display_name if ctx.viewer_account is not None else "Unknown"


async def _staff_name(ctx: RequestContext) -> str:
    viewer = ctx.viewer
    if viewer is None or viewer.staff_id is None:
        return _account_name(ctx)
    # Through the loader: the many reads of one response share one look-up.
    staff = await ctx.loaders.staff_by_id.load(viewer.staff_id)
    return staff.name if staff is not None else "Staff"


def _decided(
    ctx: RequestContext,
    kind: SensitiveKind,
    value: SensitiveValue,
    relation: Relation,
    *,
    reveal: bool,
    reason: str | None,
) -> Decision:
    """The policy's decision; raises FORBIDDEN or STEP_UP_REQUIRED."""
    viewer = ctx.viewer
    decision = decide(
        kind,
        relation,
        reveal=reveal,
        # Only a reveal can turn on step-up: the clock is not read for anything else.
        elevated=reveal and viewer is not None and viewer.is_elevated(ctx.now()),
        open_data_request=reason is not None,
    )
    if decision is Decision.FORBIDDEN:
        raise Forbidden("You may not read this field.")
    if decision is Decision.STEP_UP_REQUIRED:
        raise StepUpRequired("Confirm it is you (elevateSession), then ask again.")
    if decision is Decision.CLEAR and value.clear is not None:
        subject_id = str(value.subject.id) if value.subject is not None else None
        log_security(ctx, "reveal", "success", field=kind.value, subject_id=subject_id)
        REVEALS.labels(kind.value).inc()
    return decision


def _shown(kind: SensitiveKind, value: SensitiveValue, decision: Decision) -> Presented:
    if value.clear is None or decision is not Decision.MASKED:
        return value.clear
    if kind in WITHHELD or not isinstance(value.clear, str):
        return None
    return mask(kind, value.clear)


async def _present_to_staff(
    ctx: RequestContext, kind: SensitiveKind, value: SensitiveValue, *, reveal: bool
) -> Presented:
    """Staff see a value only to work an open request that needs it (read from the
    database), and every such read, masked or clear, is logged with the request."""
    request = await _request_worked_on(ctx, value, kind)
    reason = to_global_id("DataRequest", request.id) if request is not None else None
    decision = _decided(ctx, kind, value, Relation.STAFF, reveal=reveal, reason=reason)
    if value.clear is not None and decision in (Decision.MASKED, Decision.CLEAR):
        name = await _staff_name(ctx)
        clear = decision is Decision.CLEAR
        _entry(ctx, Relation.STAFF, kind, value.subject, reason, name, clear=clear)
    return _shown(kind, value, decision)


def present(
    ctx: RequestContext, kind: SensitiveKind, value: SensitiveValue | None, *, reveal: bool
) -> Presented | Awaitable[Presented]:
    """The value as this viewer may see it; raises FORBIDDEN or STEP_UP_REQUIRED.

    Decided at once, without an awaitable, for everyone but staff: only a staff read
    must look up the request it works on (and the staff member's name), so only then
    is an awaitable returned. A clear value's access-log entry is handed to the request
    scope either way, and committed before the response leaves.
    """
    if value is None:
        return None
    if not isinstance(value, SensitiveValue):
        raise TypeError("a @sensitive field must resolve to a SensitiveValue")
    viewer = ctx.viewer
    if value.subject is not None:
        relation = ctx.relation_to(value.subject)
    else:
        staff = viewer is not None and viewer.staff_id is not None
        relation = Relation.STAFF if staff else Relation.OTHER
    if relation is Relation.STAFF:
        return _present_to_staff(ctx, kind, value, reveal=reveal)
    reason = REASONS.get(relation)
    decision = _decided(ctx, kind, value, relation, reveal=reveal, reason=reason)
    if decision is Decision.CLEAR and value.clear is not None:
        # OWN needs no entry; CLEAR is logged before the response is sent, and a response
        # whose entry could not be stored is never sent.
        _entry(ctx, relation, kind, value.subject, reason, _account_name(ctx), clear=True)
    return _shown(kind, value, decision)
