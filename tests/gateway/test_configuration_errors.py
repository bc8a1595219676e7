"""A configuration mistake stops every command with one line naming the setting.

Each case runs every command that reads the settings, as an operator would, and expects
exit status 2, nothing on standard output and exactly the line written here on standard
error: no traceback, no secret, no password of a URL.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from gateway import cli
from gateway.asgi import app_from_environment
from gateway.cli import app
from gateway.settings import generate_secrets, load_settings
from tests.conftest import TEST_SECRETS
from tests.gateway.operator import COMMANDS, assert_refused, run_process, runner, set_variables

KEYS_ACCEPTED = (
    "write at least 32 random bytes in base64 (`xiamo-gateway keys generate` prints one)"
)
VERSIONED_KEYS_ACCEPTED = (
    "write comma-separated keyid:base64key entries, each key at least 32 random bytes in "
    "base64 (`xiamo-gateway keys generate` prints one)"
)
DATA_KEYS_ACCEPTED = (
    "write comma-separated keyid:base64key entries, each key 32 random bytes in base64 "
    "(`xiamo-gateway keys generate` prints one)"
)
DATABASE_URLS_ACCEPTED = (
    "use postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE or sqlite+aiosqlite:///PATH"
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


# (variables set on top of a working test configuration, the expected line)
MISTAKES = {
    "env prod": (
        {"GATEWAY_ENV": "prod"},
        "error: GATEWAY_ENV: 'prod' is not accepted; use development, test or production",
    ),
    "introspection maybe": (
        {"GATEWAY_INTROSPECTION": "maybe"},
        "error: GATEWAY_INTROSPECTION: 'maybe' is not accepted; use true or false",
    ),
    "allow get 2": (
        {"GATEWAY_ALLOW_GET": "2"},
        "error: GATEWAY_ALLOW_GET: '2' is not accepted; use true or false",
    ),
    "log level LOUD": (
        {"GATEWAY_LOG_LEVEL": "LOUD"},
        "error: GATEWAY_LOG_LEVEL: 'LOUD' is not accepted; "
        "use DEBUG, INFO, WARNING, ERROR or CRITICAL",
    ),
    "log format pretty": (
        {"GATEWAY_LOG_FORMAT": "pretty"},
        "error: GATEWAY_LOG_FORMAT: 'pretty' is not accepted; use console or json",
    ),
    "max sub-accounts 0": (
        {"GATEWAY_MAX_SUB_ACCOUNTS": "0"},
        "error: GATEWAY_MAX_SUB_ACCOUNTS: '0' is not accepted; use a whole number of at least 1",
    ),
    "max sub-accounts many": (
        {"GATEWAY_MAX_SUB_ACCOUNTS": "many"},
        "error: GATEWAY_MAX_SUB_ACCOUNTS: 'many' is not accepted; use a whole number of at least 1",
    ),
    "data keys abc": (
        {"GATEWAY_DATA_KEYS": "abc"},
        "error: GATEWAY_DATA_KEYS: entry 1 is not keyid:base64key with a key id of 1 to 32 "
        f"letters, digits, '.', '_' or '-'; {DATA_KEYS_ACCEPTED}",
    ),
    "data key of 16 bytes": (
        {"GATEWAY_DATA_KEYS": f"{TEST_SECRETS['data_keys']},k2:{b64(b'k' * 16)}"},
        f"error: GATEWAY_DATA_KEYS: the key of entry 2 decodes to 16 bytes; {DATA_KEYS_ACCEPTED}",
    ),
    "data key not base64": (
        {"GATEWAY_DATA_KEYS": "k1:not base64 at all!"},
        f"error: GATEWAY_DATA_KEYS: the key of entry 1 is not base64; {DATA_KEYS_ACCEPTED}",
    ),
    "data key id twice": (
        {"GATEWAY_DATA_KEYS": f"k1:{b64(b'a' * 32)},k1:{b64(b'b' * 32)}"},
        f"error: GATEWAY_DATA_KEYS: entry 2 repeats an earlier key id; {DATA_KEYS_ACCEPTED}",
    ),
    "token signing key of 5 bytes": (
        {"GATEWAY_TOKEN_SIGNING_KEY": b64(b"short")},
        f"error: GATEWAY_TOKEN_SIGNING_KEY: the value decodes to 5 bytes; {KEYS_ACCEPTED}",
    ),
    "token signing key of 31 bytes": (
        {"GATEWAY_TOKEN_SIGNING_KEY": b64(b"t" * 31)},
        f"error: GATEWAY_TOKEN_SIGNING_KEY: the value decodes to 31 bytes; {KEYS_ACCEPTED}",
    ),
    "blind index key of 1 byte": (
        {"GATEWAY_BLIND_INDEX_KEY": b64(b"b")},
        f"error: GATEWAY_BLIND_INDEX_KEY: the value decodes to 1 byte; {KEYS_ACCEPTED}",
    ),
    "blind index key as text": (
        {"GATEWAY_BLIND_INDEX_KEY": "a passphrase, not a key of 32 random bytes"},
        f"error: GATEWAY_BLIND_INDEX_KEY: the value is not base64; {KEYS_ACCEPTED}",
    ),
    "token signing key of 16 bytes in a list": (
        {"GATEWAY_TOKEN_SIGNING_KEY": f"{TEST_SECRETS['token_signing_key']},t2:{b64(b't' * 16)}"},
        "error: GATEWAY_TOKEN_SIGNING_KEY: the key of entry 2 decodes to 16 bytes; "
        f"{VERSIONED_KEYS_ACCEPTED}",
    ),
    "token signing key id twice": (
        {"GATEWAY_TOKEN_SIGNING_KEY": f"t1:{b64(b'a' * 32)},t1:{b64(b'b' * 32)}"},
        "error: GATEWAY_TOKEN_SIGNING_KEY: entry 2 repeats an earlier key id; "
        f"{VERSIONED_KEYS_ACCEPTED}",
    ),
    "blind index key id with a space": (
        {"GATEWAY_BLIND_INDEX_KEY": f"{b64(b'a' * 32)},new key:{b64(b'b' * 32)}"},
        "error: GATEWAY_BLIND_INDEX_KEY: entry 2 is not keyid:base64key with a key id of 1 "
        f"to 32 letters, digits, '.', '_' or '-'; {VERSIONED_KEYS_ACCEPTED}",
    ),
    "blind index keys both without an id": (
        {"GATEWAY_BLIND_INDEX_KEY": f"{b64(b'a' * 32)},b2:{b64(b'c' * 32)},{b64(b'b' * 32)}"},
        "error: GATEWAY_BLIND_INDEX_KEY: entry 3 is a second key without a key id (only one "
        f"key may have none); {VERSIONED_KEYS_ACCEPTED}",
    ),
    "blind index key not base64 in a list": (
        {"GATEWAY_BLIND_INDEX_KEY": "b1:not base64 at all!"},
        "error: GATEWAY_BLIND_INDEX_KEY: the key of entry 1 is not base64; "
        f"{VERSIONED_KEYS_ACCEPTED}",
    ),
    "database postgres://": (
        {"GATEWAY_DATABASE_URL": "postgres://app:s3cret@db.example:5432/xiamo"},
        "error: GATEWAY_DATABASE_URL: postgres://app:***@db.example:5432/xiamo is not "
        f"accepted; {DATABASE_URLS_ACCEPTED}",
    ),
    "database postgresql://": (
        {"GATEWAY_DATABASE_URL": "postgresql://app:s3cret@db.example/xiamo"},
        "error: GATEWAY_DATABASE_URL: postgresql://app:***@db.example/xiamo is not "
        f"accepted; {DATABASE_URLS_ACCEPTED}",
    ),
    "database postgresql+psycopg2://": (
        {"GATEWAY_DATABASE_URL": "postgresql+psycopg2://app@db.example/xiamo"},
        "error: GATEWAY_DATABASE_URL: postgresql+psycopg2://app@db.example/xiamo is not "
        f"accepted; {DATABASE_URLS_ACCEPTED}",
    ),
    "database sqlite:///": (
        {"GATEWAY_DATABASE_URL": "sqlite:///var/gateway.db"},
        "error: GATEWAY_DATABASE_URL: sqlite:///var/gateway.db is not "
        f"accepted; {DATABASE_URLS_ACCEPTED}",
    ),
    "database without scheme": (
        {"GATEWAY_DATABASE_URL": "app:s3cret@db.example/xiamo"},
        f"error: GATEWAY_DATABASE_URL: the value is not accepted; {DATABASE_URLS_ACCEPTED}",
    ),
    "redis http://": (
        {"GATEWAY_REDIS_URL": "http://:s3cret@cache.example:6379/0"},
        "error: GATEWAY_REDIS_URL: http://:***@cache.example:6379/0 is not accepted; use "
        "redis://HOST:PORT/DB, rediss://HOST:PORT/DB (TLS) or unix:///PATH",
    ),
    "sms gateway without scheme": (
        {"GATEWAY_SMS_GATEWAY_URL": "sms.example/send"},
        "error: GATEWAY_SMS_GATEWAY_URL: the value is not an http:// or https:// URL with a "
        "host; write https://HOST/PATH",
    ),
    "id verifier broken IPv6": (
        {"GATEWAY_ID_VERIFIER_URL": "https://[::1/check"},
        "error: GATEWAY_ID_VERIFIER_URL: the value is not an http:// or https:// URL with a "
        "host; write https://HOST/PATH",
    ),
    "wechat api base ftp://": (
        {"GATEWAY_WECHAT_API_BASE": "ftp://api.weixin.qq.com"},
        "error: GATEWAY_WECHAT_API_BASE: the value is not an http:// or https:// URL with a "
        "host; write https://HOST/PATH",
    ),
    "cors origin with a path": (
        {"GATEWAY_CORS_ORIGINS": "https://a.example, https://app.example/"},
        "error: GATEWAY_CORS_ORIGINS: 'https://app.example/' is not an origin; write "
        "comma-separated scheme://host[:port] with no path, such as https://app.example.com",
    ),
    "redirect prefix without scheme": (
        {"GATEWAY_WECHAT_REDIRECT_ALLOWLIST": "app.example/callback"},
        "error: GATEWAY_WECHAT_REDIRECT_ALLOWLIST: 'app.example/callback' is not a URL "
        "prefix; write comma-separated prefixes such as https://app.example.com/",
    ),
    "proxy that is not an address": (
        {"GATEWAY_FORWARDED_ALLOW_IPS": "10.0.0.5, *"},
        "error: GATEWAY_FORWARDED_ALLOW_IPS: '*' is not an IP address or network; write the "
        "comma-separated addresses or networks of the proxies in front of the gateway, such "
        "as 10.0.0.5,10.1.0.0/16 (trusting every peer would let any client choose the "
        "address its rate limits count)",
    ),
    "policy file missing": (
        {"GATEWAY_POLICY_FILE": "missing-policy.md"},
        "error: GATEWAY_POLICY_FILE: missing-policy.md cannot be read (No such file or "
        "directory); give the path of the policy's Markdown body",
    ),
    "inventory folder missing": (
        {"GATEWAY_INVENTORY_DIR": "missing-inventory"},
        "error: GATEWAY_INVENTORY_DIR: missing-inventory is not a folder; give a copy of "
        "resolvers/privacy/data/",
    ),
    "wechat app id without secret": (
        {"GATEWAY_WECHAT_APP_ID": "wx0123456789abcdef"},
        "error: GATEWAY_WECHAT_APP_SECRET: not set; WeChat sign-in needs both "
        "GATEWAY_WECHAT_APP_ID and GATEWAY_WECHAT_APP_SECRET (set neither to turn it off)",
    ),
    "two mistakes": (
        {"GATEWAY_ENV": "prod", "GATEWAY_LOG_LEVEL": "LOUD", "GATEWAY_GRAPHIQL": "maybe"},
        "error: GATEWAY_ENV: 'prod' is not accepted; use development, test or production "
        "(also wrong: GATEWAY_GRAPHIQL, GATEWAY_LOG_LEVEL)",
    ),
    "production without secrets": (
        {
            "GATEWAY_ENV": "production",
            "GATEWAY_TOKEN_SIGNING_KEY": "",
            "GATEWAY_DATA_KEYS": "",
            "GATEWAY_BLIND_INDEX_KEY": "",
        },
        "error: missing required settings for production: GATEWAY_TOKEN_SIGNING_KEY, "
        "GATEWAY_DATA_KEYS, GATEWAY_BLIND_INDEX_KEY, GATEWAY_SMS_GATEWAY_URL, "
        "GATEWAY_EMAIL_GATEWAY_URL, GATEWAY_ID_VERIFIER_URL",
    ),
    "production without an identity verifier": (
        {
            "GATEWAY_ENV": "production",
            "GATEWAY_SMS_GATEWAY_URL": "https://sms.example/send",
            "GATEWAY_EMAIL_GATEWAY_URL": "https://mail.example/send",
        },
        "error: missing required settings for production: GATEWAY_ID_VERIFIER_URL",
    ),
}

PRODUCTION = {
    "GATEWAY_ENV": "production",
    "GATEWAY_SMS_GATEWAY_URL": "https://sms.example/send",
    "GATEWAY_EMAIL_GATEWAY_URL": "https://mail.example/send",
    "GATEWAY_ID_VERIFIER_URL": "https://verify.example/check",
}
PROVIDER_URLS = (
    "GATEWAY_SMS_GATEWAY_URL",
    "GATEWAY_EMAIL_GATEWAY_URL",
    "GATEWAY_ID_VERIFIER_URL",
    "GATEWAY_WECHAT_API_BASE",
    "GATEWAY_WECHAT_AUTHORIZE_URL",
)


@pytest.mark.parametrize(("variables", "line"), MISTAKES.values(), ids=MISTAKES.keys())
@pytest.mark.parametrize("arguments", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_mistake_is_one_line_naming_the_setting_for_every_command(
    operator_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    variables: dict[str, str],
    line: str,
) -> None:
    set_variables(monkeypatch, variables)

    assert_refused(arguments, line)


@pytest.mark.parametrize("setting", PROVIDER_URLS)
@pytest.mark.parametrize("arguments", COMMANDS.values(), ids=COMMANDS.keys())
def test_production_refuses_a_provider_url_over_http(
    operator_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    setting: str,
) -> None:
    set_variables(monkeypatch, PRODUCTION)
    monkeypatch.setenv(setting, "http://provider.example/api")

    assert_refused(
        arguments,
        f"error: {setting}: production calls providers over https:// only (their token and "
        "personal data would cross the network in clear); write an https:// URL",
    )


def test_http_provider_urls_are_accepted_outside_production(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for setting in PROVIDER_URLS:
        monkeypatch.setenv(setting, "http://127.0.0.1:9000/api")

    settings = load_settings()

    assert settings.sms_gateway_url == "http://127.0.0.1:9000/api"
    assert settings.wechat_api_base == "http://127.0.0.1:9000/api"


def test_keys_generate_output_always_passes_in_production(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_variables(monkeypatch, PRODUCTION)
    generated = runner.invoke(app, ["keys", "generate"])
    for line in generated.stdout.splitlines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)

    settings = load_settings()

    assert generated.exit_code == 0
    assert settings.token_signing_key is not None
    assert settings.token_signing_key.get_secret_value() in generated.stdout
    # Fresh values every time: many of them, each accepted.
    for _ in range(200):
        assert load_settings(**generate_secrets()).data_keys is not None


def test_an_empty_variable_is_as_if_unset(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_REDIS_URL", "")
    monkeypatch.setenv("GATEWAY_LOG_LEVEL", "")

    settings = load_settings()

    assert settings.redis_url is None
    assert settings.log_level == "INFO"


def test_the_asgi_factory_refuses_in_the_same_line(
    operator_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GATEWAY_INTROSPECTION", "maybe")

    with pytest.raises(SystemExit) as exited:
        app_from_environment()

    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "error: GATEWAY_INTROSPECTION: 'maybe' is not accepted; use true or false\n"
    )


@pytest.mark.parametrize(
    ("variables", "line"),
    [
        MISTAKES["env prod"],
        MISTAKES["data keys abc"],
        MISTAKES["database postgres://"],
    ],
    ids=["env", "data keys", "database url"],
)
def test_a_real_process_prints_the_line_and_no_traceback(
    operator_environment: Path, variables: dict[str, str], line: str
) -> None:
    result = run_process(["serve"], **variables)

    assert result.returncode == 2
    assert result.stderr == line + "\n"
    assert result.stdout == ""


@pytest.mark.parametrize("arguments", COMMANDS.values(), ids=COMMANDS.keys())
def test_unreadable_generated_secrets_are_one_line(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str]
) -> None:
    monkeypatch.setenv("GATEWAY_ENV", "development")
    monkeypatch.delenv("GATEWAY_TOKEN_SIGNING_KEY")
    (operator_environment / "var").mkdir()
    (operator_environment / "var" / "secrets.json").write_text("{not json", encoding="utf-8")

    assert_refused(
        arguments,
        "error: GATEWAY_TOKEN_SIGNING_KEY: not set, and the generated development secrets in "
        "var/secrets.json cannot be used (not JSON); set it, or remove var/secrets.json to "
        "generate new ones (data sealed with the old keys is then lost)",
    )


def test_seed_demo_is_refused_in_production(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_variables(monkeypatch, PRODUCTION)

    assert_refused(
        ["seed", "--demo"],
        "error: GATEWAY_ENV: seed --demo creates accounts whose password is published; it "
        "runs in development and test only, not in production",
    )
    assert not (operator_environment / "gateway.db").exists()


@pytest.mark.parametrize("workers", ["2", "8"])
def test_production_refuses_several_workers_without_redis(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    set_variables(monkeypatch, PRODUCTION)

    assert_refused(
        ["serve", "--workers", workers],
        f"error: GATEWAY_REDIS_URL: not set; production with --workers {workers} needs it, "
        f"or each worker keeps its own rate limits and a client gets {workers} times the "
        "tries (set it, or serve one worker)",
    )


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(
    ("variables", "workers"),
    [
        ({}, "1"),
        ({"GATEWAY_REDIS_URL": "redis://127.0.0.1:6379/11"}, "4"),
    ],
    ids=["one worker without Redis", "four workers with Redis"],
)
def test_production_serves_when_the_limits_are_shared_or_single(
    operator_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    workers: str,
) -> None:
    set_variables(monkeypatch, {**PRODUCTION, **variables})
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    started: list[dict[str, object]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: started.append(options))

    result = runner.invoke(app, ["serve", "--workers", workers])

    assert result.exit_code == 0, result.output
    assert [options["workers"] for options in started] == [int(workers)]


def test_staff_create_checks_the_configuration_before_asking_for_the_password(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_ENV", "prod")
    arguments = ["staff", "create", "--name", "Li", "--email", "li@corp.example"]

    result = runner.invoke(app, [*arguments, "--role", "SUPPORT"], input="")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: GATEWAY_ENV: 'prod' is not accepted; use development, test or production\n"
    )


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(
    ("variables", "trusted"),
    [
        ({}, ["127.0.0.1", "::1"]),
        ({"GATEWAY_FORWARDED_ALLOW_IPS": "10.0.0.5, 10.1.0.0/16"}, ["10.0.0.5", "10.1.0.0/16"]),
    ],
    ids=["loopback by default", "the proxies named"],
)
def test_serve_believes_forwarded_headers_from_the_proxies_named_only(
    operator_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    trusted: list[str],
) -> None:
    set_variables(monkeypatch, {**PRODUCTION, **variables})
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    started: list[dict[str, object]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: started.append(options))

    result = runner.invoke(app, ["serve"])

    assert result.exit_code == 0, result.output
    assert [(o["proxy_headers"], o["forwarded_allow_ips"]) for o in started] == [(True, trusted)]
