"""Data, viewers and response shapes the masking tests share.

Every sensitive value of the test data has its clear form and its masked form written
out here, by hand, from docs/spec/masking-and-viewers.md#mask-formats.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import hash_password
from models import (
    AccessLogEntry,
    Account,
    AccountKind,
    DataRequest,
    DataRequestRequester,
    DataRequestStatus,
    DataRequestType,
    GuardianConsent,
    IdentityProvider,
    LoginEvent,
    LoginMethod,
    RealNameVerification,
    RequesterRelation,
    RequestOrigin,
    SearchEntry,
    StaffRole,
    StudentVerification,
    ThirdPartyIdentity,
)
from resolvers.global_id import to_global_id
from tests.support.api import Api
from tests.support.factories import (
    bank_card,
    create_account,
    verification,
)
from tests.support.factories import create_data_request as open_request
from tests.support.ids import ACCOUNT_TYPES
from tests.support.staff import STAFF_NAMES

PASSWORD = "masking-Test-1"  # noqa: S105 (a test account's password)

DISPLAY_NAMES = {
    AccountKind.INDIVIDUAL: "Zhang Individual",
    AccountKind.BUSINESS: "Acme Business",
    AccountKind.ENTERPRISE: "Acme Enterprise",
    AccountKind.SUB_ACCOUNT: "Wang Member",
}
STAFF_NAME = STAFF_NAMES[StaffRole.PRIVACY_OFFICER]

# (type, field) -> (clear value as stored, the value masked as
# docs/spec/masking-and-viewers.md#mask-formats says;
# None where the masked form is withheld: a birth date masked is no date).
SAMPLES: dict[tuple[str, str], tuple[str, str | None]] = {
    ("IndividualAccount", "phone"): ("+8613812345678", "138****5678"),
    ("IndividualAccount", "email"): ("zhang.san@example.com", "z***@example.com"),
    ("BusinessAccount", "phone"): ("+447911123456", "+44******3456"),
    ("BusinessAccount", "email"): ("orders@acme.example", "o***@acme.example"),
    ("EnterpriseAccount", "phone"): ("+8613900139000", "139****9000"),
    ("EnterpriseAccount", "email"): ("admin@ent.example", "a***@ent.example"),
    ("SubAccount", "phone"): ("+8613700137001", "137****7001"),
    ("SubAccount", "email"): ("member@ent.example", "m***@ent.example"),
    ("ThirdPartyIdentity", "openId"): ("oAbCdEfGhIjK", "oAbC********"),
    ("RealNameVerification", "realName"): ("张三丰", "**丰"),
    ("RealNameVerification", "idNumber"): ("11010519491231002X", "1****************X"),
    ("StudentVerification", "realName"): ("Ann Lee", "*** **e"),
    ("StudentVerification", "idNumber"): ("110105200501010016", "1****************6"),
    ("BankCard", "cardNumber"): ("6222020200112345679", "***************5679"),
    ("BankCard", "holderName"): ("李四", "*四"),
    ("GuardianConsent", "guardianName"): ("王五", "*五"),
    ("GuardianConsent", "guardianPhone"): ("+8613600136000", "136****6000"),
    ("LoginEvent", "ipAddress"): ("203.0.113.7", "203.0.113.*"),
    ("LoginEvent", "userAgent"): ("tests", "t****"),
    ("IndividualAccount", "birthDate"): ("1990-05-17", None),
    ("StudentVerification", "school"): ("Peking University", "P***** **********"),
    ("StudentVerification", "major"): ("Design", "D*****"),
    ("SearchEntry", "query"): ("chairs for kids", "c***** *** ****"),
    ("Session", "userAgent"): ("Mozilla/5.0 Firefox/128", "M********** ***********"),
    ("DataRequest", "details"): ("Please correct my school", "P***** ******* ** ******"),
    ("DataRequest", "correction"): ("School name fixed", "S***** **** *****"),
    ("DataRequestRequester", "name"): ("王芳", "*芳"),
    ("DataRequestRequester", "phone"): ("+8613500135000", "135****5000"),
    ("DataRequestRequester", "email"): ("wang.fang@example.com", "w***@example.com"),
    ("DataRequestRequester", "subjectName"): ("张小明", "**明"),
    ("DataRequestRequester", "subjectContact"): ("+8613812345678", "+*************"),
    ("DataRequestRequester", "evidence"): (
        "Birth certificate, file 117",
        "B**** ************ **** ***",
    ),
}


def clear(type_name: str, field: str) -> str:
    return SAMPLES[(type_name, field)][0]


def masked(type_name: str, field: str) -> str | None:
    return SAMPLES[(type_name, field)][1]


async def create_subject(
    db: AsyncSession,
    kind: AccountKind,
    now: datetime,
    *,
    enterprise: Account | None = None,
    with_password: bool = False,
) -> Account:
    """An account of `kind` with its sample phone and e-mail address."""
    type_name = ACCOUNT_TYPES[kind]
    columns: dict[str, Any] = {}
    if kind is AccountKind.BUSINESS:
        columns |= {"business_name": "Acme Ltd", "ur_token": "ur-1"}
    if kind is AccountKind.ENTERPRISE:
        columns["company_name"] = "Acme Enterprise Co."
    if with_password:
        columns |= {"password_hash": await hash_password(PASSWORD), "password_changed_at": now}
    if kind is AccountKind.INDIVIDUAL:
        columns["birth_date"] = date.fromisoformat(clear(type_name, "birthDate"))
    account = await create_account(
        db,
        kind=kind,
        display_name=DISPLAY_NAMES[kind],
        created_at=now,
        enterprise=enterprise,
        **columns,
    )
    account.phone = clear(type_name, "phone")
    account.email = clear(type_name, "email")
    await db.flush()
    return account


async def add_personal_rows(
    db: AsyncSession, account: Account, now: datetime, *, variant: int = 0
) -> None:
    """One row of every kind of personal data an account can hold, with the samples.

    An OpenID belongs to one account only: a `variant` other than 0 changes the sample's
    last two characters, which its masked form does not show.
    """
    identity = ThirdPartyIdentity(
        account_id=account.id, provider=IdentityProvider.WECHAT, nickname="wx", created_at=now
    )
    open_id = clear("ThirdPartyIdentity", "openId")
    identity.open_id = open_id if variant == 0 else f"{open_id[:-2]}{variant:02d}"
    real_name = verification(
        RealNameVerification,
        account.id,
        now,
        verified_at=now,
        real_name=clear("RealNameVerification", "realName"),
        id_number=clear("RealNameVerification", "idNumber"),
    )
    student = verification(
        StudentVerification,
        account.id,
        now,
        school=clear("StudentVerification", "school"),
        major=clear("StudentVerification", "major"),
        enrolled_on=date(2023, 9, 1),
        graduates_on=date(2027, 7, 1),
        verified_at=now,
        real_name=clear("StudentVerification", "realName"),
        id_number=clear("StudentVerification", "idNumber"),
    )
    card = bank_card(
        account.id,
        clear("BankCard", "cardNumber"),
        now,
        holder_name=clear("BankCard", "holderName"),
    )
    login = LoginEvent(
        account_id=account.id,
        created_at=now,
        method=LoginMethod.PASSWORD,
        success=True,
        user_agent=clear("LoginEvent", "userAgent"),
    )
    login.ip_address = clear("LoginEvent", "ipAddress")
    search = SearchEntry(account_id=account.id, created_at=now)
    search.query = clear("SearchEntry", "query")
    # Newer than any request a test opens, so that it is the first of the list.
    later = now + timedelta(days=1)
    answered = DataRequest(
        account_id=account.id,
        type=DataRequestType.CORRECTION,
        status=DataRequestStatus.FULFILLED,
        submitted_at=later,
        due_at=later + timedelta(days=15),
        resolved_at=later,
    )
    answered.details = clear("DataRequest", "details")
    answered.correction = clear("DataRequest", "correction")
    # Filed by a guardian, proven by a code to their phone.
    answered.origin = RequestOrigin.VERIFIED_CONTACT
    requester = DataRequestRequester(
        data_request_id=answered.id, relation=RequesterRelation.GUARDIAN, proven_at=later
    )
    for field in ("name", "phone", "email", "subject_name", "subject_contact", "evidence"):
        camel = "".join(part.title() if i else part for i, part in enumerate(field.split("_")))
        setattr(requester, field, clear("DataRequestRequester", camel))
    db.add_all([identity, real_name, student, card, login, search, answered])
    await db.flush()
    db.add(requester)
    if account.kind is AccountKind.INDIVIDUAL:
        consent = GuardianConsent(account_id=account.id, granted_at=now)
        consent.guardian_name = clear("GuardianConsent", "guardianName")
        consent.guardian_phone = clear("GuardianConsent", "guardianPhone")
        db.add(consent)
    await db.flush()


async def create_data_request(
    db: AsyncSession, account: Account, now: datetime, **details: Any
) -> str:
    """A data request of `account` (the factory's `status` and `type`); its global ID."""
    return to_global_id("DataRequest", (await open_request(db, account, now, **details)).id)


async def enterprise_and_member(api: Api) -> tuple[Account, Account]:
    """An enterprise subject and one sub-account subject of it."""
    enterprise = await create_subject(api.db, AccountKind.ENTERPRISE, api.clock())
    member = await create_subject(
        api.db, AccountKind.SUB_ACCOUNT, api.clock(), enterprise=enterprise
    )
    return enterprise, member


def missing_id(account: Account) -> str:
    """An ID of the same type as `account`'s that names no account."""
    return to_global_id(ACCOUNT_TYPES[account.kind], uuid.uuid4())


async def access_log_count(db: AsyncSession, subject: Account) -> int:
    statement = select(func.count()).where(AccessLogEntry.subject_id == subject.id)
    return int(await db.scalar(statement) or 0)


def nest(path: list[str | int], leaf: Any) -> Any:
    """The response data that holds `leaf` at `path` (list indexes: the first item)."""
    data = leaf
    for key in reversed(path):
        data = [data] if isinstance(key, int) else {key: data}
    return data


def refusal(code: str, path: list[str | int]) -> dict[str, Any]:
    """A top-level error of a refused field, as the client sees it (locations aside)."""
    messages = {
        "FORBIDDEN": "You may not read this field.",
        "STEP_UP_REQUIRED": "Confirm it is you (elevateSession), then ask again.",
    }
    return {"message": messages[code], "path": path, "extensions": {"code": code}}


ACCESS_LOG_QUERY = """
query($first: Int, $after: String) {
  viewer {
    account {
      accessLog(first: $first, after: $after) {
        edges { cursor node { at actorKind actorName field reason } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""
