"""submitVerifiedDataRequest: a rights request from someone who cannot sign in for it.

A guardian of a minor, a close relative of a deceased person, or a person who holds a
phone or an e-mail address but no account files it, proving that contact with a code
sent to it (`requestDataRequestCode`), stating their relation and naming where the
supporting documents are. It joins the staff queue with the same 15-day clock. The
request concerns the account bound to the contact the requester names for the person
(their own, for a contact holder), if there is one; the answer is the same whether
there is or not, so it tells nobody whether a phone or address has an account.
"""

from __future__ import annotations

from typing import Protocol

from auth.sms_codes import CodeCheck, Issued
from models import (
    Account,
    AccountStatus,
    DataRequest,
    DataRequestRequester,
    MessageChannel,
    NotificationKind,
    RequesterRelation,
    RequestOrigin,
    queries,
)
from resolvers.context import RequestContext
from resolvers.errors import (
    CODE_ERRORS,
    Refused,
    UserError,
    UserErrorCode,
    asked_too_soon,
    user_error,
)
from resolvers.rights.contact_proof import Contact, parse_contact, prove, send_code
from resolvers.rights.requesters import notify_requester
from resolvers.rights.requests import Submission, new_request, submission_errors

NAME_LIMIT = 100
EVIDENCE_LIMIT = 500
# A guardian and a relative act for someone else: they say whom, and where the proof is.
ACTING_FOR_SOMEONE = (RequesterRelation.GUARDIAN, RequesterRelation.CLOSE_RELATIVE)
INVALID_CONTACT = user_error(
    UserErrorCode.INVALID_INPUT, "Give a mobile number or an e-mail address.", "contact"
)


class VerifiedSubmission(Submission, Protocol):
    """A request and who files it (submitVerifiedDataRequest's input has these fields)."""

    relation: RequesterRelation
    requester_name: str
    contact: str
    code: str
    subject_name: str | None
    subject_contact: str | None
    evidence: str | None


async def request_code(ctx: RequestContext, contact: str) -> Issued:
    """A code to the phone (SMS) or address (e-mail), within the sending limits; asked
    again too soon, the refusal says how long to wait (`retry_after_seconds`)."""
    parsed = parse_contact(contact)
    if parsed is None:
        raise Refused(INVALID_CONTACT)
    sent = await send_code(ctx, parsed)
    if not sent.sent:
        raise asked_too_soon(sent.retry_after_seconds)
    return sent


def _text_error(value: str | None, limit: int, name: str, *, required: bool) -> UserError | None:
    text = (value or "").strip()
    if (required and not text) or len(text) > limit:
        return user_error(UserErrorCode.INVALID_INPUT, f"Give 1 to {limit} characters.", name)
    return None


def _errors(ctx: RequestContext, submission: VerifiedSubmission) -> list[UserError]:
    errors = submission_errors(ctx, submission)
    acting = submission.relation in ACTING_FOR_SOMEONE
    checks = [
        _text_error(submission.requester_name, NAME_LIMIT, "requesterName", required=True),
        _text_error(submission.subject_name, NAME_LIMIT, "subjectName", required=acting),
        _text_error(submission.evidence, EVIDENCE_LIMIT, "evidence", required=acting),
    ]
    errors.extend(error for error in checks if error is not None)
    if parse_contact(submission.contact) is None:
        errors.append(INVALID_CONTACT)
    if submission.relation is RequesterRelation.CONTACT_HOLDER and (
        submission.subject_contact is not None or submission.subject_name is not None
    ):
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT,
                "A contact holder asks about their own data: name nobody else.",
                "subjectContact",
            )
        )
    elif (
        submission.subject_contact is not None and parse_contact(submission.subject_contact) is None
    ):
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT,
                "Give the person's mobile number or e-mail address.",
                "subjectContact",
            )
        )
    return errors


async def _account_of(ctx: RequestContext, contact: Contact | None) -> Account | None:
    if contact is None:
        return None
    if contact.channel is MessageChannel.SMS:
        account = await queries.account_by_phone(ctx.session, contact.value)
    else:
        account = await queries.account_by_email(ctx.session, contact.value)
    if account is None or account.status is AccountStatus.CANCELLED:
        return None
    return account


async def submit_verified_data_request(
    ctx: RequestContext, submission: VerifiedSubmission
) -> DataRequest:
    errors = _errors(ctx, submission)
    contact = parse_contact(submission.contact)
    if errors or contact is None:
        raise Refused(*errors)
    check = await prove(ctx, contact, submission.code)
    if check is not CodeCheck.OK:
        error = CODE_ERRORS[check]
        raise Refused(UserError(code=error.code, message=error.message, field=("code",)))
    if submission.relation is RequesterRelation.CONTACT_HOLDER:
        named: Contact | None = contact
    elif submission.subject_contact is not None:
        named = parse_contact(submission.subject_contact)
    else:
        named = None
    account = await _account_of(ctx, named)
    now = ctx.now()
    request = new_request(
        submission,
        account.id if account is not None else None,
        RequestOrigin.VERIFIED_CONTACT,
        now,
    )
    ctx.session.add(request)
    requester = DataRequestRequester(
        data_request_id=request.id, relation=submission.relation, proven_at=now
    )
    requester.name = submission.requester_name.strip()
    if contact.channel is MessageChannel.SMS:
        requester.phone = contact.value
    else:
        requester.email = contact.value
    requester.subject_name = (submission.subject_name or "").strip() or None
    requester.subject_contact = named.value if named is not None else None
    requester.evidence = (submission.evidence or "").strip() or None
    ctx.session.add(requester)
    await ctx.session.flush()
    if account is not None:
        ctx.loaders.open_data_requests_by_account.clear(account.id)
        await queries.notify_accounts(
            ctx.session,
            [account.id],
            kind=NotificationKind.DATA_REQUEST_UPDATED,
            title=f"A {submission.type.value.replace('_', ' ').lower()} request about your data",
            body=(
                f"Someone filed it for you as your {submission.relation.value.lower().replace('_', ' ')}."
                f" We will answer by {request.due_at.date()}."
            ),
            now=now,
        )
    await notify_requester(
        ctx, request, f"We received your request and will answer by {request.due_at.date()}."
    )
    return request
