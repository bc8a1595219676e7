from __future__ import annotations

import strawberry

from resolvers.auth import wechat
from schema.auth.types import WechatAuthorization
from schema.context import Info


@strawberry.type
class AuthQueries:
    @strawberry.field(description="The WeChat QR-connect URL with a one-time state (10 minutes).")
    async def wechat_authorize_url(self, info: Info, redirect_uri: str) -> WechatAuthorization:
        authorization = await wechat.authorize_url(info.context, redirect_uri)
        return WechatAuthorization(url=authorization.url, state=authorization.state)
