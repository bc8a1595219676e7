"""Settings: environment variables, generated development secrets, production refusal."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from gateway.settings import Environment, MissingSecretsError, load_settings
from tests.conftest import TEST_SECRETS

# 32 bytes in base64, as an operator would set it.
ENVIRONMENT_KEY = "ZnJvbS10aGUtZW52aXJvbm1lbnQtMzItYnl0ZXMhISE="


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in (
        "TOKEN_SIGNING_KEY",
        "DATA_KEYS",
        "BLIND_INDEX_KEY",
        "ENV",
        "SMS_GATEWAY_URL",
        "EMAIL_GATEWAY_URL",
        "ID_VERIFIER_URL",
    ):
        monkeypatch.delenv(f"GATEWAY_{name}", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_production_without_secrets_refuses_and_names_each_one(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_ENV", "production")

    with pytest.raises(MissingSecretsError) as raised:
        load_settings()

    assert raised.value.names == [
        "GATEWAY_TOKEN_SIGNING_KEY",
        "GATEWAY_DATA_KEYS",
        "GATEWAY_BLIND_INDEX_KEY",
        "GATEWAY_SMS_GATEWAY_URL",
        "GATEWAY_EMAIL_GATEWAY_URL",
        "GATEWAY_ID_VERIFIER_URL",
    ]
    assert str(raised.value) == (
        "missing required settings for production: GATEWAY_TOKEN_SIGNING_KEY, "
        "GATEWAY_DATA_KEYS, GATEWAY_BLIND_INDEX_KEY, GATEWAY_SMS_GATEWAY_URL, "
        "GATEWAY_EMAIL_GATEWAY_URL, GATEWAY_ID_VERIFIER_URL"
    )
    assert not (clean_environment / "var").exists()


def test_production_names_only_what_is_missing(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_ENV", "production")
    monkeypatch.setenv("GATEWAY_DATA_KEYS", "k1:" + "A" * 43 + "=")
    monkeypatch.setenv("GATEWAY_SMS_GATEWAY_URL", "https://sms.example/send")

    with pytest.raises(MissingSecretsError) as raised:
        load_settings()

    assert raised.value.names == [
        "GATEWAY_TOKEN_SIGNING_KEY",
        "GATEWAY_BLIND_INDEX_KEY",
        "GATEWAY_EMAIL_GATEWAY_URL",
        "GATEWAY_ID_VERIFIER_URL",
    ]


def test_development_generates_secrets_once_and_keeps_them(clean_environment: Path) -> None:
    first = load_settings()
    second = load_settings()

    secrets_file = clean_environment / "var" / "secrets.json"
    stored = json.loads(secrets_file.read_text())
    assert first.env is Environment.DEVELOPMENT
    assert first.token_signing_key is not None
    assert first.token_signing_key.get_secret_value() == stored["token_signing_key"]
    assert second.data_keys is not None
    assert first.data_keys is not None
    assert second.data_keys.get_secret_value() == first.data_keys.get_secret_value()
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600


def test_development_keeps_secrets_set_in_the_environment(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_BLIND_INDEX_KEY", ENVIRONMENT_KEY)

    settings = load_settings()

    assert settings.blind_index_key is not None
    assert settings.blind_index_key.get_secret_value() == ENVIRONMENT_KEY


def test_lists_are_read_comma_separated(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "https://a.example, https://b.example")

    settings = load_settings()

    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_defaults_differ_between_development_and_production(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    development = load_settings()
    monkeypatch.setenv("GATEWAY_ENV", "production")
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(f"GATEWAY_{name.upper()}", value)
    monkeypatch.setenv("GATEWAY_SMS_GATEWAY_URL", "https://sms.example/send")
    monkeypatch.setenv("GATEWAY_EMAIL_GATEWAY_URL", "https://mail.example/send")
    monkeypatch.setenv("GATEWAY_ID_VERIFIER_URL", "https://verify.example/check")
    production = load_settings()

    assert (development.introspection_enabled, production.introspection_enabled) == (True, False)
    assert (development.graphiql_enabled, production.graphiql_enabled) == (True, False)
    assert (development.get_queries_enabled, production.get_queries_enabled) == (True, False)
    assert development.redirect_allowlist == ["http://localhost", "http://127.0.0.1"]
    assert production.redirect_allowlist == []
