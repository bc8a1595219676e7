"""setConsent, setDevicePermission, recordSearch, clearSearchHistory, recordGuardianConsent,
withdrawGuardianConsent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, select

from auth.contacts import parse_phone
from auth.minors import ADULT_AGE, AgeGroup, age_group, age_on
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
from resolvers.accounts.erasure import erase_categories
from resolvers.codes import checked_code, use_code
from resolvers.consents import queries as consent_queries
from resolvers.consents.record import (
    POLICY_NOT_ACCEPTED,
    ConsentState,
    is_granted,
    policy_version_in_force,
    record_consent,
)
from resolvers.context import RequestContext
from resolvers.errors import (
    INVALID_PHONE,
    Refused,
    UserError,
    UserErrorCode,
    on_field,
    refused,
    user_error,
)
from resolvers.events.outbox import EventType, record
from resolvers.policies.status import policy_status

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


class ConsentChoice(Protocol):
    """What setConsent's input says."""

    purpose: ConsentPurpose
    granted: bool


@dataclass(frozen=True)
class ConsentSet:
    """The consent as it reads after the change, and what withdrawing it erased (as
    `erased` names it)."""

    consent: ConsentState
    erased: list[str]


async def set_consent(ctx: RequestContext, choice: ConsentChoice) -> ConsentSet:
    """Granting needs the policy accepted; withdrawing needs nothing and takes effect at
    once, erasing in the same unit of work what was collected only under the purpose."""
    account = require_account(ctx)
    purpose = choice.purpose
    if choice.granted:
        if (await policy_status(ctx, account)).must_accept:
            raise Refused(POLICY_NOT_ACCEPTED)
        await record_consent(ctx, account, purpose, granted=True)
        return ConsentSet(await consent_queries.consent(ctx, account, purpose), erased=[])
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
    return ConsentSet(await consent_queries.consent(ctx, account, purpose), erased=erased)


class DevicePermissionChoice(Protocol):
    """What setDevicePermission's input says."""

    permission: DevicePermissionKind
    enabled: bool


async def set_device_permission(
    ctx: RequestContext, choice: DevicePermissionChoice
) -> DevicePermission:
    account = require_account(ctx)
    permission, enabled = choice.permission, choice.enabled
    now = ctx.now()
    current = select(DevicePermission).where(
        DevicePermission.account_id == account.id, DevicePermission.permission == permission
    )
    # The unique (account, permission) decides: when another request stored the first
    # state since the look-up, this change applies to that row instead.
    row = await queries.first_or_added(
        ctx.session,
        current,
        lambda: DevicePermission(
            account_id=account.id, permission=permission, enabled=enabled, updated_at=now
        ),
    )
    row.enabled = enabled
    row.updated_at = now
    ctx.session.add(
        DevicePermissionEvent(
            account_id=account.id, permission=permission, enabled=enabled, created_at=now
        )
    )
    await ctx.session.flush()
    ctx.loaders.device_permissions_by_account.clear(account.id)
    return row


async def record_search(ctx: RequestContext, query: str) -> bool:
    """Stored only while SEARCH_HISTORY is granted, checked at the moment of collection:
    whether it was."""
    account = require_account(ctx)
    if not query.strip() or len(query) > MAX_QUERY_LENGTH:
        raise refused(
            UserErrorCode.INVALID_INPUT,
            f"A search has 1 to {MAX_QUERY_LENGTH} characters.",
            "query",
        )
    if not await is_granted(ctx, account, ConsentPurpose.SEARCH_HISTORY):
        return False
    entry = SearchEntry(account_id=account.id, created_at=ctx.now())
    entry.query = query.strip()
    ctx.session.add(entry)
    await ctx.session.flush()
    return True


async def clear_search_history(ctx: RequestContext) -> None:
    account = require_account(ctx)
    await ctx.session.execute(delete(SearchEntry).where(SearchEntry.account_id == account.id))


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


class GuardianConsentGiven(Protocol):
    """What recordGuardianConsent's input says."""

    guardian_name: str
    guardian_phone: str
    code: str


