"""submitRealNameVerification and submitStudentVerification."""

from __future__ import annotations

from datetime import date
from typing import Protocol, TypeVar

from sqlalchemy import select

from auth.identity_verifier import VerificationRequest, VerificationUnavailable
from auth.minors import AgeGroup, age_group
from models import (
    Account,
    AccountKind,
    AccountStatus,
    ConsentPurpose,
    GuardianConsent,
    RealNameVerification,
    StudentVerification,
    VerificationStatus,
)
from resolvers.accounts.access import require_account, require_step_up
from resolvers.accounts.erasure import erase_account
from resolvers.consents.record import ensure_granted, require_grantable
from resolvers.context import RequestContext
from resolvers.errors import Refused, UserError, UserErrorCode, refused, user_error
from resolvers.verifications.validation import (
    IdNumber,
    names_match,
    parse_id_number,
    verification_code_valid,
)

Verification = TypeVar("Verification", RealNameVerification, StudentVerification)

NAME_LIMIT = 50
TEXT_LIMIT = 100
PENDING_REASON = "The verification service did not answer; submit again later."


class RealNameSubmission(Protocol):
    """What real-name verification takes (the mutation's input has these fields)."""

    real_name: str
    id_number: str
    separate_consent: bool


def _consent_error(separate_consent: bool) -> UserError | None:
    if separate_consent:
        return None
    return user_error(
        UserErrorCode.CONSENT_REQUIRED,
        "Sensitive personal information needs your separate consent.",
        "separateConsent",
    )


def _name_error(real_name: str) -> UserError | None:
    if 1 <= len(real_name.strip()) <= NAME_LIMIT:
        return None
    return user_error(
        UserErrorCode.INVALID_INPUT, f"Give 1 to {NAME_LIMIT} characters.", "realName"
    )


def _id_number(ctx: RequestContext, raw: str) -> IdNumber | UserError:
    parsed = parse_id_number(raw, today=ctx.now().date())
    if parsed is None:
        return user_error(
            UserErrorCode.INVALID_ID_NUMBER, "This is not a valid resident ID number.", "idNumber"
        )
    return parsed


def _identity_checked(
    ctx: RequestContext, submission: RealNameSubmission
) -> tuple[list[UserError], IdNumber | UserError]:
    """What both verifications check first, in this order: the separate consent, the name
    and the ID number; the faults found, and the ID number parsed (or its fault)."""
    consent, name = _consent_error(submission.separate_consent), _name_error(submission.real_name)
    errors = [e for e in (consent, name) if e]
    parsed = _id_number(ctx, submission.id_number)
    if isinstance(parsed, UserError):
        errors.append(parsed)
    return errors, parsed


async def _verify(
    ctx: RequestContext, request: VerificationRequest
) -> tuple[VerificationStatus, str | None]:
    try:
        outcome = await ctx.auth.verifier.verify(request)
    except VerificationUnavailable:
        return VerificationStatus.PENDING, PENDING_REASON
    if outcome.verified:
        return VerificationStatus.VERIFIED, None
    return VerificationStatus.REJECTED, (outcome.rejection_reason or "Not verified.")[:200]


async def submit_real_name(ctx: RequestContext, submission: RealNameSubmission) -> Account:
    account = require_account(ctx)
    real_name = submission.real_name
    if account.phone is None and account.email_verified_at is None:
        raise refused(
            UserErrorCode.CONTACT_REQUIRED,
            "Bind a phone or confirm an e-mail address before real-name verification.",
        )
    errors, parsed = _identity_checked(ctx, submission)
    if errors or isinstance(parsed, UserError):
        raise Refused(*errors)
    await require_grantable(ctx, account, ConsentPurpose.SENSITIVE_REAL_NAME)

    group = age_group(parsed.birth_date, ctx.now().date())
    if group is AgeGroup.UNDER_14:
        if account.kind is not AccountKind.INDIVIDUAL:
            # A business, an enterprise or a sub-account is not the child's: the
            # verification is refused and the account stays as it is.
            raise refused(
                UserErrorCode.MINOR_UNDER_14,
                "A child under 14 cannot verify this account.",
                "idNumber",
            )
        # Children under 14 may not hold an account: its data is erased at once, but
        # like every path that ends an account, only from a stepped-up session.
        require_step_up(ctx)
        await erase_account(ctx, account)
        raise refused(
            UserErrorCode.MINOR_UNDER_14,
            "Children under 14 may not hold an account; it has been cancelled.",
            "idNumber",
        )
    request = VerificationRequest(
        kind="REAL_NAME", real_name=real_name.strip(), id_number=parsed.value
    )
    row = await _recorded(
        ctx, RealNameVerification, account, ConsentPurpose.SENSITIVE_REAL_NAME, request
    )
    if account.kind is AccountKind.INDIVIDUAL:
        account.birth_date = parsed.birth_date
    # An individual of 14 to 17 waits for a guardian; a business, an enterprise or a
    # sub-account is not the minor's own account, and its standing does not change.
    if (
        account.kind is AccountKind.INDIVIDUAL
        and group is AgeGroup.MINOR
        and row.status is VerificationStatus.VERIFIED
        and account.status is AccountStatus.ACTIVE
        and not await _has_guardian_consent(ctx, account)
    ):
        account.status = AccountStatus.PENDING_GUARDIAN_CONSENT
    await ctx.session.flush()
    ctx.loaders.real_name_by_account.clear(account.id)
    return account


