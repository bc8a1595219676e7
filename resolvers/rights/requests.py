"""Rights requests: submit, withdraw, the staff queue, resolution."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import select

from models import (
    ANSWER_WITHIN,
    OPEN_STATUSES,
    Account,
    ConsentPurpose,
    DataRequest,
    DataRequestRequester,
    DataRequestStatus,
    DataRequestType,
    DeletionGround,
    NotificationKind,
    ProcessingRestriction,
    RefusalReason,
    RequestOrigin,
    StaffRole,
    queries,
)
from models.pagination import KeysetPosition
from resolvers.accounts.access import (
    require_account,
    require_staff,
    require_staff_reader,
    require_staff_step_up,
    step_up_error,
)
from resolvers.accounts.erasure import ERASABLE, erase_account, erase_categories
from resolvers.consents import queries as consent_queries
from resolvers.consents.record import ConsentState
from resolvers.context import RequestContext
from resolvers.errors import Refused, UserError, UserErrorCode, refused, user_error
from resolvers.events.outbox import EventType, record
from resolvers.global_id import to_global_id
from resolvers.pagination import Listing, StatementListing
from resolvers.rights.requesters import notify_requester, requester_of

DETAILS_LIMIT = 2000
NOTE_LIMIT = 2000
QUEUE_ROLES = (StaffRole.PRIVACY_OFFICER, StaffRole.SUPPORT)
NOT_FOUND = user_error(UserErrorCode.NOT_FOUND, "No such request.", "id")
CLOSED = user_error(UserErrorCode.INVALID_STATE, "This request is closed.", "id")
ALREADY_OPEN = user_error(
    UserErrorCode.ALREADY_EXISTS, "A request of this type is already open.", "type"
)


def is_overdue(request: DataRequest, ctx: RequestContext) -> bool:
    return request.status in OPEN_STATUSES and ctx.now() > request.due_at


async def _notify(
    ctx: RequestContext, request: DataRequest, what: str, *, to_requester: str | None = None
) -> None:
    """Tell the account the request concerns, and whoever filed it for them
    (`to_requester`, where what they are told differs)."""
    kind = request.type.value.replace("_", " ").lower()
    verified = request.origin is RequestOrigin.VERIFIED_CONTACT
    if request.account_id is not None:
        await queries.notify_accounts(
            ctx.session,
            [request.account_id],
            kind=NotificationKind.DATA_REQUEST_UPDATED,
            title=f"A {kind} request about your data" if verified else f"Your {kind} request",
            body=what,
            now=ctx.now(),
        )
    if verified:
        await notify_requester(ctx, request, to_requester if to_requester is not None else what)


class CoveredData(Protocol):
    """Which personal information a deletion or a restriction covers: categories by their
    dataCategories key, purposes by the consent they fall under."""

    categories: list[str] | None
    purposes: list[ConsentPurpose] | None


class Submission(CoveredData, Protocol):
    """What a rights request asks (the submitting mutations' inputs have these fields):
    the categories a deletion asks to erase, the purposes a restriction asks to restrict."""

    type: DataRequestType
    details: str | None
    deletion_ground: DeletionGround | None


def submission_errors(ctx: RequestContext, submission: Submission) -> list[UserError]:
    errors = []
    if submission.type is DataRequestType.DELETION and submission.deletion_ground is None:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT,
                "A deletion request names its ground.",
                "deletionGround",
            )
        )
    if submission.details is not None and len(submission.details) > DETAILS_LIMIT:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT, f"At most {DETAILS_LIMIT} characters.", "details"
            )
        )
    errors.extend(_category_errors(ctx, submission.categories or ()))
    return errors


def _category_errors(ctx: RequestContext, categories: Sequence[str]) -> list[UserError]:
    known = {category.key for category in ctx.inventory.categories}
    unknown = [key for key in categories if key not in known]
    if not unknown:
        return []
    return [
        user_error(
            UserErrorCode.INVALID_INPUT,
            "Name categories by their dataCategories key.",
            "categories",
        )
    ]


async def submit_data_request(ctx: RequestContext, submission: Submission) -> DataRequest:
    """Step-up proves the requester is the person; one open request of each type."""
    account = require_account(ctx)
    missing_step_up = step_up_error(ctx)
    if missing_step_up is not None:
        raise Refused(missing_step_up)
    errors = submission_errors(ctx, submission)
    if errors:
        raise Refused(*errors)
    request_type = submission.type
    if await queries.open_data_request(ctx.session, account.id, request_type) is not None:
        raise Refused(ALREADY_OPEN)
    ctx.loaders.open_data_requests_by_account.clear(account.id)
    now = ctx.now()
    request = new_request(submission, account.id, RequestOrigin.ACCOUNT, now)
    # The unique index of open requests decides when two submissions race.
    if not await queries.added_unless_taken(ctx.session, request):
        raise Refused(ALREADY_OPEN)
    await _notify(
        ctx, request, f"We received your request and will answer by {request.due_at.date()}."
    )
    return request


def new_request(
    submission: Submission, account_id: uuid.UUID | None, origin: RequestOrigin, now: datetime
) -> DataRequest:
    """A submitted request as it was asked, due within the answering time; only a deletion
    keeps its ground and categories, only a restriction its purposes."""
    request = DataRequest(
        account_id=account_id,
        origin=origin,
        type=submission.type,
        status=DataRequestStatus.SUBMITTED,
        deletion_ground=(
            submission.deletion_ground if submission.type is DataRequestType.DELETION else None
        ),
        submitted_at=now,
        due_at=now + ANSWER_WITHIN,
        categories=(
            list(dict.fromkeys(submission.categories or ()))
            if submission.type is DataRequestType.DELETION
            else []
        ),
        purposes=(
            [purpose.value for purpose in dict.fromkeys(submission.purposes or ())]
            if submission.type is DataRequestType.RESTRICTION
            else []
        ),
    )
    request.details = (submission.details or "").strip() or None
    return request


async def withdraw_data_request(ctx: RequestContext, request_id: uuid.UUID | None) -> DataRequest:
    account = require_account(ctx)
    request = await ctx.session.get(DataRequest, request_id) if request_id else None
    if (
        request is None
        or request.account_id != account.id
        or request.origin is not RequestOrigin.ACCOUNT
    ):
        raise Refused(NOT_FOUND)
    if request.status not in OPEN_STATUSES:
        raise Refused(CLOSED)
    request.status = DataRequestStatus.WITHDRAWN
    request.resolved_at = ctx.now()
    ctx.loaders.open_data_requests_by_account.clear(account.id)
    await _notify(ctx, request, "You withdrew this request.")
    return request


def account_data_requests(ctx: RequestContext, account: Account) -> Listing[DataRequest]:
    loaders = ctx.loaders
    return loaders.data_requests_page_by_account.listing(
        loaders.data_request_count_by_account, account.id
    )


async def data_request_queue(
    ctx: RequestContext,
    *,
    status: DataRequestStatus | None,
    overdue: bool | None,
) -> Listing[DataRequest]:
    """Open requests first due first, for privacy officers and support."""
    await require_staff(ctx, *QUEUE_ROLES)
    now = ctx.now()
    statement, parameters = queries.data_request_queue(
        status=status,
        overdue_at=now if overdue is True else None,
        not_overdue_at=now if overdue is False else None,
    )
    return StatementListing(
        ctx.session,
        statement,
        parameters,
        DataRequest.due_at,
        DataRequest.id,
        position=lambda r: KeysetPosition(r.due_at, r.id),
        oldest_first=True,
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


class Resolution(CoveredData, Protocol):
    """How staff move a request on (resolveDataRequest's input has these fields).

    Fulfilling a DELETION: the categories erased (else those the person named); a
    RESTRICTION: the purposes restricted (else those named); a CORRECTION: what changed.
    """

    status: DataRequestStatus
    note: str | None
    refusal_reason: RefusalReason | None
    correction: str | None


def _invalid(message: str, field: str) -> Refused:
    return Refused(user_error(UserErrorCode.INVALID_INPUT, message, field))


def _check_fulfilment(ctx: RequestContext, request: DataRequest, resolution: Resolution) -> None:
    """What fulfilling needs for the request's type, and nothing given where it does not."""
    fulfilling = resolution.status is DataRequestStatus.FULFILLED
    deletion = fulfilling and request.type is DataRequestType.DELETION
    restriction = fulfilling and request.type is DataRequestType.RESTRICTION
    correction = fulfilling and request.type is DataRequestType.CORRECTION
    if resolution.categories is not None and not deletion:
        raise _invalid("Categories are named when fulfilling a deletion.", "categories")
    if resolution.purposes is not None and not restriction:
        raise _invalid("Purposes are named when fulfilling a restriction.", "purposes")
    if resolution.correction is not None and not correction:
        raise _invalid("A correction is described when fulfilling one.", "correction")
    if deletion:
        categories = _categories(request, resolution)
        errors = _category_errors(ctx, categories)
        if errors:
            raise Refused(*errors)
        if not categories:
            raise _invalid("Name the categories of personal data erased.", "categories")
        kept = [key for key in categories if key not in ERASABLE]
        if kept:
            raise _invalid(
                f"Not erased here while the account exists: {', '.join(kept)}. Sign-in data"
                " goes with the account (cancellation); what the law keeps is refused.",
                "categories",
            )
    if restriction and not _purposes(request, resolution):
        raise _invalid("Name the purposes whose processing is restricted.", "purposes")
    if correction:
        text = (resolution.correction or "").strip()
        if not 1 <= len(text) <= NOTE_LIMIT:
            raise _invalid(
                f"Describe what was changed in 1 to {NOTE_LIMIT} characters.", "correction"
            )


def _categories(request: DataRequest, resolution: Resolution) -> tuple[str, ...]:
    chosen = resolution.categories if resolution.categories is not None else request.categories
    return tuple(dict.fromkeys(chosen))


def _purposes(request: DataRequest, resolution: Resolution) -> tuple[ConsentPurpose, ...]:
    if resolution.purposes is not None:
        return tuple(dict.fromkeys(resolution.purposes))
    return tuple(ConsentPurpose(value) for value in dict.fromkeys(request.purposes))


async def _restrict(
    ctx: RequestContext,
    request: DataRequest,
    account: Account,
    purposes: tuple[ConsentPurpose, ...],
) -> None:
    """A restriction in force per purpose; one already in force is kept as it is."""
    in_force = await ctx.session.scalars(
        select(ProcessingRestriction.purpose).where(
            ProcessingRestriction.account_id == account.id,
            ProcessingRestriction.lifted_at.is_(None),
        )
    )
    already = set(in_force)
    ctx.session.add_all(
        ProcessingRestriction(
            account_id=account.id,
            purpose=purpose,
            data_request_id=request.id,
            created_at=ctx.now(),
        )
        for purpose in purposes
        if purpose not in already
    )
    await ctx.session.flush()
    ctx.loaders.restrictions_by_account.clear(account.id)
    await record(
        ctx,
        EventType.PROCESSING_RESTRICTED,
        {
            "purposes": [purpose.value for purpose in purposes],
            "dataRequestId": to_global_id("DataRequest", request.id),
        },
        account=account,
    )


async def resolve_data_request(
    ctx: RequestContext, request_id: uuid.UUID | None, resolution: Resolution
) -> DataRequest:
    staff = await require_staff(ctx, *QUEUE_ROLES)
    request = await ctx.session.get(DataRequest, request_id) if request_id else None
    if request is None:
        raise Refused(NOT_FOUND)
    status = resolution.status
    if status not in RESOLUTIONS:
        raise _invalid("Move a request to IN_PROGRESS, FULFILLED or REFUSED.", "status")
    if request.status not in OPEN_STATUSES:
        raise Refused(CLOSED)
    refusal_reason = resolution.refusal_reason
    if status is DataRequestStatus.REFUSED and refusal_reason is None:
        raise refused(
            UserErrorCode.REFUSAL_REASON_REQUIRED,
            "A refusal names one of the policy's exceptions.",
            "refusalReason",
        )
    note = resolution.note
    if note is not None and len(note) > NOTE_LIMIT:
        raise _invalid(f"At most {NOTE_LIMIT} characters.", "note")
    _check_fulfilment(ctx, request, resolution)
    if status is DataRequestStatus.FULFILLED:
        # Fulfilling erases, ends, restricts or closes for good.
        require_staff_step_up(ctx)
    if request.account_id is not None:
        await queries.lock_account(ctx.session, request.account_id)
    now = ctx.now()
    request.status = status
    request.handled_by_id = staff.id
    if request.account_id is not None:
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
    done = await _fulfil(ctx, request, resolution) if status is DataRequestStatus.FULFILLED else ""
    note = f"\n\n{request.resolution_note}" if request.resolution_note else ""
    # What was done is told to the account; someone who filed for a phone or an address
    # hears the same words whether or not it named an account.
    await _notify(ctx, request, message + done + note, to_requester=message + note)
    account = await ctx.session.get(Account, request.account_id) if request.account_id else None
    await record(
        ctx,
        EventType.DATA_REQUEST_RESOLVED,
        {
            "dataRequestId": to_global_id("DataRequest", request.id),
            "type": request.type.value,
            "status": status.value,
            "refusalReason": request.refusal_reason.value if request.refusal_reason else None,
            "origin": request.origin.value,
        },
        account=account,
    )
    return request


async def _fulfil(ctx: RequestContext, request: DataRequest, resolution: Resolution) -> str:
    """Act on a fulfilled request in the same unit of work; what to tell the person."""
    account = await ctx.session.get(Account, request.account_id) if request.account_id else None
    if account is None:
        return ""
    if request.type is DataRequestType.CANCELLATION:
        await erase_account(ctx, account)
        return ""
    if request.type is DataRequestType.DELETION:
        categories = _categories(request, resolution)
        await erase_categories(
            ctx, account, list(categories), reason="DELETION_REQUEST", data_request=request
        )
        request.categories = list(categories)
        names = [ctx.inventory.category(key).name for key in categories]
        return " We erased: " + "; ".join(names) + "."
    if request.type is DataRequestType.RESTRICTION:
        purposes = _purposes(request, resolution)
        await _restrict(ctx, request, account, purposes)
        request.purposes = [purpose.value for purpose in purposes]
        return (
            " Processing is restricted for: "
            + ", ".join(purpose.value for purpose in purposes)
            + ". Those consents read as withdrawn until the restriction is lifted."
        )
    if request.type is DataRequestType.CORRECTION:
        request.correction = (resolution.correction or "").strip()
        return " The request records what we changed."
    return ""


async def lift_restriction(
    ctx: RequestContext, account_id: uuid.UUID | None, purpose: ConsentPurpose
) -> ConsentState:
    """Staff end a restriction in force; the consent reads as it was given again (as it
    reads now, the answer)."""
    staff = await require_staff(ctx, *QUEUE_ROLES)
    # Processing the person asked to stop starts again.
    require_staff_step_up(ctx)
    if account_id is not None:
        await queries.lock_account(ctx.session, account_id)
    restriction = (
        await ctx.session.scalars(
            select(ProcessingRestriction).where(
                ProcessingRestriction.account_id == account_id,
                ProcessingRestriction.purpose == purpose,
                ProcessingRestriction.lifted_at.is_(None),
            )
        )
    ).first()
    account = await ctx.session.get(Account, account_id) if account_id else None
    if restriction is None or account is None:
        raise refused(
            UserErrorCode.NOT_FOUND, "No restriction of this purpose is in force.", "purpose"
        )
    restriction.lifted_at = ctx.now()
    restriction.lifted_by_id = staff.id
    await ctx.session.flush()
    await record(ctx, EventType.RESTRICTION_LIFTED, {"purpose": purpose.value}, account=account)
    ctx.loaders.restrictions_by_account.clear(account.id)
    await queries.notify_accounts(
        ctx.session,
        [account.id],
        kind=NotificationKind.DATA_REQUEST_UPDATED,
        title="A restriction was lifted",
        body=f"Processing for {purpose.value} is no longer restricted.",
        now=ctx.now(),
    )
    return await consent_queries.consent(ctx, account, purpose)


async def requester(ctx: RequestContext, request: DataRequest) -> DataRequestRequester | None:
    """Staff only: who filed a verified request (none for the account's own)."""
    await require_staff_reader(ctx)
    return await requester_of(ctx, request)