async def record_guardian_consent(ctx: RequestContext, given: GuardianConsentGiven) -> Account:
    """A guardian consents with a GUARDIAN_CONSENT code sent to their phone."""
    account = require_account(ctx)
    if account.status is not AccountStatus.PENDING_GUARDIAN_CONSENT:
        raise refused(
            UserErrorCode.INVALID_STATE, "This account does not await a guardian's consent."
        )
    guardian_name = given.guardian_name
    errors = []
    if not 1 <= len(guardian_name.strip()) <= GUARDIAN_NAME_LIMIT:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT,
                f"Give 1 to {GUARDIAN_NAME_LIMIT} characters.",
                "guardianName",
            )
        )
    phone = parse_phone(given.guardian_phone)
    if phone is None:
        errors.append(on_field(INVALID_PHONE, "guardianPhone"))
    if errors or phone is None:
        raise Refused(*errors)
    if phone == account.phone:
        raise Refused(NOT_A_GUARDIAN)
    now = ctx.now()
    row = await checked_code(
        ctx, recipient=phone, purpose=SmsPurpose.GUARDIAN_CONSENT, code=given.code, now=now
    )
    # After the code: only the phone's holder learns whose phone it is.
    holder = await queries.account_by_phone(ctx.session, phone)
    if holder is not None and _known_minor(holder, now.date()):
        raise Refused(NOT_A_GUARDIAN)
    await use_code(ctx, row, now)
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
    return account


class GuardianWithdrawal(Protocol):
    """What withdrawGuardianConsent's input says."""

    @property
    def minor_phone(self) -> str | None: ...
    @property
    def guardian_phone(self) -> str: ...
    @property
    def code(self) -> str: ...


NO_SUCH_CONSENT = user_error(
    UserErrorCode.NOT_FOUND,
    "No consent given with this guardian phone for this account.",
    "minorPhone",
)
NO_CONSENT_OF_THIS_GUARDIAN = user_error(
    UserErrorCode.NOT_FOUND, "No consent was given with this guardian phone.", "guardianPhone"
)


def _phone_errors(withdrawal: GuardianWithdrawal) -> tuple[list[UserError], str | None, str | None]:
    minor = parse_phone(withdrawal.minor_phone) if withdrawal.minor_phone is not None else None
    guardian = parse_phone(withdrawal.guardian_phone)
    errors = []
    if withdrawal.minor_phone is not None and minor is None:
        errors.append(on_field(INVALID_PHONE, "minorPhone"))
    if guardian is None:
        errors.append(on_field(INVALID_PHONE, "guardianPhone"))
    return errors, minor, guardian


async def withdraw_guardian_consent(ctx: RequestContext, withdrawal: GuardianWithdrawal) -> None:
    """The guardian, proving their phone with a GUARDIAN_CONSENT code, withdraws the
    consent they gave; a minor's account awaits a guardian's consent again.

    With the minor's phone, the consent given for that account; without it (a minor who
    signed up with WeChat has no phone), every consent given with the guardian's phone.
    """
    errors, minor, guardian = _phone_errors(withdrawal)
    if errors or guardian is None:
        raise Refused(*errors)
    now = ctx.now()
    row = await checked_code(
        ctx, recipient=guardian, purpose=SmsPurpose.GUARDIAN_CONSENT, code=withdrawal.code, now=now
    )
    await use_code(ctx, row, now)
    # What follows answers only someone who proved the guardian's phone.
    if minor is None:
        given = list(
            await ctx.session.scalars(
                select(GuardianConsent).where(GuardianConsent.guardian_phone.matches(guardian))
            )
        )
        if not given:
            raise Refused(NO_CONSENT_OF_THIS_GUARDIAN)
        for consent in given:
            account = await ctx.session.get(Account, consent.account_id)
            if account is not None:
                await _withdraw(ctx, account, guardian, now)
        return
    account = await queries.account_by_phone(ctx.session, minor)
    if account is None or not await _withdraw(ctx, account, guardian, now):
        raise Refused(NO_SUCH_CONSENT)


async def _withdraw(ctx: RequestContext, account: Account, guardian: str, now: datetime) -> bool:
    """Withdraw the consent `guardian` gave for `account`; False when there is none."""
    await queries.lock_account(ctx.session, account.id)
    consent = (
        await ctx.session.scalars(
            select(GuardianConsent).where(GuardianConsent.account_id == account.id)
        )
    ).first()
    if consent is None or consent.guardian_phone != guardian:
        return False
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
    return True
