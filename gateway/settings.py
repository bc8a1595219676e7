"""Settings: environment variables with the prefix ``GATEWAY_``.

In development, secrets that are not set are generated once and kept under ``var/``
(relative to the working directory), so that tokens and encrypted values survive a
restart. In production every missing secret is an error that names the setting.

Every value is checked when it is read, so that a mistake stops the process at start
with one line naming the setting (:func:`configuration_error_line`) instead of a
traceback later. Messages never quote a secret, and show URLs with their password
masked.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from gateway.persisted_documents import DEFAULT_APQ_MAX_BYTES, ManifestError, load_manifest

PREFIX = "GATEWAY_"
VAR_DIR = Path("var")
GENERATED_SECRETS_FILE = VAR_DIR / "secrets.json"
# Where `make assets` (npm ci) puts GraphiQL's files: beside the project's sources, so the
# default holds whatever the working directory. An installed copy without them (a wheel,
# the container image) sets GATEWAY_GRAPHIQL_ASSETS_DIR instead.
PROJECT_NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
SECRET_SETTINGS = ("token_signing_key", "data_keys", "blind_index_key")
# Needed in production only: where SMS and e-mail messages are delivered, and the
# provider that checks real names and student status (the built-in verifier approves
# every well-formed submission).
PRODUCTION_SETTINGS = ("sms_gateway_url", "email_gateway_url", "id_verifier_url")
# Outside services the gateway calls with a token and personal data: production reaches
# them over https:// only.
PROVIDER_URL_SETTINGS = (
    "sms_gateway_url",
    "email_gateway_url",
    "id_verifier_url",
    "wechat_api_base",
    "wechat_authorize_url",
)
# Read by the test suite and the benchmark, not by the gateway; known all the same.
TOOLING_VARIABLES = frozenset(
    {
        "GATEWAY_TEST_DATABASE_URL",
        "GATEWAY_TEST_POSTGRES_URL",
        "GATEWAY_TEST_REDIS_URL",
        "GATEWAY_BENCH_DATABASE_URL",
    }
)
# Signing and index keys are HMAC keys: at least as long as the SHA-256 output.
MIN_KEY_BYTES = 32
DATA_KEY_BYTES = 32  # AES-256
KEYS_HINT = "`xiamo-gateway keys generate` prints one"
DATABASE_URL_FORMS = (
    "postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE or sqlite+aiosqlite:///PATH"
)
REDIS_SCHEMES = ("redis", "rediss", "unix", "redis+unix")
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")
_ORIGIN = re.compile(r"https?://[^/?#\s]+")
T = TypeVar("T")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class LogFormat(StrEnum):
    CONSOLE = "console"
    JSON = "json"


class ConfigurationError(Exception):
    """A setting the gateway cannot run with: ``setting`` is its environment name."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        self.problem = problem
        super().__init__(f"{setting}: {problem}")


class MissingSecretsError(ConfigurationError):
    """Production start without the secrets and providers it needs; names every one."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.setting = names[0]
        self.problem = "missing required settings for production: " + ", ".join(names)
        Exception.__init__(self, self.problem)


def env_name(field: str) -> str:
    return f"{PREFIX}{field.upper()}"


def _invalid(problem: str) -> PydanticCustomError:
    """A validation error whose text is ``problem`` as written (no pydantic prefix)."""
    return PydanticCustomError("setting", "{problem}", {"problem": problem})


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def mask_url(url: str) -> str:
    """The URL as it may be shown: a password in it (or in its query) becomes ``***``."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return "***" if "@" in url or ":" in url else url
    if not rest.startswith("/") and "@" in rest:
        userinfo, _, after = rest.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        rest = f"{user}:***@{after}" if colon else f"{user}@{after}"
    rest = re.sub(r"(?i)(password=)[^&#]*", r"\1***", rest)
    return f"{scheme}://{rest}"


