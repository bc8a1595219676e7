from __future__ import annotations

from datetime import date

import strawberry

from models import SmsPurpose


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
