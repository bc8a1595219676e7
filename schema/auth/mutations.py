from __future__ import annotations

import strawberry

from resolvers.auth import password, sessions, sms, staff, wechat, wechat_step_up
from resolvers.global_id import key_of
from schema.auth.inputs import (
    ElevateSessionInput,
    LoginStaffInput,
    LoginWithPasswordInput,
    LoginWithSmsInput,
    LoginWithWechatInput,
    RefreshSessionInput,
    RegisterBusinessInput,
    RegisterEnterpriseInput,
    RequestEmailCodeInput,
    RequestSmsCodeInput,
    RevokeSessionInput,
)
from schema.auth.payloads import AuthPayload
from schema.auth.types import ElevateSessionPayload, RequestSmsCodePayload
from schema.context import Info
from schema.payloads import OkPayload


@strawberry.type
class AuthMutations:
    @strawberry.mutation(description="Send a one-time code by SMS.")
    async def request_sms_code(
        self, info: Info, input: RequestSmsCodeInput
    ) -> RequestSmsCodePayload:
        return RequestSmsCodePayload.of(await sms.request_sms_code(info.context, input))

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

    @strawberry.mutation(description="Sign in with a phone and SMS code; registers a new phone.")
    async def login_with_sms(self, info: Info, input: LoginWithSmsInput) -> AuthPayload:
        return AuthPayload.of(await sms.login_with_sms(info.context, input))

    @strawberry.mutation(description="Sign in with an e-mail address or phone and a password.")
    async def login_with_password(self, info: Info, input: LoginWithPasswordInput) -> AuthPayload:
        return AuthPayload.of(await password.login_with_password(info.context, input))

    @strawberry.mutation(
        description="Staff sign-in: e-mail, password and the code of their authenticator."
    )
    async def login_staff(self, info: Info, input: LoginStaffInput) -> AuthPayload:
        return AuthPayload.of(await staff.login_staff(info.context, input))

    @strawberry.mutation(description="Finish a WeChat sign-in; registers a new WeChat user.")
    async def login_with_wechat(self, info: Info, input: LoginWithWechatInput) -> AuthPayload:
        return AuthPayload.of(await wechat.login_with_wechat(info.context, input))

    @strawberry.mutation
    async def register_business(self, info: Info, input: RegisterBusinessInput) -> AuthPayload:
        return AuthPayload.of(await password.register_business(info.context, input))

    @strawberry.mutation
    async def register_enterprise(self, info: Info, input: RegisterEnterpriseInput) -> AuthPayload:
        return AuthPayload.of(await password.register_enterprise(info.context, input))

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
