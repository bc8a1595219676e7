"""Account settings: the inputs and mutations."""

from __future__ import annotations

import strawberry

from models import IdentityProvider
from resolvers.settings import contacts, identities, profile
from schema.context import Info
from schema.payloads import AccountPayload, OkPayload, use_case_mutation


@strawberry.input
class UpdateProfileInput:
    display_name: str | None = None
    avatar_url: str | None = None
    bio: str | None = None
    industry: str | None = None
    position: str | None = None
    company_size: str | None = None
    needs: list[str] | None = None


@strawberry.input
class SetPasswordInput:
    current_password: str | None = None
    new_password: str


@strawberry.input
class BindPhoneInput:
    phone: str
    code: str


@strawberry.input
class BindEmailInput:
    email: str


@strawberry.input
class ConfirmEmailInput:
    token: str


@strawberry.input
class LinkWechatInput:
    code: str
    state: str


@strawberry.input
class UnlinkIdentityInput:
    provider: IdentityProvider


@strawberry.type
class SettingsMutations:
    update_profile = use_case_mutation(
        UpdateProfileInput,
        profile.update_profile,
        AccountPayload.of,
        description="Change the fields given; the others stay.",
    )

    @strawberry.mutation(description="Needs the current password, or step-up if there is none.")
    async def set_password(self, info: Info, input: SetPasswordInput) -> AccountPayload:
        viewer = info.context.viewer
        if viewer is not None and viewer.staff_id is not None:
            await profile.set_staff_password(info.context, input)
            return AccountPayload()  # staff have no account to answer with
        return AccountPayload.of(await profile.set_password(info.context, input))

    @strawberry.mutation(
        description="Bind a phone with a BIND_PHONE code; replacing needs step-up."
    )
    async def bind_phone(self, info: Info, input: BindPhoneInput) -> AccountPayload:
        return AccountPayload.of(await contacts.bind_phone(info.context, input.phone, input.code))

    @strawberry.mutation(description="Send a confirmation token (24 h) to the address.")
    async def bind_email(self, info: Info, input: BindEmailInput) -> OkPayload:
        await contacts.bind_email(info.context, input.email)
        return OkPayload.done()

    @strawberry.mutation(description="Bind the address the token was sent to.")
    async def confirm_email(self, info: Info, input: ConfirmEmailInput) -> AccountPayload:
        return AccountPayload.of(await contacts.confirm_email(info.context, input.token))

    @strawberry.mutation(description="Link a WeChat account (after wechatAuthorizeUrl).")
    async def link_wechat(self, info: Info, input: LinkWechatInput) -> AccountPayload:
        return AccountPayload.of(
            await identities.link_wechat(info.context, input.code, input.state)
        )

    @strawberry.mutation(description="Unlink an identity; never the last way to sign in.")
    async def unlink_identity(self, info: Info, input: UnlinkIdentityInput) -> AccountPayload:
        return AccountPayload.of(await identities.unlink_identity(info.context, input.provider))
