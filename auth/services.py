"""The outside-facing services the auth use cases need, built once per app."""

from __future__ import annotations

from dataclasses import dataclass, field

from auth.identity_verifier import BuiltInVerifier, IdentityVerifier
from auth.rate_limits import RateLimiter
from auth.senders import Sender
from auth.tokens import TokenIssuer
from auth.wechat import WechatClient


@dataclass
class AuthServices:
    tokens: TokenIssuer
    limiter: RateLimiter
    sms: Sender
    email: Sender
    wechat: WechatClient | None = None
    verifier: IdentityVerifier = field(default_factory=BuiltInVerifier)
    redirect_allowlist: tuple[str, ...] = field(default_factory=tuple)
