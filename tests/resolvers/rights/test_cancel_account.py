"""cancelAccount: irreversible and atomic (docs/spec/rights.md#cancellation)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AccessLogEntry,
    Account,
    AccountKind,
    AccountStatus,
    ActorKind,
    AuthSession,
    BankCard,
    Base,
    Consent,
    ConsentEvent,
    ConsentPurpose,
    DataRequestRequester,
    DataRequestStatus,
    DataRequestType,
    DevicePermission,
    DevicePermissionEvent,
    DevicePermissionKind,
    EmailConfirmation,
    GuardianConsent,
    IdentityProvider,
    LoginEvent,
    LoginMethod,
    Notification,
    OAuthState,
    ProcessingRestriction,
    RealNameVerification,
    RequesterRelation,
    RequestOrigin,
    SearchEntry,
    SensitiveKind,
    StudentVerification,
    ThirdPartyIdentity,
)
from models.encryption import encrypted_attributes
from resolvers.accounts import erasure
from resolvers.global_id import to_global_id
from tests.fakes.wechat import FakeWechat, FakeWechatUser
from tests.helpers import graphql
from tests.resolvers.rights.helpers import (
    EMAIL,
    PHONE,
    VIEWER_ACCOUNT,
    count_rows,
    create_person,
    staff_token,
    stepped_up_session,
)
from tests.support.api import Api
from tests.support.assertions import (
    EMPTY_PROFILE,
    STEP_UP_REQUIRED,
    USER_ERRORS,
    data_of,
    error,
    without_locations,
)
from tests.support.factories import (
    bank_card,
    create_data_request,
    verification,
)
from tests.support.ids import global_id
from tests.support.students import student_verification
from tests.support.viewers import PASSWORD, step_up_with_password
from tests.support.wechat import in_process_wechat

CANCEL = f"""
mutation($input: CancelAccountInput!) {{ cancelAccount(input: $input) {{ ok {USER_ERRORS} }} }}
"""
UNAUTHENTICATED = {
    "errors": [
        {
            "message": "The bearer token is malformed, expired or revoked.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}
INVALID_CONFIRMATION = error(
    "INVALID_INPUT", 'Type "CANCEL" to confirm; this cannot be undone.', "confirmation"
)
OPEN_ID = "o-zhang-openid"
WECHAT_USER = FakeWechatUser(openid=OPEN_ID, unionid="u-zhang-unionid", nickname="小张")
# The personal data erased with the account, by the tables that hold it
# (docs/spec/rights.md#cancellation).
ERASED = (
    ThirdPartyIdentity,
    RealNameVerification,
    StudentVerification,
    BankCard,
    GuardianConsent,
    SearchEntry,
    LoginEvent,
    DevicePermission,
    DevicePermissionEvent,
    ProcessingRestriction,
    AuthSession,
)


fake, services = in_process_wechat()


@pytest.fixture
async def holder(api: Api, person: Account) -> Account:
    """The rights tests' person, holding a row of every kind of personal data."""
    await add_personal_data(api.db, person, api.clock())
    return person


async def cancel(
    client: httpx.AsyncClient, token: str, confirmation: str = "CANCEL"
) -> dict[str, Any]:
    body = await graphql(client, CANCEL, {"input": {"confirmation": confirmation}}, token=token)
    return data_of(body, "cancelAccount")


async def cancelled(api: Api, account: Account) -> None:
    """The account cancelled by its holder, in a session stepped up with the password."""
    payload = await cancel(api.client, await stepped_up_session(api, account))
    assert payload == {"ok": True, "userErrors": []}


