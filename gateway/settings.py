"""Settings: environment variables with the prefix ``GATEWAY_``.

In development, secrets that are not set are generated once and kept under ``var/``
(relative to the working directory), so that tokens and encrypted values survive a
restart. In production every missing secret is an error that names the setting.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

VAR_DIR = Path("var")
GENERATED_SECRETS_FILE = VAR_DIR / "secrets.json"
# Where `make assets` (npm ci) puts GraphiQL's files: beside the project's sources, so the
# default holds whatever the working directory. An installed copy without them (a wheel,
# the container image) sets GATEWAY_GRAPHIQL_ASSETS_DIR instead.
PROJECT_NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
SECRET_SETTINGS = ("token_signing_key", "data_keys", "blind_index_key")
# Needed in production only: where SMS and e-mail messages are delivered.
PRODUCTION_SETTINGS = ("sms_gateway_url", "email_gateway_url")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class MissingSecretsError(RuntimeError):
    """Production start without the secrets it needs."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        listed = ", ".join(names)
        super().__init__(f"missing required settings for production: {listed}")


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = f"sqlite+aiosqlite:///{VAR_DIR / 'gateway.db'}"
    redis_url: str | None = None

    # Secrets. data_keys is a comma-separated list of `keyid:base64key` (32-byte keys);
    # the last one encrypts, every one decrypts.
    token_signing_key: SecretStr | None = None
    data_keys: SecretStr | None = None
    blind_index_key: SecretStr | None = None

    introspection: bool | None = None
    graphiql: bool | None = None
    allow_get: bool | None = None
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    graphiql_assets_dir: Path = PROJECT_NODE_MODULES
    policy_file: Path | None = None
    # A copy of resolvers/privacy/data/ that operators edit: the personal-data inventory.
    inventory_dir: Path | None = None
    log_level: str = "INFO"

    # Message delivery. Development and tests keep messages in the dev outbox; production
    # posts them to these provider endpoints and refuses to start without them.
    sms_gateway_url: str | None = None
    sms_gateway_token: SecretStr | None = None
    email_gateway_url: str | None = None
    email_gateway_token: SecretStr | None = None

    # How many sub-accounts one enterprise may have.
    max_sub_accounts: int = Field(default=1000, ge=1)

    # Real-name and student checks; unset means the built-in verifier, which accepts
    # every well-formed submission (development and tests).
    id_verifier_url: str | None = None
    id_verifier_token: SecretStr | None = None

    # Where `xiamo-gateway events deliver` posts privacy events, and the key that signs
    # them (X-Xiamo-Signature, HMAC-SHA256 of the body); the worker needs both.
    events_webhook_url: str | None = None
    events_signing_key: SecretStr | None = None

    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_authorize_url: str = "https://open.weixin.qq.com/connect/qrconnect"
    wechat_redirect_allowlist: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("cors_origins", "wechat_redirect_allowlist", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production

    @property
    def get_queries_enabled(self) -> bool:
        return self.allow_get if self.allow_get is not None else not self.is_production

    @property
    def redirect_allowlist(self) -> list[str]:
        if self.wechat_redirect_allowlist or self.is_production:
            return self.wechat_redirect_allowlist
        return ["http://localhost", "http://127.0.0.1"]

    def missing_secrets(self) -> list[str]:
        return [
            f"GATEWAY_{name.upper()}" for name in SECRET_SETTINGS if getattr(self, name) is None
        ]

    def missing_production_settings(self) -> list[str]:
        return [
            f"GATEWAY_{name.upper()}" for name in PRODUCTION_SETTINGS if getattr(self, name) is None
        ]


def generate_secrets() -> dict[str, str]:
    """Fresh values for every secret setting, as they would stand in an environment file."""
    key_id = "k" + secrets.token_hex(4)
    data_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return {
        "token_signing_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "data_keys": f"{key_id}:{data_key}",
        "blind_index_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }


def _development_secrets(path: Path) -> dict[str, str]:
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = generate_secrets()
    # Written with owner-only permissions: these keys decrypt the development database.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(generated, handle)
    return generated


def load_settings(**overrides: object) -> Settings:
    """Read the environment, then fill or refuse the missing secrets per environment."""
    settings = Settings(**overrides)  # type: ignore[arg-type]
    missing = settings.missing_secrets()
    if settings.is_production:
        missing += settings.missing_production_settings()
        if missing:
            raise MissingSecretsError(missing)
    if not missing:
        return settings
    generated = _development_secrets(GENERATED_SECRETS_FILE)
    filled = {
        name: SecretStr(generated[name])
        for name in SECRET_SETTINGS
        if getattr(settings, name) is None
    }
    return settings.model_copy(update=filled)