async def _recorded(
    ctx: RequestContext,
    model: type[Verification],
    account: Account,
    purpose: ConsentPurpose,
    request: VerificationRequest,
) -> Verification:
    """The submission, with the separate consent it is collected under, checked by the
    verifier and held by the account's one verification of this kind."""
    await ensure_granted(ctx, account, purpose)
    status, reason = await _verify(ctx, request)
    statement = select(model).where(model.account_id == account.id)
    row = (await ctx.session.scalars(statement)).first()
    if row is None:
        row = model(account_id=account.id)
        ctx.session.add(row)
    now = ctx.now()
    row.status = status
    row.real_name = request.real_name
    row.id_number = request.id_number
    row.submitted_at = now
    row.verified_at = now if status is VerificationStatus.VERIFIED else None
    row.rejection_reason = reason
    return row


async def _has_guardian_consent(ctx: RequestContext, account: Account) -> bool:
    statement = select(GuardianConsent.id).where(GuardianConsent.account_id == account.id)
    return (await ctx.session.scalar(statement)) is not None


class StudentSubmission(RealNameSubmission, Protocol):
    """What student verification takes as well (the mutation's input has these fields)."""

    verification_code: str
    school: str
    major: str
    enrolled_on: date
    graduates_on: date


async def submit_student(ctx: RequestContext, submission: StudentSubmission) -> Account:
    account = require_account(ctx)
    if account.kind is not AccountKind.INDIVIDUAL:
        raise refused(
            UserErrorCode.KIND_NOT_ALLOWED, "Only individual accounts verify as students."
        )
    errors, parsed = _identity_checked(ctx, submission)
    for name, value in (("school", submission.school), ("major", submission.major)):
        if not 1 <= len(value.strip()) <= TEXT_LIMIT:
            errors.append(
                user_error(UserErrorCode.INVALID_INPUT, f"Give 1 to {TEXT_LIMIT} characters.", name)
            )
    if submission.graduates_on <= submission.enrolled_on:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT, "graduatesOn must be after enrolledOn.", "graduatesOn"
            )
        )
    if not verification_code_valid(submission.verification_code):
        errors.append(
            user_error(
                UserErrorCode.INVALID_CODE,
                "The verification code has 10 to 16 letters or digits.",
                "verificationCode",
            )
        )
    if errors or isinstance(parsed, UserError):
        raise Refused(*errors)
    await require_grantable(ctx, account, ConsentPurpose.SENSITIVE_STUDENT)
    real_name = await ctx.loaders.real_name_by_account.load(account.id)
    if real_name is not None and real_name.status is VerificationStatus.VERIFIED:
        same_name = names_match(real_name.real_name or "", submission.real_name)
        if not same_name or real_name.id_number != parsed.value:
            raise refused(
                UserErrorCode.NAME_MISMATCH,
                "The name and ID number must match your verified real name.",
                "realName",
            )
    request = VerificationRequest(
        kind="STUDENT",
        real_name=submission.real_name.strip(),
        id_number=parsed.value,
        school=submission.school.strip(),
        verification_code=submission.verification_code,
    )
    row = await _recorded(
        ctx, StudentVerification, account, ConsentPurpose.SENSITIVE_STUDENT, request
    )
    row.verification_code = submission.verification_code
    row.school = submission.school.strip()
    row.major = submission.major.strip()
    row.enrolled_on = submission.enrolled_on
    row.graduates_on = submission.graduates_on
    await ctx.session.flush()
    ctx.loaders.student_by_account.clear(account.id)
    return account
