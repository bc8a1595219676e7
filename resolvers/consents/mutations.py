"""setConsent, setDevicePermission, recordSearch, clearSearchHistory, recordGuardianConsent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from auth.contacts import parse_phone
from auth.minors import ADULT_AGE, AgeGroup, age_group, age_on
from auth.sms_codes import CodeCheck, check_code, consume_code
from models import (
    Account,
    AccountStatus,
    BankCard,
    ConsentPurpose,
    DevicePermission,
    DevicePermissionEvent,
    DevicePermissionKind,
    GuardianConsent,
    NotificationKind,
    RealNameVerification,
    SearchEntry,
    SmsPurpose,
    StudentVerification,
    queries,
)
from resolvers.accounts.access import require_account
from resolvers.auth.common import CODE_ERRORS
from resolvers.auth.results import OkResult
from resolvers.consents.record import (
    POLICY_NOT_ACCEPTED,
    is_granted,
    policy_version_in_force,
    record_consent,
)
from resolvers.context import RequestContext
from resolvers.errors import UserError, UserErrorCode, user_error
from resolvers.events.outbox import EventType, record
from resolvers.policies.status import policy_status
from resolvers.rights.erasure import erase_categories
from resolvers.settings.results import AccountResult, failed

MAX_QUERY_LENGTH = 200

# What was collected only under a purpose, erased when it is withdrawn: as `erased`
# reports it, its inventory category, and its rows. The other purposes govern what the
# platform's other services hold or do (ConsentChanged tells them), or data the account
# needs for itself.
ERASED_ON_WITHDRAWAL: dict[ConsentPurpose, tuple[str, str, type[object]]] = {
    ConsentPurpose.SEARCH_HISTORY: ("searchHistory", "search_history", SearchEntry),
    ConsentPurpose.SENSITIVE_REAL_NAME: (
        "realNameVerification",
        "real_name",
        RealNameVerification,
    ),
    ConsentPurpose.SENSITIVE_STUDENT: ("studentVerification", "student", StudentVerification),
    ConsentPurpose.SENSITIVE_BANK_CARD: ("bankCards", "bank_card", BankCard),
}


@dataclass
class ConsentResult:
    account: Account | None = None
    purpose: ConsentPurpose | None = None
    erased: list[str] = field(default_factory=list)
    user_errors: list[UserError] = field(default_factory=list)


async def set_consent(ctx: RequestContext, purpose: ConsentPurpose, granted: bool) -> ConsentResult:
    """Granting needs the policy accepted; withdrawing needs nothing and takes effect at
    once, erasing in the same unit of work what was collected only under the purpose."""
    account = require_account(ctx)
    if granted:
        if (await policy_status(ctx, account)).must_accept:
            return ConsentResult(user_errors=[POLICY_NOT_ACCEPTED])
        await record_consent(ctx, account, purpose, granted=True)
        return ConsentResult(account=account, purpose=purpose)
    await record_consent(ctx, account, purpose, granted=False)
    erased: list[str] = []
    withdrawal = ERASED_ON_WITHDRAWAL.get(purpose)
    if withdrawal is not None:
        name, category, model = withdrawal
        rows: Any = model
        count = await ctx.session.scalar(
            select(func.count()).select_from(rows).where(rows.account_id == account.id)
        )
        if count:
            await erase_categories(ctx, account, [category], reason="CONSENT_WITHDRAWN")
            erased.append(name)
    return ConsentResult(account=account, purpose=purpose, erased=erased)


@dataclass
class DevicePermissionResult:
    account: Account | None = None
    permission: DevicePermission | None = None
    user_errors: list[UserError] = field(default_factory=list)


async def set_device_permission(
    ctx: RequestContext, permission: DevicePermissionKind, enabled: bool
) -> DevicePermissionResult:
    account = require_account(ctx)
    now = ctx.now()
    current = select(DevicePermission).where(
        DevicePermission.account_id == account.id, DevicePermission.permission == permission
    )
    row = (await ctx.session.scalars(current)).first()
    if row is None:
        row = DevicePermission(
            account_id=account.id, permission=permission, enabled=enabled, updated_at=now
        )
        # The unique (account, permission) decides: when another request stored the first
        # state since the look-up, this change applies to that row instead.
        try:
            async with ctx.session.begin_nested():
                ctx.session.add(row)
        except IntegrityError:
            row = (await ctx.session.scalars(current)).one()
    row.enabled = enabled
    row.updated_at = now
    ctx.session.add(
        DevicePermissionEvent(
            account_id=account.id, permission=permission, enabled=enabled, created_at=now
        )
    )
    await ctx.session.flush()
    ctx.loaders.device_permissions_by_account.clear(account.id)
    return DevicePermissionResult(account=account, permission=row)


@dataclass
class RecordSearchResult:
    recorded: bool = False
    user_errors: list[UserError] = field(default_factory=list)


async def record_search(ctx: RequestContext, query: str) -> RecordSearchResult:
    """Stored only while SEARCH_HISTORY is granted, checked at the moment of collection."""
    account = require_account(ctx)
    if not query.strip() or len(query) > MAX_QUERY_LENGTH:
        return RecordSearchResult(
            user_errors=[
                user_error(
                    UserErrorCode.INVALID_INPUT,
                    f"A search has 1 to {MAX_QUERY_LENGTH} characters.",
                    "query",
                )
            ]
        )
    if not await is_granted(ctx, account, ConsentPurpose.SEARCH_HISTORY):
        return RecordSearchResult(recorded=False)
    entry = SearchEntry(account_id=account.id, created_at=ctx.now())
    entry.query = query.strip()
    ctx.session.add(entry)
    await ctx.session.flush()
    return RecordSearchResult(recorded=True)


async def clear_search_history(ctx: RequestContext) -> OkResult:
    account = require_account(ctx)
    await ctx.session.execute(delete(SearchEntry).where(SearchEntry.account_id == account.id))
    return OkResult(ok=True)


GUARDIAN_NAME_LIMIT = 50
NOT_A_GUARDIAN = user_error(
    UserErrorCode.INVALID_INPUT,
    "The guardian's phone must be an adult's, and not one of this account's.",
    "guardianPhone",
)


def _known_minor(account: Account, today: date) -> bool:
    """An account known to be under 18: by its birth date, or waiting for a guardian."""
    if account.status is AccountStatus.PENDING_GUARDIAN_CONSENT:
        return True
    return (
        account.birth_date is not None
        and age_group(account.birth_date, today) is not AgeGroup.ADULT
    )


async def record_guardian_consent(
    ctx: RequestContext, guardian_name: str, guardian_phone: str, code: str
) -> AccountResult:
    """A guardian consents with a GUARDIAN_CONSENT code sent to their phone."""
    account = require_account(ctx)
    if account.status is not AccountStatus.PENDING_GUARDIAN_CONSENT:
        return failed(
            user_error(
                UserErrorCode.INVALID_STATE, "This account does not await a guardian's consent."
            )
        )
    errors = []
    if not 1 <= len(guardian_name.strip()) <= GUARDIAN_NAME_LIMIT:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT,
                f"Give 1 to {GUARDIAN_NAME_LIMIT} characters.",
                "guardianName",
            )
        )
    phone = parse_phone(guardian_phone)
    if phone is None:
        errors.append(
            user_error(
                UserErrorCode.INVALID_PHONE, "This is not a valid phone number.", "guardianPhone"
            )
        )
    if errors or phone is None:
        return failed(*errors)
    if phone == account.phone:
        return failed(NOT_A_GUARDIAN)
    now = ctx.now()
    check, row = await check_code(
        ctx.scope, recipient=phone, purpose=SmsPurpose.GUARDIAN_CONSENT, code=code, now=now
    )
    if check is not CodeCheck.OK or row is None:
        error = CODE_ERRORS[check]
        return failed(UserError(code=error.code, message=error.message, field=("code",)))
    # After the code: only the phone's holder learns whose phone it is.
    holder = await queries.account_by_phone(ctx.session, phone)
    if holder is not None and _known_minor(holder, now.date()):
        return failed(NOT_A_GUARDIAN)
    if not await consume_code(ctx.session, row, now):
        error = CODE_ERRORS[CodeCheck.INVALID]
        return failed(UserError(code=error.code, message=error.message, field=("code",)))
    await ctx.session.execute(
        delete(GuardianConsent).where(GuardianConsent.account_id == account.id)
    )
    consent = GuardianConsent(
        account_id=account.id,
        granted_at=now,
        policy_version=await policy_version_in_force(ctx),
    )
    consent.guardian_name = guardian_name.strip()
    consent.guardian_phone = phone
    ctx.session.add(consent)
    account.status = AccountStatus.ACTIVE
    await ctx.session.flush()
    ctx.loaders.guardian_consent_by_account.clear(account.id)
    return AccountResult(account=account)


@dataclass
class GuardianWithdrawalResult:
    withdrawn: bool = False
    user_errors: list[UserError] = field(default_factory=list)


NO_SUCH_CONSENT = user_error(
    UserErrorCode.NOT_FOUND,
    "No consent given with this guardian phone for this account.",
    "minorPhone",
)


async def withdraw_guardian_consent(
    ctx: RequestContext, minor_phone: str, guardian_phone: str, code: str
) -> GuardianWithdrawalResult:
    """The guardian, proving their phone with a GUARDIAN_CONSENT code, withdraws the
    consent they gave; a minor's account awaits a guardian's consent again."""
    minor = parse_phone(minor_phone)
    guardian = parse_phone(guardian_phone)
    errors = []
    if minor is None:
        errors.append(
            user_error(
                UserErrorCode.INVALID_PHONE, "This is not a valid phone number.", "minorPhone"
            )
        )
    if guardian is None:
        errors.append(
            user_error(
                UserErrorCode.INVALID_PHONE, "This is not a valid phone number.", "guardianPhone"
            )
        )
    if errors or minor is None or guardian is None:
        return GuardianWithdrawalResult(user_errors=errors)
    now = ctx.now()
    check, row = await check_code(
        ctx.scope, recipient=guardian, purpose=SmsPurpose.GUARDIAN_CONSENT, code=code, now=now
    )
    if check is not CodeCheck.OK or row is None or not await consume_code(ctx.session, row, now):
        error = CODE_ERRORS[check if check is not CodeCheck.OK else CodeCheck.INVALID]
        return GuardianWithdrawalResult(
            user_errors=[UserError(code=error.code, message=error.message, field=("code",))]
        )
    # What follows answers only someone who proved the guardian's phone.
    account = await queries.account_by_phone(ctx.session, minor)
    if account is None:
        return GuardianWithdrawalResult(user_errors=[NO_SUCH_CONSENT])
    await queries.lock_account(ctx.session, account.id)
    consent = (
        await ctx.session.scalars(
            select(GuardianConsent).where(GuardianConsent.account_id == account.id)
        )
    ).first()
    if consent is None or consent.guardian_phone != guardian:
        return GuardianWithdrawalResult(user_errors=[NO_SUCH_CONSENT])
    await ctx.session.delete(consent)
    still_minor = account.birth_date is None or age_on(account.birth_date, now.date()) < ADULT_AGE
    if account.status is AccountStatus.ACTIVE and still_minor:
        account.status = AccountStatus.PENDING_GUARDIAN_CONSENT
    await queries.notify_accounts(
        ctx.session,
        [account.id],
        kind=NotificationKind.GUARDIAN_CONSENT,
        title="Your guardian withdrew their consent",
        body=(
            "Until a guardian consents again, the account can only withdraw consents,"
            " exercise its rights and be cancelled."
            if account.status is AccountStatus.PENDING_GUARDIAN_CONSENT
            else "The record of your guardian's consent was removed."
        ),
        now=now,
    )
    await record(ctx, EventType.GUARDIAN_CONSENT_WITHDRAWN, {}, account=account)
    ctx.loaders.guardian_consent_by_account.clear(account.id)
    return GuardianWithdrawalResult(withdrawn=True)
