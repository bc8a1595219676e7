from __future__ import annotations

import strawberry

from models import IdentityProvider


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
