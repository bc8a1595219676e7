"""Erasing an account's personal data, as cancellation does (docs/spec/rights.md#cancellation)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from models import (
    AccessLogEntry,
    Account,
    AccountKind,
    AccountStatus,
    ActorKind,
    AuthSession,
    BankCard,
    Consent,
    DataRequest,
    DataRequestRequester,
    DevicePermission,
    DevicePermissionEvent,
    EmailConfirmation,
    GuardianConsent,
    IncidentDelivery,
    IncidentRecipient,
    LoginEvent,
    Notification,
    OAuthState,
    ProcessingRestriction,
    QueuedMessage,
    RealNameVerification,
    RetainedKind,
    RetainedLog,
    SearchEntry,
    SensitiveKind,
    StudentVerification,
    ThirdPartyIdentity,
    queries,
)
from models.account import new_display_name
from resolvers.context import RequestContext
from resolvers.events.outbox import EventType, record
from resolvers.global_id import to_global_id
from resolvers.masking.formats import mask

# Rows that are nothing but the account's personal data, or lead back to it: deleted
# whole. Consent events are not here: they stay, holding no personal data, as proof.
ERASED_TABLES: tuple[type[object], ...] = (
    ThirdPartyIdentity,
    RealNameVerification,
    StudentVerification,
    BankCard,
    LoginEvent,
    EmailConfirmation,
    GuardianConsent,
    SearchEntry,
    DevicePermission,
    DevicePermissionEvent,
    Notification,
    Consent,
    ProcessingRestriction,
    IncidentDelivery,
    IncidentRecipient,
    QueuedMessage,
    OAuthState,
    AuthSession,
)
CANCELLED_NAME = "Cancelled account"


async def erase_account(ctx: RequestContext, account: Account) -> None:
    """Cancel the account and erase what identifies the person, in the caller's transaction.

    The account row stays as a CANCELLED shell without personal data; its blind indexes
    go with the values, so the phone, e-mail or WeChat can register again. Its sessions
    are deleted, so its tokens stop working on the next request. An enterprise takes
    its sub-accounts with it.
    """
    await queries.lock_account(ctx.session, account.id)
    if account.kind is AccountKind.ENTERPRISE:
        members = await ctx.session.scalars(
            select(Account).where(
                Account.enterprise_id == account.id, Account.status != AccountStatus.CANCELLED
            )
        )
        for member in list(members):
            await erase_account(ctx, member)
    await keep_pseudonymised(ctx, account)
    for model in ERASED_TABLES:
        await ctx.session.execute(
            delete(model).where(model.account_id == account.id)  # type: ignore[attr-defined]
        )
    await ctx.session.execute(delete(AccessLogEntry).where(AccessLogEntry.subject_id == account.id))
    # A request stays as proof of how it was handled (type, status, dates, requester);
    # what it says of the person goes: their words, what staff wrote of them, and the
    # name and contact someone filing for them gave.
    about_person = select(DataRequest.id).where(DataRequest.account_id == account.id)
    await ctx.session.execute(
        update(DataRequest)
        .where(DataRequest.account_id == account.id)
        .values(details_sealed=None, correction_sealed=None, resolution_note=None)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.execute(
        update(DataRequestRequester)
        .where(DataRequestRequester.data_request_id.in_(about_person))
        .values(subject_name_sealed=None, subject_contact_sealed=None)
        .execution_options(synchronize_session=False)
    )
    account.status = AccountStatus.CANCELLED
    account.phone = None
    account.email = None
    account.unproven_phone = None
    account.unproven_email = None
    account.email_verified_at = None
    account.password_hash = None
    account.display_name = CANCELLED_NAME
    account.avatar_url = None
    account.birth_date = None
    account.business_name = None
    account.ur_token = None
    account.company_name = None
    account.bio = None
    account.industry = None
    account.position = None
    account.company_size = None
    account.needs = []
    account.role = None
    account.permissions = []
    await ctx.session.flush()
    await record(
        ctx,
        EventType.ACCOUNT_CANCELLED,
        {
            "kind": account.kind.value,
            "enterpriseId": (
                to_global_id("EnterpriseAccount", account.enterprise_id)
                if account.enterprise_id is not None
                else None
            ),
        },
        account=account,
    )
    ctx.loaders.account_by_id.clear(account.id)


# What a fulfilled DELETION request erases, per inventory category the gateway holds and
# may erase while the account lives on. Sign-in data goes only with the account
# (cancellation); what the law makes us keep is refused with LEGAL_OBLIGATION.
ERASED_ROWS: dict[str, type[object]] = {
    "search_history": SearchEntry,
    "real_name": RealNameVerification,
    "student": StudentVerification,
    "bank_card": BankCard,
}
ERASED_COLUMNS: dict[str, tuple[str, ...]] = {
    "industry_profile": ("industry", "position", "company_size", "needs"),
    "public_profile": ("display_name", "avatar_url", "bio"),
}
# Categories the platform's other services hold: a deletion names them, and those
# services erase them when DataErased reaches them.
HELD_ELSEWHERE = frozenset(
    {
        "design_projects",
        "marketing_tools",
        "orders_and_payment",
        "activity_logs",
        "customer_service",
        "cookies",
        "push_interests",
    }
)
ERASABLE = frozenset(ERASED_ROWS) | frozenset(ERASED_COLUMNS) | HELD_ELSEWHERE


async def erase_categories(
    ctx: RequestContext,
    account: Account,
    keys: list[str],
    *,
    reason: str,
    data_request: DataRequest | None = None,
) -> None:
    """Erase the named categories of the account, in the caller's unit of work, and tell
    the services that hold the others (DataErased names every category)."""
    for key in keys:
        model = ERASED_ROWS.get(key)
        if model is not None:
            await ctx.session.execute(
                delete(model).where(model.account_id == account.id)  # type: ignore[attr-defined]
            )
        for column in ERASED_COLUMNS.get(key, ()):
            if column == "display_name":
                account.display_name = new_display_name()
                # The person's own reads were logged under the name they had then.
                await ctx.session.execute(
                    update(AccessLogEntry)
                    .where(
                        AccessLogEntry.subject_id == account.id,
                        AccessLogEntry.actor_kind == ActorKind.SELF,
                    )
                    .values(actor_name=account.display_name)
                    .execution_options(synchronize_session=False)
                )
            elif column == "needs":
                account.needs = []
            else:
                setattr(account, column, None)
    await ctx.session.flush()
    await record(
        ctx,
        EventType.DATA_ERASED,
        {
            "categories": keys,
            "reason": reason,
            "dataRequestId": (
                to_global_id("DataRequest", data_request.id) if data_request is not None else None
            ),
        },
        account=account,
    )
    ctx.loaders.real_name_by_account.clear(account.id)
    ctx.loaders.student_by_account.clear(account.id)
    ctx.loaders.bank_cards_by_account.clear(account.id)


def _next_midnight(moment: datetime) -> datetime:
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == moment else midnight + timedelta(days=1)


async def keep_pseudonymised(ctx: RequestContext, account: Account) -> None:
    """The account's sign-in history and access log, copied under a fresh pseudonym that
    nothing else holds, for the six months network-security law asks: no account, no
    request, no sensitive value (the network masked, no user agent, the holder's own
    name left out)."""
    pseudonym = uuid.uuid4()
    now = ctx.now()
    # Not the cancellation's moment, which the account's request and AccountCancelled
    # event hold with its id, but the next midnight (UTC): kept from then, the copies
    # still stay the full six months.
    retained_at = _next_midnight(now)
    sign_ins = await ctx.session.scalars(
        select(LoginEvent).where(LoginEvent.account_id == account.id)
    )
    ctx.session.add_all(
        RetainedLog(
            pseudonym=pseudonym,
            kind=RetainedKind.SIGN_IN.value,
            at=event.created_at,
            method=event.method.value,
            success=event.success,
            network=mask(SensitiveKind.IP_ADDRESS, event.ip_address) if event.ip_address else None,
            retained_at=retained_at,
        )
        for event in sign_ins
    )
    views = await ctx.session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.subject_id == account.id)
    )
    ctx.session.add_all(
        RetainedLog(
            pseudonym=pseudonym,
            kind=RetainedKind.VIEW.value,
            at=entry.created_at,
            actor_kind=entry.actor_kind.value,
            actor_name=entry.actor_name if entry.actor_kind is ActorKind.STAFF else None,
            field=entry.field.value,
            clear=entry.clear,
            retained_at=retained_at,
        )
        for entry in views
    )
    await ctx.session.flush()