async def status_code_of(client: httpx.AsyncClient, token: str) -> tuple[int, Any]:
    response = await client.post(
        "/graphql", json={"query": VIEWER_ACCOUNT}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code, response.json()


async def add_personal_data(db: AsyncSession, account: Account, now: datetime) -> None:
    """A row of every kind of personal data the account can hold."""
    account.avatar_url = "https://cdn.example/avatars/zhang.png"
    account.birth_date = date(1990, 5, 17)
    account.bio = "Poster designer"
    account.industry = "Design"
    account.position = "Lead"
    account.company_size = "10-50"
    account.needs = ["posters", "logos"]
    account.accepted_policy_version = "1.0"
    account.accepted_policy_at = now
    account.email_verified_at = now
    identity = ThirdPartyIdentity(
        account_id=account.id, provider=IdentityProvider.WECHAT, nickname="小张", created_at=now
    )
    identity.open_id = OPEN_ID
    identity.union_id = "u-zhang-unionid"
    real_name = verification(RealNameVerification, account.id, now)
    student = student_verification(account.id, now)
    card = bank_card(account.id, "6222020200112345679", now)
    guardian = GuardianConsent(account_id=account.id, granted_at=now)
    guardian.guardian_name = "王五"
    guardian.guardian_phone = "+8613600136000"
    search = SearchEntry(account_id=account.id, created_at=now)
    search.query = "wedding posters"
    login = LoginEvent(
        account_id=account.id, created_at=now, method=LoginMethod.SMS_CODE, success=True
    )
    login.ip_address = "203.0.113.7"
    confirmation = EmailConfirmation(
        account_id=account.id,
        token_hash=b"t" * 32,
        created_at=now,
        expires_at=now + timedelta(days=1),
    )
    confirmation.email = "new.address@example.com"
    db.add_all(
        [
            identity,
            real_name,
            student,
            card,
            guardian,
            search,
            login,
            confirmation,
            DevicePermission(
                account_id=account.id,
                permission=DevicePermissionKind.CAMERA,
                enabled=True,
                updated_at=now,
            ),
            DevicePermissionEvent(
                account_id=account.id,
                permission=DevicePermissionKind.CAMERA,
                enabled=True,
                created_at=now,
            ),
            Consent(
                account_id=account.id,
                purpose=ConsentPurpose.SEARCH_HISTORY,
                granted=True,
                policy_version="1.0",
                updated_at=now,
            ),
            ProcessingRestriction(
                account_id=account.id, purpose=ConsentPurpose.TARGETED_PUSH, created_at=now
            ),
            ConsentEvent(
                account_id=account.id,
                purpose=ConsentPurpose.SEARCH_HISTORY,
                granted=True,
                policy_version="1.0",
                created_at=now,
            ),
            ConsentEvent(
                account_id=account.id,
                purpose=ConsentPurpose.SENSITIVE_BANK_CARD,
                granted=True,
                policy_version="1.0",
                created_at=now,
            ),
            Notification(
                account_id=account.id, kind="POLICY_UPDATED", title="t", body="b", created_at=now
            ),
            AccessLogEntry(
                subject_id=account.id,
                created_at=now,
                actor_kind=ActorKind.SELF,
                actor_name="Zhang San",
                field=SensitiveKind.PHONE,
            ),
            OAuthState(
                state_hash=b"s" * 32,
                redirect_uri="http://localhost/cb",
                account_id=account.id,
                created_at=now,
                expires_at=now + timedelta(minutes=10),
            ),
        ]
    )
    request = await create_data_request(db, account, now)
    request.details = "Please close my account."
    await db.flush()


def account_models() -> list[type[Any]]:
    """The accounts table and every model whose rows belong to an account, found in
    the metadata."""
    return [Account] + [
        mapper.class_
        for mapper in Base.registry.mappers
        if any(
            fk.column.table.name == "accounts"
            for column in mapper.class_.__table__.columns
            for fk in column.foreign_keys
        )
        and mapper.class_ is not Account
    ]


def owner_column(model: type[Any]) -> Any:
    """The attribute by which rows of `model` belong to an account."""
    if model is Account:
        return Account.id
    for column in model.__table__.columns:
        if any(fk.column.table.name == "accounts" for fk in column.foreign_keys):
            return getattr(model, model.__mapper__.get_property_by_column(column).key)
    raise LookupError(model.__tablename__)


async def snapshot(db: AsyncSession, account: Account) -> dict[str, Any]:
    """Everything stored of the account, read afresh from the database."""
    rows: dict[str, Any] = {}
    for model in account_models():
        column = owner_column(model)
        statement = (
            select(model)
            .where(column == account.id)
            .order_by(*model.__mapper__.primary_key)
            .execution_options(populate_existing=True)
        )
        rows[model.__tablename__] = [
            {c.key: getattr(row, c.key) for c in model.__mapper__.column_attrs}
            for row in (await db.scalars(statement)).all()
        ]
    return rows


async def sealed_values_left(db: AsyncSession, account: Account) -> list[str]:
    """The sealed values still stored for the account, by table and attribute."""
    left = []
    for model in account_models():
        column = owner_column(model)
        statement = (
            select(model).where(column == account.id).execution_options(populate_existing=True)
        )
        for row in (await db.scalars(statement)).all():
            for attribute in encrypted_attributes(model):
                if getattr(row, attribute.column) is not None:
                    left.append(f"{model.__tablename__}.{attribute.name}")
                if attribute.index and getattr(row, attribute.index) is not None:
                    left.append(f"{model.__tablename__}.{attribute.index}")
    return left


@pytest.mark.parametrize("kind", [AccountKind.INDIVIDUAL, AccountKind.BUSINESS])
async def test_a_cancelled_account_is_an_empty_shell_and_its_sessions_end(
    api: Api,
    kind: AccountKind,
) -> None:
    person = await create_person(api.db, api.clock(), kind=kind, display_name="Zhang San")
    await add_personal_data(api.db, person, api.clock())
    other_device = await api.sign_in(account=person)
    token = await api.sign_in(account=person)
    consent_events = [row["id"] for row in (await snapshot(api.db, person))["consent_events"]]
    await step_up_with_password(api.client, token)

    payload = await cancel(api.client, token)

    assert payload == {"ok": True, "userErrors": []}
    account = await api.db.get_one(Account, person.id, populate_existing=True)
    assert account.status is AccountStatus.CANCELLED
    assert {
        "phone": account.phone,
        "email": account.email,
        "password_hash": account.password_hash,
        "avatar_url": account.avatar_url,
        "birth_date": account.birth_date,
        "bio": account.bio,
        "industry": account.industry,
        "position": account.position,
        "company_size": account.company_size,
        "needs": account.needs,
        "email_verified_at": account.email_verified_at,
        "business_name": account.business_name,
        "ur_token": account.ur_token,
    } == {
        "phone": None,
        "email": None,
        "password_hash": None,
        "avatar_url": None,
        "birth_date": None,
        "bio": None,
        "industry": None,
        "position": None,
        "company_size": None,
        "needs": [],
        "email_verified_at": None,
        "business_name": None,
        "ur_token": None,
    }
    assert account.display_name != "Zhang San"
    left = {
        model.__tablename__: await count_rows(api.db, model, account_id=person.id)
        for model in ERASED
    }
    assert left == dict.fromkeys(left, 0)
    assert await sealed_values_left(api.db, person) == []
    kept = await snapshot(api.db, person)
    assert [row["id"] for row in kept["consent_events"]] == consent_events
    for token_of_a_session in (token, other_device):
        assert await status_code_of(api.client, token_of_a_session) == (401, UNAUTHENTICATED)


@pytest.mark.parametrize("confirmation", ["cancel", "", "CANCEL ", "Cancel", "YES"])
async def test_anything_but_cancel_is_refused_and_changes_nothing(
    api: Api, holder: Account, confirmation: str
) -> None:
    token = await stepped_up_session(api, holder)
    before = await snapshot(api.db, holder)

    payload = await cancel(api.client, token, confirmation)

    assert payload == {"ok": False, "userErrors": [INVALID_CONFIRMATION]}
    assert await snapshot(api.db, holder) == before


async def test_cancelling_needs_step_up(api: Api, holder: Account) -> None:
    token = await api.sign_in(account=holder)
    before = await snapshot(api.db, holder)

    payload = await cancel(api.client, token)

    assert payload == {"ok": False, "userErrors": [STEP_UP_REQUIRED]}
    assert await snapshot(api.db, holder) == before
    assert (await status_code_of(api.client, token))[0] == 200


async def test_the_phone_registers_again_as_a_new_empty_account(
    api: Api, holder: Account, outbox: Any
) -> None:
    await cancelled(api, holder)

    sent = await graphql(
        api.client,
        "mutation($input: RequestSmsCodeInput!) { requestSmsCode(input: $input) { sent } }",
        {"input": {"phone": "13812345678", "purpose": "LOGIN"}},
    )
    assert sent == {"data": {"requestSmsCode": {"sent": True}}}
    code = next(m.code for m in outbox.for_recipient(PHONE) if m.purpose == "LOGIN")
    login = await graphql(
        api.client,
        """
        mutation($input: LoginWithSmsInput!) {
          loginWithSms(input: $input) { accessToken isNewAccount account { id } userErrors { code } }
        }
        """,
        {"input": {"phone": "13812345678", "code": code, "acceptPolicyVersion": "1.0"}},
    )

    signed_in = login["data"]["loginWithSms"]
    assert signed_in["userErrors"] == []
    assert signed_in["isNewAccount"] is True
    assert signed_in["account"]["id"] != global_id(holder)
    body = await graphql(api.client, EVERYTHING_OF_THE_VIEWER, token=signed_in["accessToken"])
    assert "errors" not in body, body
    assert body["data"]["viewer"]["account"] == {
        "id": signed_in["account"]["id"],
        "status": "ACTIVE",
        "displayName": body["data"]["viewer"]["account"]["displayName"],
        "avatarUrl": None,
        "phone": "138****5678",
        "email": None,
        "profile": {"bio": None, "industry": None, "position": None, "needs": []},
        "identities": [],
        "verifications": {"realName": None, "student": None},
        "bankCards": [],
        "searchHistory": {"edges": []},
        "notifications": {"edges": []},
        "dataRequests": {"totalCount": 0},
        "accessLog": {"edges": []},
        "loginHistory": {"edges": [{"node": {"method": "SMS_CODE"}}]},
    }
    assert body["data"]["viewer"]["account"]["displayName"] != "Zhang San"
    old = await graphql(
        api.client,
        "query($id: ID!) { node(id: $id) { id } account(id: $id) { id } }",
        {"id": global_id(holder)},
        token=signed_in["accessToken"],
    )
    assert old == {"data": {"node": None, "account": None}}


EVERYTHING_OF_THE_VIEWER = """
query {
  viewer {
    account {
      id status displayName avatarUrl phone email
      profile { bio industry position needs }
      identities { provider }
      verifications { realName { status } student { status } }
      bankCards { last4 }
      searchHistory { edges { node { query } } }
      notifications { edges { node { title } } }
      dataRequests { totalCount }
      accessLog { edges { node { field } } }
      loginHistory { edges { node { method } } }
    }
  }
}
"""


async def test_the_email_and_the_wechat_account_can_be_used_again(
    api: Api, holder: Account, fake: FakeWechat
) -> None:
    await cancelled(api, holder)

    business = await graphql(
        api.client,
        """
        mutation($input: RegisterBusinessInput!) {
          registerBusiness(input: $input) { isNewAccount account { id } userErrors { code } }
        }
        """,
        {
            "input": {
                "email": EMAIL,
                "businessName": "New Business",
                "urToken": "ur-new",
                "password": PASSWORD,
                "acceptPolicyVersion": "1.0",
            }
        },
    )
    state = await graphql(
        api.client,
        "query($uri: String!) { wechatAuthorizeUrl(redirectUri: $uri) { state } }",
        {"uri": "http://localhost:5173/auth/wechat"},
    )
    wechat = await graphql(
        api.client,
        """
        mutation($input: LoginWithWechatInput!) {
          loginWithWechat(input: $input) {
            isNewAccount account { id } userErrors { code }
          }
        }
        """,
        {
            "input": {
                "code": fake.issue_code(WECHAT_USER),
                "state": state["data"]["wechatAuthorizeUrl"]["state"],
                "acceptPolicyVersion": "1.0",
            }
        },
    )

    assert business["data"]["registerBusiness"]["userErrors"] == []
    assert business["data"]["registerBusiness"]["isNewAccount"] is True
    registered = wechat["data"]["loginWithWechat"]
    assert registered["userErrors"] == []
    assert registered["isNewAccount"] is True
    identity = (
        await api.db.scalars(
            select(ThirdPartyIdentity).where(
                ThirdPartyIdentity.open_id_index == ThirdPartyIdentity.open_id.index_of(OPEN_ID)
            )
        )
    ).one()
    assert to_global_id("IndividualAccount", identity.account_id) == registered["account"]["id"]
    new_ids = {registered["account"]["id"], business["data"]["registerBusiness"]["account"]["id"]}
    assert global_id(holder) not in new_ids
    assert len(new_ids) == 2


async def test_staff_see_the_cancelled_shell_and_nobody_else_reaches_it(
    api: Api, holder: Account
) -> None:
    bystander = await create_person(
        api.db, api.clock(), phone="+8613900139000", email="bystander@example.com"
    )
    bystander_token = await api.sign_in(account=bystander)
    officer_token = await staff_token(api)
    await cancelled(api, holder)
    query = """
    query($id: ID!) {
      account(id: $id) {
        id kind status avatarUrl phone email
        profile { bio industry position companySize needs }
        identities { provider } bankCards { last4 } verifications { realName { status } }
      }
      node(id: $id) { id }
    }
    """

    as_staff = await graphql(api.client, query, {"id": global_id(holder)}, token=officer_token)
    as_bystander = await graphql(
        api.client, query, {"id": global_id(holder)}, token=bystander_token
    )

    assert as_staff == {
        "data": {
            "account": {
                "id": global_id(holder),
                "kind": "INDIVIDUAL",
                "status": "CANCELLED",
                "avatarUrl": None,
                "phone": None,
                "email": None,
                "profile": EMPTY_PROFILE,
                "identities": [],
                "bankCards": [],
                "verifications": {"realName": None},
            },
            "node": {"id": global_id(holder)},
        }
    }
    assert as_bystander == {"data": {"account": None, "node": None}}


async def test_an_enterprises_cancellation_cancels_its_sub_accounts(api: Api) -> None:
    enterprise = await create_person(
        api.db, api.clock(), kind=AccountKind.ENTERPRISE, display_name="Acme Group"
    )
    members = [
        await create_person(
            api.db,
            api.clock(),
            kind=AccountKind.SUB_ACCOUNT,
            display_name=f"Member {n}",
            phone=f"+861370013700{n}",
            email=f"member{n}@acme.example",
            enterprise=enterprise,
        )
        for n in range(2)
    ]
    await add_personal_data(api.db, members[0], api.clock())
    bystander = await create_person(
        api.db, api.clock(), phone="+8613900139000", email="b@example.com"
    )
    member_tokens = [await api.sign_in(account=m) for m in members]
    bystander_token = await api.sign_in(account=bystander)
    token = await stepped_up_session(api, enterprise)

    payload = await cancel(api.client, token)

    assert payload == {"ok": True, "userErrors": []}
    for account in [enterprise, *members]:
        row = await api.db.get_one(Account, account.id, populate_existing=True)
        assert row.status is AccountStatus.CANCELLED
        assert row.company_name is None
        assert row.display_name not in {"Acme Group", "Member 0", "Member 1"}
        assert await sealed_values_left(api.db, account) == []
        assert await count_rows(api.db, AuthSession, account_id=account.id) == 0
    for member_token in member_tokens:
        assert await status_code_of(api.client, member_token) == (401, UNAUTHENTICATED)
    assert (await status_code_of(api.client, bystander_token))[0] == 200
    assert (await api.db.get_one(Account, bystander.id)).status is AccountStatus.ACTIVE


async def test_a_failure_part_way_changes_nothing(
    api: Api, holder: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await stepped_up_session(api, holder)
    before = await snapshot(api.db, holder)
    issued: list[type[Any]] = []

    def delete_failing_at_the_fourth_table(model: type[Any]) -> Any:
        if len(issued) == 3:
            raise RuntimeError("the database went away")
        issued.append(model)
        return delete(model)

    monkeypatch.setattr(erasure, "delete", delete_failing_at_the_fourth_table)

    body = await graphql(api.client, CANCEL, {"input": {"confirmation": "CANCEL"}}, token=token)

    # Three tables with rows of the account were deleted from before the failure.
    assert len(issued) == 3
    assert all(before[model.__tablename__] for model in issued)
    assert body["data"] is None
    assert [
        (error["message"], error["path"], error["extensions"]["code"]) for error in body["errors"]
    ] == [("Internal server error.", ["cancelAccount"], "INTERNAL_SERVER_ERROR")]
    assert await snapshot(api.db, holder) == before
    assert await status_code_of(api.client, token) == (
        200,
        {"data": {"viewer": {"account": {"id": global_id(holder), "status": "ACTIVE"}}}},
    )


async def test_a_minor_awaiting_guardian_consent_may_cancel(api: Api) -> None:
    person = await create_person(
        api.db,
        api.clock(),
        status=AccountStatus.PENDING_GUARDIAN_CONSENT,
        birth_date=api.clock().date() - timedelta(days=15 * 366),
    )
    token = await stepped_up_session(api, person)

    payload = await cancel(api.client, token)

    assert payload == {"ok": True, "userErrors": []}
    account = await api.db.get_one(Account, person.id, populate_existing=True)
    assert account.status is AccountStatus.CANCELLED
    assert account.birth_date is None


async def test_a_sub_account_does_not_cancel_itself(api: Api) -> None:
    """It belongs to its enterprise, which deletes it: not even a stepped-up session of
    its own ends it."""
    enterprise = await create_person(
        api.db, api.clock(), kind=AccountKind.ENTERPRISE, display_name="Acme Group"
    )
    member = await create_person(
        api.db,
        api.clock(),
        kind=AccountKind.SUB_ACCOUNT,
        display_name="Member",
        phone="+8613700137001",
        email="member@acme.example",
        enterprise=enterprise,
    )
    token = await stepped_up_session(api, member)

    body = await graphql(api.client, CANCEL, {"input": {"confirmation": "CANCEL"}}, token=token)

    assert without_locations(body) == {
        "data": None,
        "errors": [
            {
                "message": "A sub-account is deleted by its enterprise, not by itself.",
                "path": ["cancelAccount"],
                "extensions": {"code": "FORBIDDEN"},
            }
        ],
    }
    assert (await api.db.get_one(Account, member.id, populate_existing=True)).status is (
        AccountStatus.ACTIVE
    )


async def test_no_request_about_the_person_keeps_what_identifies_them(
    api: Api, person: Account
) -> None:
    """What staff wrote of a correction or a note, and the name and contact a guardian gave
    for the person, are the person's data too: they go with the account; who filed the
    request and how it ended stay (docs/spec/rights.md#cancellation)."""
    corrected = await create_data_request(
        api.db,
        person,
        api.clock(),
        type=DataRequestType.CORRECTION,
        status=DataRequestStatus.FULFILLED,
    )
    corrected.correction = "Address changed to 5 Lamp Street, Hangzhou."
    corrected.resolution_note = "Zhang San's address corrected."
    filed = await create_data_request(api.db, person, api.clock(), type=DataRequestType.ACCESS_COPY)
    filed.origin = RequestOrigin.VERIFIED_CONTACT
    requester = DataRequestRequester(
        data_request_id=filed.id, relation=RequesterRelation.GUARDIAN, proven_at=api.clock()
    )
    requester.name = "Zhang Wei"
    requester.phone = "+8613900000001"
    requester.subject_name = "Zhang San"
    requester.subject_contact = PHONE
    requester.evidence = "Household register, case 42"
    api.db.add(requester)
    token = await stepped_up_session(api, person)

    payload = await cancel(api.client, token)

    assert payload == {"ok": True, "userErrors": []}
    await api.db.refresh(corrected)
    await api.db.refresh(filed)
    await api.db.refresh(requester)
    assert (corrected.correction, corrected.resolution_note) == (None, None)
    assert (corrected.type, corrected.status) == (
        DataRequestType.CORRECTION,
        DataRequestStatus.FULFILLED,
    )
    assert (requester.subject_name, requester.subject_contact) == (None, None)
    assert (requester.name, requester.phone, requester.evidence) == (
        "Zhang Wei",
        "+8613900000001",
        "Household register, case 42",
    )