def decode_key(value: str) -> bytes | None:
    """A key's bytes: base64 in the URL-safe or the standard alphabet, padding optional.

    ``None`` when the value is not base64 (a character outside the alphabet, a bad
    length): such a value is refused rather than used as text.
    """
    normalized = value.replace("+", "-").replace("/", "_")
    normalized += "=" * (-len(normalized) % 4)
    try:
        return base64.b64decode(normalized, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None


def _bytes(count: int) -> str:
    return f"{count} byte" if count == 1 else f"{count} bytes"


def _check_key(value: str) -> None:
    accepted = f"write at least {MIN_KEY_BYTES} random bytes in base64 ({KEYS_HINT})"
    key = decode_key(value)
    if key is None:
        raise _invalid(f"the value is not base64; {accepted}")
    if len(key) < MIN_KEY_BYTES:
        raise _invalid(f"the value decodes to {_bytes(len(key))}; {accepted}")


def versioned_keys(value: str) -> list[tuple[str | None, bytes]]:
    """The entries of a versioned key setting, in order: (key id, key), the key id None
    for a key written without one. The setting was validated when it was read."""
    entries: list[tuple[str | None, bytes]] = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        key_id, separator, encoded = entry.partition(":")
        key = decode_key(encoded if separator else entry)
        if key is None:
            raise ValueError("a key of a versioned key setting is not base64")
        entries.append((key_id if separator else None, key))
    return entries


def _check_versioned_keys(value: str) -> None:
    """One key in base64 (the form of earlier releases, with the same messages), or
    comma-separated `keyid:base64key` entries of which at most one has no key id."""
    if ":" not in value:
        _check_key(value)
        return
    accepted = (
        f"write comma-separated keyid:base64key entries, each key at least {MIN_KEY_BYTES} "
        f"random bytes in base64 ({KEYS_HINT})"
    )
    _check_key_entries(value, accepted, one_without_id=True, fits=lambda n: n >= MIN_KEY_BYTES)


def _check_data_keys(value: str) -> None:
    accepted = (
        f"write comma-separated keyid:base64key entries, each key {DATA_KEY_BYTES} random "
        f"bytes in base64 ({KEYS_HINT})"
    )
    _check_key_entries(value, accepted, one_without_id=False, fits=lambda n: n == DATA_KEY_BYTES)


def _check_key_entries(
    value: str, accepted: str, *, one_without_id: bool, fits: Callable[[int], bool]
) -> None:
    """Comma-separated `keyid:base64key` entries, each key id once and each key of a size
    that `fits`; `one_without_id`: one entry may be a bare key. Entries are named by
    position: a key id may be a key written in the wrong place."""
    entries = [part.strip() for part in value.split(",") if part.strip()]
    if not entries:
        raise _invalid(f"holds no key; {accepted}")
    seen: set[str] = set()
    without_id = 0
    for number, entry in enumerate(entries, start=1):
        key_id, separator, encoded = entry.partition(":")
        if not separator and one_without_id:
            without_id += 1
            if without_id > 1:
                raise _invalid(
                    f"entry {number} is a second key without a key id (only one key may "
                    f"have none); {accepted}"
                )
            encoded = entry
        elif not separator or not _KEY_ID.fullmatch(key_id):
            raise _invalid(
                f"entry {number} is not keyid:base64key with a key id of 1 to 32 letters, "
                f"digits, '.', '_' or '-'; {accepted}"
            )
        elif key_id in seen:
            raise _invalid(f"entry {number} repeats an earlier key id; {accepted}")
        seen.add(key_id)
        key = decode_key(encoded)
        if key is None:
            raise _invalid(f"the key of entry {number} is not base64; {accepted}")
        if not fits(len(key)):
            raise _invalid(f"the key of entry {number} decodes to {_bytes(len(key))}; {accepted}")


def _check_http_url(value: str) -> None:
    try:
        parts = urlsplit(value)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable:
        raise _invalid(
            "the value is not an http:// or https:// URL with a host; write https://HOST/PATH"
        )


def _check_database_url(value: str) -> None:
    scheme, separator, rest = value.partition("://")
    accepted = (scheme == "postgresql+asyncpg" and bool(rest)) or (
        scheme == "sqlite+aiosqlite" and (rest == "" or rest.startswith("/"))
    )
    if not separator or not accepted:
        shown = mask_url(value) if separator else "the value"
        raise _invalid(f"{shown} is not accepted; use {DATABASE_URL_FORMS}")


def _check_redis_url(value: str) -> None:
    scheme, separator, rest = value.partition("://")
    if not separator or scheme not in REDIS_SCHEMES or not rest:
        shown = mask_url(value) if separator else "the value"
        raise _invalid(
            f"{shown} is not accepted; use redis://HOST:PORT/DB, "
            "rediss://HOST:PORT/DB (TLS) or unix:///PATH"
        )


def _check_origins(value: list[str]) -> None:
    for origin in value:
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise _invalid(
                f"{origin!r} is not an origin; write comma-separated scheme://host[:port] "
                "with no path, such as https://app.example.com"
            )


def _check_redirect_prefixes(value: list[str]) -> None:
    for prefix in value:
        if not prefix.startswith(("https://", "http://")) or prefix in ("https://", "http://"):
            raise _invalid(
                f"{prefix!r} is not a URL prefix; write comma-separated prefixes such "
                "as https://app.example.com/"
            )


def _check_proxies(value: list[str]) -> None:
    for entry in value:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise _invalid(
                f"{entry!r} is not an IP address or network; write the comma-separated "
                "addresses or networks of the proxies in front of the gateway, such as "
                "10.0.0.5,10.1.0.0/16 (trusting every peer would let any client choose "
                "the address its rate limits count)"
            ) from None


def _check_policy_file(value: Path) -> None:
    try:
        value.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = (
            "is not UTF-8 text"
            if isinstance(exc, UnicodeDecodeError)
            else (f"cannot be read ({exc.strerror or exc})")
        )
        raise _invalid(f"{value} {reason}; give the path of the policy's Markdown body") from exc


def _check_trusted_documents(value: Path) -> None:
    try:
        load_manifest(value)
    except ManifestError as exc:
        raise _invalid(
            f"{value} {exc}; give the path of an Apollo persisted-query manifest "
            "(npx generate-persisted-query-manifest writes one)"
        ) from exc


def _check_inventory_dir(value: Path) -> None:
    if not value.is_dir():
        raise _invalid(f"{value} is not a folder; give a copy of resolvers/privacy/data/")


def _checked(check: Callable[[T], None]) -> AfterValidator:
    """Runs `check` on a value that is set; None (not set) passes."""

    def validate(value: T | None) -> T | None:
        if value is not None:
            check(value)
        return value

    return AfterValidator(validate)


def _secret(check: Callable[[str], None]) -> Callable[[SecretStr], None]:
    """`check` on the text of a secret."""
    return lambda value: check(value.get_secret_value())


# What settings hold, each checked the same way wherever it is read.
DatabaseUrl = Annotated[str, _checked(_check_database_url)]
RedisUrl = Annotated[str | None, _checked(_check_redis_url)]
# Outside services the gateway calls with a token and personal data.
ProviderUrl = Annotated[str, _checked(_check_http_url)]
OptionalProviderUrl = Annotated[str | None, _checked(_check_http_url)]
VersionedKeys = Annotated[SecretStr | None, _checked(_secret(_check_versioned_keys))]
DataKeys = Annotated[SecretStr | None, _checked(_secret(_check_data_keys))]
# Comma-separated lists, read as they are written (not as JSON).
CsvList = Annotated[list[str], NoDecode, BeforeValidator(_split_csv)]
CorsOrigins = Annotated[CsvList, _checked(_check_origins)]
RedirectPrefixes = Annotated[CsvList, _checked(_check_redirect_prefixes)]
ProxyNetworks = Annotated[CsvList, _checked(_check_proxies)]
PolicyFile = Annotated[Path | None, _checked(_check_policy_file)]
TrustedDocuments = Annotated[Path | None, _checked(_check_trusted_documents)]
InventoryDir = Annotated[Path | None, _checked(_check_inventory_dir)]


class Settings(BaseSettings):
    # An empty variable (`GATEWAY_REDIS_URL=`) means "not set", as in most env files.
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", env_ignore_empty=True)

    env: Environment = Environment.DEVELOPMENT
    database_url: DatabaseUrl = f"sqlite+aiosqlite:///{VAR_DIR / 'gateway.db'}"
    redis_url: RedisUrl = None

    # Secrets, each a comma-separated list of `keyid:base64key`, oldest first. data_keys
    # (32-byte keys): the last one encrypts, every one decrypts. token_signing_key: the
    # last signs access tokens (its key id is their `kid`), every one verifies.
    # blind_index_key: the master keys of every keyed hash (blind indexes, hashes of
    # one-time codes and tokens, rate-limit keys, refresh-token HMACs); the last
    # computes, every one matches. Both also take one key without a key id, the form of
    # earlier releases.
    token_signing_key: VersionedKeys = None
    data_keys: DataKeys = None
    blind_index_key: VersionedKeys = None

    # Unset: on in development and test, off in production.
    introspection: bool | None = None
    graphiql: bool | None = None
    allow_get: bool | None = None
    # GATEWAY_FEDERATION=on: also an Apollo Federation 2 subgraph (_service, _entities).
    federation: bool = False
    cors_origins: CorsOrigins = Field(default_factory=list)
    graphiql_assets_dir: Path = PROJECT_NODE_MODULES
    policy_file: PolicyFile = None
    # A copy of resolvers/privacy/data/ that operators edit: the personal-data inventory.
    inventory_dir: InventoryDir = None
    # An Apollo persisted-query manifest: while set, only its operations run.
    trusted_documents: TrustedDocuments = None
    # How many bytes of automatic persisted queries the store keeps (least recently used
    # dropped first), in this process or, with GATEWAY_REDIS_URL, in Redis.
    apq_max_bytes: int = Field(default=DEFAULT_APQ_MAX_BYTES, ge=1)
    log_level: LogLevel = LogLevel.INFO
    # Unset: console in development and test, JSON in production.
    log_format: LogFormat | None = None
    # Where `serve` shows the Prometheus metrics on a listener of their own (same
    # interface as --host). Production has no other way to them; development also
    # answers GET /metrics on the main port.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    # Message delivery. Development and tests keep messages in the dev outbox; production
    # posts them to these provider endpoints and refuses to start without them.
    sms_gateway_url: OptionalProviderUrl = None
    sms_gateway_token: SecretStr | None = None
    email_gateway_url: OptionalProviderUrl = None
    email_gateway_token: SecretStr | None = None

    # How many sub-accounts one enterprise may have.
    max_sub_accounts: int = Field(default=1000, ge=1)

    # Real-name and student checks; unset means the built-in verifier, which accepts
    # every well-formed submission (development and tests; production requires a URL).
    id_verifier_url: OptionalProviderUrl = None
    id_verifier_token: SecretStr | None = None

    # Where `xiamo-gateway events deliver` posts privacy events, and the key that signs
    # them (X-Xiamo-Signature, HMAC-SHA256 of the body); the worker needs both.
    events_webhook_url: str | None = None
    events_signing_key: SecretStr | None = None

    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_api_base: ProviderUrl = "https://api.weixin.qq.com"
    wechat_authorize_url: ProviderUrl = "https://open.weixin.qq.com/connect/qrconnect"
    wechat_redirect_allowlist: RedirectPrefixes = Field(default_factory=list)

    # Peers whose X-Forwarded-For and X-Forwarded-Proto `serve` believes: the reverse
    # proxies in front of the gateway. Rate limits and logs key on the address they give.
    forwarded_allow_ips: ProxyNetworks = Field(default_factory=lambda: ["127.0.0.1", "::1"])

    @field_validator("env", "log_format", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    def _unless_production(self, switch: bool | None) -> bool:
        """A switch as it is set, or, when it is not, on everywhere but in production."""
        return switch if switch is not None else not self.is_production

    @property
    def introspection_enabled(self) -> bool:
        return self._unless_production(self.introspection)

    @property
    def graphiql_enabled(self) -> bool:
        return self._unless_production(self.graphiql)

    @property
    def get_queries_enabled(self) -> bool:
        return self._unless_production(self.allow_get)

    @property
    def log_format_in_use(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.JSON if self.is_production else LogFormat.CONSOLE

    @property
    def redirect_allowlist(self) -> list[str]:
        if self.wechat_redirect_allowlist or self.is_production:
            return self.wechat_redirect_allowlist
        return ["http://localhost", "http://127.0.0.1"]

    def missing_secrets(self) -> list[str]:
        return [env_name(name) for name in SECRET_SETTINGS if getattr(self, name) is None]

    def missing_production_settings(self) -> list[str]:
        return [env_name(name) for name in PRODUCTION_SETTINGS if getattr(self, name) is None]


def generate_secrets() -> dict[str, str]:
    """Fresh values for every secret setting, as they would stand in an environment file."""

    def entry(size: int) -> str:
        key = base64.urlsafe_b64encode(secrets.token_bytes(size)).decode()
        return f"k{secrets.token_hex(4)}:{key}"

    return {
        "token_signing_key": entry(MIN_KEY_BYTES),
        "data_keys": entry(DATA_KEY_BYTES),
        "blind_index_key": entry(MIN_KEY_BYTES),
    }


def _development_secrets(path: Path, setting: str) -> dict[str, str]:
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            stored = None
            reason = f"{exc.strerror or exc}" if isinstance(exc, OSError) else "not JSON"
        else:
            reason = "not an object of the three secrets"
        if isinstance(stored, dict) and all(
            isinstance(stored.get(name), str) for name in SECRET_SETTINGS
        ):
            return {name: stored[name] for name in SECRET_SETTINGS}
        raise ConfigurationError(
            setting,
            f"not set, and the generated development secrets in {path} cannot be used "
            f"({reason}); set it, or remove {path} to generate new ones (data sealed "
            "with the old keys is then lost)",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = generate_secrets()
    # Written with owner-only permissions: these keys decrypt the development database.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(generated, handle)
    return generated


def _check_production(settings: Settings) -> None:
    missing = settings.missing_secrets() + settings.missing_production_settings()
    if missing:
        raise MissingSecretsError(missing)
    for name in PROVIDER_URL_SETTINGS:
        value = getattr(settings, name)
        if value is not None and not value.startswith("https://"):
            raise ConfigurationError(
                env_name(name),
                "production calls providers over https:// only (their token and personal "
                "data would cross the network in clear); write an https:// URL",
            )


def _check_wechat(settings: Settings) -> None:
    has_id = settings.wechat_app_id is not None
    has_secret = settings.wechat_app_secret is not None
    if has_id != has_secret:
        missing = "wechat_app_secret" if has_id else "wechat_app_id"
        raise ConfigurationError(
            env_name(missing),
            "not set; WeChat sign-in needs both GATEWAY_WECHAT_APP_ID and "
            "GATEWAY_WECHAT_APP_SECRET (set neither to turn it off)",
        )


def load_settings(**overrides: object) -> Settings:
    """Read the environment, then fill or refuse the missing secrets per environment.

    Raises :class:`pydantic.ValidationError` for a value that cannot be used and
    :class:`ConfigurationError` for settings that cannot go together;
    :func:`configuration_error_line` words either for the operator.
    """
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if settings.is_production:
        _check_production(settings)
    _check_wechat(settings)
    missing = settings.missing_secrets()
    if not missing:
        return settings
    generated = _development_secrets(GENERATED_SECRETS_FILE, missing[0])
    filled = {name: generated[name] for name in SECRET_SETTINGS if getattr(settings, name) is None}
    # Read again with the generated values, so that they are checked like any other.
    return Settings(**{**overrides, **filled})  # type: ignore[arg-type]


# What each setting with a plain type accepts, for the message about a wrong value.
ACCEPTED = {
    "env": "development, test or production",
    "introspection": "true or false",
    "graphiql": "true or false",
    "allow_get": "true or false",
    "federation": "on or off",
    "log_level": "DEBUG, INFO, WARNING, ERROR or CRITICAL",
    "log_format": "console or json",
    "max_sub_accounts": "a whole number of at least 1",
    "apq_max_bytes": "a whole number of bytes, at least 1",
}


def _shown(field: str, value: object) -> str:
    if field in SECRET_SETTINGS or field.endswith(("_token", "_secret")):
        return "the value"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_problem(error: Mapping[str, Any]) -> str:
    field = str(error["loc"][0])
    if error["type"] == "setting":
        return str(error["msg"])
    if field in ACCEPTED:
        return f"{_shown(field, error.get('input'))} is not accepted; use {ACCEPTED[field]}"
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


# What load_settings raises for a setting the gateway cannot run with.
CONFIGURATION_ERRORS = (ValidationError, ConfigurationError, SettingsError)


def configuration_error_line(error: ValidationError | ConfigurationError | SettingsError) -> str:
    """The one line an operator reads: ``error: GATEWAY_<SETTING>: <problem>``.

    A validation failure names its first wrong setting and lists the others, so that one
    run shows everything to fix.
    """
    if isinstance(error, ConfigurationError | SettingsError):
        return f"error: {error}"
    by_field: dict[str, Mapping[str, Any]] = {}
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "settings"
        by_field.setdefault(field, item)
    fields = list(by_field)
    line = f"error: {env_name(fields[0])}: {_field_problem(by_field[fields[0]])}"
    if len(fields) > 1:
        line += " (also wrong: " + ", ".join(env_name(field) for field in fields[1:]) + ")"
    return line


def known_variables() -> frozenset[str]:
    """Every ``GATEWAY_*`` variable something of the project reads."""
    return frozenset(env_name(name) for name in Settings.model_fields) | TOOLING_VARIABLES


def unknown_variable_warnings(environ: Mapping[str, str]) -> list[str]:
    """One warning for each ``GATEWAY_*`` variable nothing reads, naming the closest
    known one (a misspelt setting is otherwise silently left at its default)."""
    known = {name.removeprefix(PREFIX): name for name in known_variables()}
    warnings = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(PREFIX) or upper in known.values():
            continue
        warning = f"{name} is not a setting of the gateway and is ignored"
        # Compared without the prefix that every name shares.
        close = difflib.get_close_matches(upper.removeprefix(PREFIX), sorted(known), n=1)
        if close:
            warning += f"; did you mean {known[close[0]]}?"
        warnings.append(warning)
    return warnings
