"""Rights requests: submit, withdraw, the staff queue, resolution."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from models import (
    ANSWER_WITHIN,
    OPEN_STATUSES,
    Account,
    DataRequest,
    DataRequestStatus,
    DataRequestType,
    DeletionGround,
    NotificationKind,
    RefusalReason,
    StaffMember,
    StaffRole,
    queries,
)
from models.pagination import KeysetPosition
from resolvers.accounts.access import (
    require_account,
    require_relation,
    require_staff,
    step_up_error,
)
from resolvers.context import RequestContext
from resolvers.errors import UserError, UserErrorCode, user_error
from resolvers.loaders import PageRequest
from resolvers.pagination import Page, check_first, decode_cursor, page_from_keyset
from resolvers.rights.erasure import erase_account

DETAILS_LIMIT = 2000
NOTE_LIMIT = 2000
QUEUE_ROLES = (StaffRole.PRIVACY_OFFICER, StaffRole.SUPPORT)
NOT_FOUND = user_error(UserErrorCode.NOT_FOUND, "No such request.", "id")


@dataclass
class DataRequestResult:
    request: DataRequest | None = None
    user_errors: list[UserError] = field(default_factory=list)


def is_overdue(request: DataRequest, ctx: RequestContext) -> bool:
    return request.status in OPEN_STATUSES and ctx.now() > request.due_at


async def _notify(ctx: RequestContext, request: DataRequest, what: str) -> None:
    await queries.notify_accounts(
        ctx.session,
        [request.account_id],
        kind=NotificationKind.DATA_REQUEST_UPDATED,
        title=f"Your {request.type.value.replace('_', ' ').lower()} request",
        body=what,
        now=ctx.now(),
    )


async def submit_data_request(
    ctx: RequestContext,
    request_type: DataRequestType,
    details: str | None,
    deletion_ground: DeletionGround | None,
) -> DataRequestResult:
    """Step-up proves the requester is the person; one open request of each type."""
    account = require_account(ctx)
    missing_step_up = step_up_error(ctx)
    if missing_step_up is not None:
        return DataRequestResult(user_errors=[missing_step_up])
    errors = []
    if request_type is DataRequestType.DELETION and deletion_ground is None:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT,
                "A deletion request names its ground.",
                "deletionGround",
            )
        )
    if details is not None and len(details) > DETAILS_LIMIT:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT, f"At most {DETAILS_LIMIT} characters.", "details"
            )
        )
    if errors:
        return DataRequestResult(user_errors=errors)
    already_open = DataRequestResult(
        user_errors=[
            user_error(
                UserErrorCode.ALREADY_EXISTS, "A request of this type is already open.", "type"
            )
        ]
    )
    if await queries.open_data_request(ctx.session, account.id, request_type) is not None:
        return already_open
    ctx.loaders.open_data_requests_by_account.clear(account.id)
    now = ctx.now()
    request = DataRequest(
        account_id=account.id,
        type=request_type,
        status=DataRequestStatus.SUBMITTED,
        deletion_ground=deletion_ground if request_type is DataRequestType.DELETION else None,
        submitted_at=now,
        due_at=now + ANSWER_WITHIN,
    )
    request.details = (details or "").strip() or None
    # The unique index of open requests decides when two submissions race.
    try:
        async with ctx.session.begin_nested():
            ctx.session.add(request)
    except IntegrityError:
        return already_open
    await _notify(
        ctx, request, f"We received your request and will answer by {request.due_at.date()}."
    )
    return DataRequestResult(request=request)


async def withdraw_data_request(
    ctx: RequestContext, request_id: uuid.UUID | None
) -> DataRequestResult:
    account = require_account(ctx)
    request = await ctx.session.get(DataRequest, request_id) if request_id else None
    if request is None or request.account_id != account.id:
        return DataRequestResult(user_errors=[NOT_FOUND])
    if request.status not in OPEN_STATUSES:
        return DataRequestResult(
            user_errors=[user_error(UserErrorCode.INVALID_STATE, "This request is closed.", "id")]
        )
    request.status = DataRequestStatus.WITHDRAWN
    request.resolved_at = ctx.now()
    ctx.loaders.open_data_requests_by_account.clear(account.id)
    await _notify(ctx, request, "You withdrew this request.")
    return DataRequestResult(request=request)


async def account_data_requests(
    ctx: RequestContext, account: Account, first: int | None, after: str | None
) -> Page[DataRequest]:
    require_relation(ctx, account)
    position = decode_cursor(after) if after else None
    page = await ctx.loaders.data_requests_page_by_account.load(
        PageRequest(account.id, check_first(first), position)
    )
    total = await ctx.loaders.data_request_count_by_account.load(account.id)
    return page_from_keyset(
        page,
        after=after,
        total_count=total,
        position=lambda r: KeysetPosition(r.submitted_at, r.id),
    )


async def data_request_queue(
    ctx: RequestContext,
    *,
    status: DataRequestStatus | None,
    overdue: bool | None,
    first: int | None,
    after: str | None,
) -> Page[DataRequest]:
    """Open requests first due first, for privacy officers and support."""
    await require_staff(ctx, *QUEUE_ROLES)
    position = decode_cursor(after) if after else None
    now = ctx.now()
    page, total = await queries.data_request_queue_page(
        ctx.session,
        status=status,
        overdue_at=now if overdue is True else None,
        not_overdue_at=now if overdue is False else None,
        first=check_first(first),
        after=position,
    )
    return page_from_keyset(
        page, after=after, total_count=total, position=lambda r: KeysetPosition(r.due_at, r.id)
    )


# The exceptions a refusal names, in the words of the notice to the person.
REFUSAL_GROUNDS = {
    RefusalReason.LEGAL_OBLIGATION: "the law obliges us to keep or process this information",
    RefusalReason.NATIONAL_SECURITY: "it concerns national security or defence",
    RefusalReason.PUBLIC_INTEREST: (
        "it concerns public safety, public health or another major public interest"
    ),
    RefusalReason.CRIMINAL_INVESTIGATION: (
        "it concerns a criminal investigation, prosecution, trial or the enforcement of a judgment"
    ),
    RefusalReason.ABUSE_OF_RIGHTS: (
        "we have evidence that the request abuses the right or is made in bad faith"
    ),
    RefusalReason.PROTECT_LIFE_PROPERTY: (
        "it is needed to protect someone's life, property or other major interests and"
        " their consent cannot be asked in time"
    ),
    RefusalReason.HARM_TO_OTHERS: (
        "granting it would seriously harm the lawful rights of other people or organisations"
    ),
    RefusalReason.TRADE_SECRET: "granting it would disclose trade secrets",
}


def refusal_notice(ctx: RequestContext, reason: RefusalReason) -> str:
    """Why the request was refused, and where the person may take it next."""
    return (
        f"We could not grant your request: {REFUSAL_GROUNDS[reason]}."
        f"\n\n{ctx.inventory.contact.regulator}"
    )


RESOLUTIONS = (
    DataRequestStatus.IN_PROGRESS,
    DataRequestStatus.FULFILLED,
    DataRequestStatus.REFUSED,
)


async def resolve_data_request(
    ctx: RequestContext,
    request_id: uuid.UUID | None,
    status: DataRequestStatus,
    note: str | None,
    refusal_reason: RefusalReason | None,
) -> DataRequestResult:
    staff = await require_staff(ctx, *QUEUE_ROLES)
    request = await ctx.session.get(DataRequest, request_id) if request_id else None
    if request is None:
        return DataRequestResult(user_errors=[NOT_FOUND])
    if status not in RESOLUTIONS:
        return DataRequestResult(
            user_errors=[
                user_error(
                    UserErrorCode.INVALID_INPUT,
                    "Move a request to IN_PROGRESS, FULFILLED or REFUSED.",
                    "status",
                )
            ]
        )
    if request.status not in OPEN_STATUSES:
        return DataRequestResult(
            user_errors=[user_error(UserErrorCode.INVALID_STATE, "This request is closed.", "id")]
        )
    if status is DataRequestStatus.REFUSED and refusal_reason is None:
        return DataRequestResult(
            user_errors=[
                user_error(
                    UserErrorCode.REFUSAL_REASON_REQUIRED,
                    "A refusal names one of the policy's exceptions.",
                    "refusalReason",
                )
            ]
        )
    if note is not None and len(note) > NOTE_LIMIT:
        return DataRequestResult(
            user_errors=[
                user_error(UserErrorCode.INVALID_INPUT, f"At most {NOTE_LIMIT} characters.", "note")
            ]
        )
    now = ctx.now()
    request.status = status
    request.handled_by_id = staff.id
    ctx.loaders.open_data_requests_by_account.clear(request.account_id)
    request.resolution_note = (note or "").strip() or None
    request.refusal_reason = refusal_reason if status is DataRequestStatus.REFUSED else None
    if status is not DataRequestStatus.IN_PROGRESS:
        request.resolved_at = now
    messages = {
        DataRequestStatus.IN_PROGRESS: "We are working on your request.",
        DataRequestStatus.FULFILLED: "Your request has been fulfilled.",
    }
    message = (
        refusal_notice(ctx, refusal_reason)
        if status is DataRequestStatus.REFUSED and refusal_reason is not None
        else messages[status]
    )
    await _notify(
        ctx,
        request,
        message + (f"\n\n{request.resolution_note}" if request.resolution_note else ""),
    )
    if status is DataRequestStatus.FULFILLED and request.type is DataRequestType.CANCELLATION:
        account = await ctx.session.get(Account, request.account_id)
        if account is not None:
            await erase_account(ctx, account)
    await ctx.session.flush()
    return DataRequestResult(request=request)


async def handled_by(ctx: RequestContext, request: DataRequest) -> StaffMember | None:
    """Staff only: who last moved the request on."""
    await require_staff(ctx, *QUEUE_ROLES)
    if request.handled_by_id is None:
        return None
    return await ctx.loaders.staff_by_id.load(request.handled_by_id)
