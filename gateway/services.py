"""Build the services the use cases need from settings, once per app."""

from __future__ import annotations

from pydantic import SecretStr

from auth.identity_verifier import BuiltInVerifier, HttpVerifier, IdentityVerifier
from auth.passwords import breached_passwords
from auth.rate_limits import RateLimiter
from auth.senders import ConsoleSender, HttpSender, Outbox, Sender
from auth.services import AuthServices
from auth.tokens import TokenIssuer
from auth.wechat import WechatClient, WechatConfig
from gateway.settings import Settings, versioned_keys
from models import encryption


def _master_keys(secret: SecretStr) -> list[encryption.MasterKey]:
    """The entries of a versioned key setting, oldest first; settings refused anything
    but base64 keys of 32 bytes or more."""
    return [
        encryption.MasterKey(version, key)
        for version, key in versioned_keys(secret.get_secret_value())
    ]


def configure_encryption(settings: Settings) -> None:
    if settings.data_keys is None or settings.blind_index_key is None:
        raise RuntimeError("encryption keys are missing from the settings")
    encryption.configure(
        encryption.KeyRing.from_setting(settings.data_keys.get_secret_value()),
        _master_keys(settings.blind_index_key),
    )


def _sender(url: str | None, token: object, outbox: Outbox, provider: str) -> Sender:
    if url is None:
        return ConsoleSender(outbox)
    secret = token.get_secret_value() if token is not None else None  # type: ignore[attr-defined]
    return HttpSender(url, token=secret, provider=provider)


def build_services(settings: Settings, outbox: Outbox) -> AuthServices:
    if settings.token_signing_key is None:
        raise RuntimeError("the token signing key is missing from the settings")
    # Read now, once, rather than inside the first request that sets a password.
    breached_passwords()
    wechat = None
    if settings.wechat_app_id and settings.wechat_app_secret is not None:
        wechat = WechatClient(
            WechatConfig(
                app_id=settings.wechat_app_id,
                app_secret=settings.wechat_app_secret.get_secret_value(),
                api_base=settings.wechat_api_base,
                authorize_url=settings.wechat_authorize_url,
            )
        )
    verifier: IdentityVerifier = BuiltInVerifier()
    if settings.id_verifier_url is not None:
        token = settings.id_verifier_token
        verifier = HttpVerifier(
            settings.id_verifier_url, token=token.get_secret_value() if token else None
        )
    return AuthServices(
        tokens=TokenIssuer(_master_keys(settings.token_signing_key)),
        limiter=RateLimiter.from_url(settings.redis_url),
        sms=_sender(settings.sms_gateway_url, settings.sms_gateway_token, outbox, "sms"),
        email=_sender(settings.email_gateway_url, settings.email_gateway_token, outbox, "email"),
        wechat=wechat,
        redirect_allowlist=tuple(settings.redirect_allowlist),
        verifier=verifier,
    )
