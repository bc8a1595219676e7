"""Sign-in and sessions: the inputs, payloads and mutations."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from models import SmsPurpose
from resolvers.auth import password, sessions, sms, staff, wechat, wechat_step_up
from resolvers.auth.results import SignedIn
from resolvers.global_id import key_of
from schema.accounts.types import Account, account_object
from schema.common import payload
from schema.context import Info
from schema.payloads import OkPayload, RequestSmsCodePayload, use_case_mutation


@strawberry.input
class RequestSmsCodeInput:
    phone: str | None = None
    purpose: SmsPurpose


@strawberry.input
class LoginWithSmsInput:
    phone: str
    code: str
    birth_date: date | None = None
    accept_policy_version: str | None = None


@strawberry.input
class LoginWithPasswordInput:
    login: str
    password: str
    code: str | None = strawberry.field(
        default=None,
        description=(
            "When the login is locked after failed tries: a LOGIN code sent to its phone "
            "(requestSmsCode) or address (requestEmailCode), proving a second factor."
        ),
    )


@strawberry.input
class RequestEmailCodeInput:
    email: str


@strawberry.input
class LoginWithWechatInput:
    code: str
    state: str
    accept_policy_version: str | None = None
    birth_date: date | None = strawberry.field(
        default=None, description="Registration: the age rules of loginWithSms apply."
    )


@strawberry.input
class RegisterBusinessInput:
    email: str
    business_name: str
    ur_token: str
    password: str
    accept_policy_version: str


@strawberry.input
class RegisterEnterpriseInput:
    company_name: str
    email: str
    phone: str
    sms_code: str
    password: str
    accept_policy_version: str


@strawberry.input
class RefreshSessionInput:
    refresh_token: str


@strawberry.input
class ElevateSessionInput:
    sms_code: str | None = None
    password: str | None = None
    totp: str | None = strawberry.field(
        default=None, description="Staff only: the code of their authenticator (TOTP)."
    )
    wechat_code: str | None = strawberry.field(
        default=None, description="WeChat re-authorisation: the redirect's code."
    )
    wechat_state: str | None = strawberry.field(
        default=None,
        description="The redirect's state, from wechatAuthorizeUrl asked while signed in.",
    )


@strawberry.input(description="Staff sign in with two factors: the password and a TOTP code.")
class LoginStaffInput:
    email: str
    password: str
    totp: str


@strawberry.input
class RevokeSessionInput:
    id: strawberry.ID


@payload
class AuthPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    access_token_expires_at: datetime | None = None
    account: Account | None = None
    is_new_account: bool = False
    must_change_password: bool = strawberry.field(
        default=False,
        description=(
            "True when the password just used no longer meets the password rules (it was "
            "set before them): it still signs in, and the client should ask for a new one "
            "(setPassword)."
        ),
    )

    @classmethod
    def of(cls, signed: SignedIn) -> AuthPayload:
        return cls(
            access_token=signed.tokens.access_token,
            refresh_token=signed.tokens.refresh_token,
            access_token_expires_at=signed.tokens.access_token_expires_at,
            account=account_object(signed.account) if signed.account is not None else None,
            is_new_account=signed.is_new_account,
            must_change_password=signed.must_change_password,
        )


@payload
class ElevateSessionPayload:
    elevated_until: datetime | None = None


@strawberry.type
class AuthMutations:
    request_sms_code = use_case_mutation(
        RequestSmsCodeInput,
        sms.request_sms_code,
        RequestSmsCodePayload.of,
        description="Send a one-time code by SMS.",
    )

    @strawberry.mutation(
        description=(
            "Send a LOGIN code by e-mail: the second factor that signs a locked login's "
            "owner in (loginWithPassword's code). The answer is the same for every address."
        )
    )
    async def request_email_code(
        self, info: Info, input: RequestEmailCodeInput
    ) -> RequestSmsCodePayload:
        return RequestSmsCodePayload.of(await sms.request_email_code(info.context, input.email))

    login_with_sms = use_case_mutation(
        LoginWithSmsInput,
        sms.login_with_sms,
        AuthPayload.of,
        description="Sign in with a phone and SMS code; registers a new phone.",
    )
    login_with_password = use_case_mutation(
        LoginWithPasswordInput,
        password.login_with_password,
        AuthPayload.of,
        description="Sign in with an e-mail address or phone and a password.",
    )
    login_staff = use_case_mutation(
        LoginStaffInput,
        staff.login_staff,
        AuthPayload.of,
        description="Staff sign-in: e-mail, password and the code of their authenticator.",
    )
    login_with_wechat = use_case_mutation(
        LoginWithWechatInput,
        wechat.login_with_wechat,
        AuthPayload.of,
        description="Finish a WeChat sign-in; registers a new WeChat user.",
    )
    register_business = use_case_mutation(
        RegisterBusinessInput, password.register_business, AuthPayload.of
    )
    register_enterprise = use_case_mutation(
        RegisterEnterpriseInput, password.register_enterprise, AuthPayload.of
    )

    @strawberry.mutation(description="Trade a refresh token for new tokens; it rotates on use.")
    async def refresh_session(self, info: Info, input: RefreshSessionInput) -> AuthPayload:
        return AuthPayload.of(await sessions.refresh_session(info.context, input.refresh_token))

    @strawberry.mutation(description="End the current session.")
    async def logout(self, info: Info) -> OkPayload:
        await sessions.logout(info.context)
        return OkPayload.done()

    @strawberry.mutation(description="End every session of the viewer but the current one.")
    async def revoke_other_sessions(self, info: Info) -> OkPayload:
        await sessions.revoke_other_sessions(info.context)
        return OkPayload.done()

    @strawberry.mutation(description="End one of the viewer's sessions.")
    async def revoke_session(self, info: Info, input: RevokeSessionInput) -> OkPayload:
        await sessions.revoke_session(info.context, key_of(input.id, "Session"))
        return OkPayload.done()

    @strawberry.mutation(
        description="Step up for 5 minutes with a STEP_UP code, the password or WeChat."
    )
    async def elevate_session(
        self, info: Info, input: ElevateSessionInput
    ) -> ElevateSessionPayload:
        until = await wechat_step_up.elevate_session(info.context, input)
        return ElevateSessionPayload(elevated_until=until)
