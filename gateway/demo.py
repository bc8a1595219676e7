"""The demo data (docs/spec/limits.md#demo-data), created idempotently by `seed --demo`."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import hash_password
from models import (
    Account,
    AccountKind,
    BankCard,
    BankCardType,
    Consent,
    ConsentEvent,
    ConsentPurpose,
    EnterprisePermission,
    IdentityProvider,
    RealNameVerification,
    StaffMember,
    StaffRole,
    SubAccountRole,
    ThirdPartyIdentity,
    VerificationStatus,
    queries,
)

DEMO_PASSWORD = "demo-Password-1"  # noqa: S105 (published demo credentials)
# The demo privacy officer's authenticator secret, published like the password: any
# TOTP app (or pyotp) shows its codes. Demo data is refused outside development and test.
DEMO_TOTP_SECRET = "XIAMODEMOPRIVACYOFFICER2"  # noqa: S105 (published demo credentials)
DEMO_INDIVIDUAL_PHONE = "+8613800138000"
DEMO_SUB_ACCOUNTS = 25
DEMO_ADMINS = 3  # member01..03 are admins; the rest are members
ADMIN_PERMISSIONS = (
    EnterprisePermission.MANAGE_SUB_ACCOUNTS,
    EnterprisePermission.VIEW_SUB_ACCOUNTS,
    EnterprisePermission.MANAGE_BILLING,
)
MEMBER_PERMISSIONS = (EnterprisePermission.MANAGE_PROJECTS, EnterprisePermission.VIEW_ORDERS)
# A published sample number of GB 11643 and a card number that passes Luhn.
DEMO_REAL_NAME = "张三"
DEMO_ID_NUMBER = "11010519491231002X"
DEMO_CARD_NUMBER = "6222020200112345679"
DEMO_CONSENTS = (
    ConsentPurpose.SENSITIVE_REAL_NAME,
    ConsentPurpose.SENSITIVE_BANK_CARD,
    ConsentPurpose.SEARCH_HISTORY,
    ConsentPurpose.PERSONALIZED_RECOMMENDATIONS,
)


async def _account(
    session: AsyncSession, *, phone: str | None, email: str | None, make: Account
) -> tuple[Account, bool]:
    existing = None
    if email is not None:
        existing = await queries.account_by_email(session, email)
    elif phone is not None:
        existing = await queries.account_by_phone(session, phone)
    if existing is not None:
        return existing, False
    if phone is not None:
        make.phone = phone
    if email is not None:
        make.email = email
    session.add(make)
    await session.flush()
    return make, True


async def seed_demo(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Create what is missing of the demo data; returns how many rows of each were added."""
    added = {"accounts": 0, "staff": 0}
    password = await hash_password(DEMO_PASSWORD)
    common = {"created_at": now, "accepted_policy_version": "1.0", "accepted_policy_at": now}

    individual, created = await _account(
        session,
        phone=DEMO_INDIVIDUAL_PHONE,
        email=None,
        make=Account(
            kind=AccountKind.INDIVIDUAL,
            display_name="Demo Individual",
            birth_date=date(1990, 5, 17),
            **common,
        ),
    )
    added["accounts"] += created
    if created:
        _individual_details(session, individual, now)
    _, created = await _account(
        session,
        phone=None,
        email="biz@demo.example",
        make=Account(
            kind=AccountKind.BUSINESS,
            display_name="Demo Business",
            business_name="Demo Business Ltd.",
            ur_token="demo-ur-token",  # noqa: S106 (a demo registration token, not a secret)
            password_hash=password,
            password_changed_at=now,
            **common,
        ),
    )
    added["accounts"] += created
    enterprise, created = await _account(
        session,
        phone="+8613900139000",
        email="ent@demo.example",
        make=Account(
            kind=AccountKind.ENTERPRISE,
            display_name="Demo Enterprise",
            company_name="Demo Enterprise Co., Ltd.",
            password_hash=password,
            password_changed_at=now,
            **common,
        ),
    )
    added["accounts"] += created
    for number in range(1, DEMO_SUB_ACCOUNTS + 1):
        _, created = await _account(
            session,
            phone=f"+86137001370{number:02d}",
            email=f"member{number:02d}@demo.example",
            make=Account(
                kind=AccountKind.SUB_ACCOUNT,
                display_name=f"Demo Member {number:02d}",
                enterprise_id=enterprise.id,
                role=SubAccountRole.ADMIN if number <= DEMO_ADMINS else SubAccountRole.MEMBER,
                permissions=sorted(
                    ADMIN_PERMISSIONS if number <= DEMO_ADMINS else MEMBER_PERMISSIONS
                ),
                password_hash=password,
                password_changed_at=now,
                **{**common, "created_at": now + timedelta(seconds=number)},
            ),
        )
        added["accounts"] += created
    if await queries.staff_by_email(session, "officer@demo.example") is None:
        officer = StaffMember(
            name="Demo Privacy Officer",
            role=StaffRole.PRIVACY_OFFICER,
            password_hash=password,
            password_changed_at=now,
            created_at=now,
        )
        officer.email = "officer@demo.example"
        officer.totp_secret = DEMO_TOTP_SECRET
        session.add(officer)
        added["staff"] += 1
    return added


def _individual_details(session: AsyncSession, account: Account, now: datetime) -> None:
    """A verified real name, one bank card, a linked WeChat identity and a few consents."""
    real_name = RealNameVerification(
        account_id=account.id,
        status=VerificationStatus.VERIFIED,
        submitted_at=now,
        verified_at=now,
    )
    real_name.real_name = DEMO_REAL_NAME
    real_name.id_number = DEMO_ID_NUMBER
    card = BankCard(
        account_id=account.id,
        bank_name="中国工商银行",
        branch="Beijing Haidian Branch",
        location="Beijing",
        last4=DEMO_CARD_NUMBER[-4:],
        card_type=BankCardType.DEBIT,
        bound_at=now,
    )
    card.card_number = DEMO_CARD_NUMBER
    card.holder_name = DEMO_REAL_NAME
    identity = ThirdPartyIdentity(
        account_id=account.id,
        provider=IdentityProvider.WECHAT,
        nickname="Demo WeChat",
        created_at=now,
    )
    identity.open_id = "oDemoOpenId000000000000000001"
    session.add_all([real_name, card, identity])
    for purpose in DEMO_CONSENTS:
        # The state and the event that recorded it, as granting does.
        given = {"account_id": account.id, "purpose": purpose, "policy_version": "1.0"}
        session.add(Consent(**given, granted=True, updated_at=now))
        session.add(ConsentEvent(**given, granted=True, created_at=now))
