"""A GATEWAY_* variable that nothing reads is a warning naming the closest setting; the
command goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import app
from gateway.settings import unknown_variable_warnings
from tests.gateway.operator import runner


def test_a_misspelt_setting_is_a_warning_and_the_command_goes_on(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_DATABSE_URL", "postgresql+asyncpg://app:s3cret@db.example/x")

    upgraded = runner.invoke(app, ["db", "upgrade"])

    assert upgraded.exit_code == 0
    assert upgraded.stdout == "database is up to date; policy 1.0 stored\n"
    assert upgraded.stderr == (
        "warning: GATEWAY_DATABSE_URL is not a setting of the gateway and is ignored; "
        "did you mean GATEWAY_DATABASE_URL?\n"
    )


def test_every_command_warns_even_those_that_read_no_setting(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_INTROSPECT", "true")
    monkeypatch.setenv("GATEWAY_FROBNICATE", "1")

    generated = runner.invoke(app, ["keys", "generate"])

    assert generated.exit_code == 0
    assert len(generated.stdout.splitlines()) == 3
    assert generated.stderr == (
        "warning: GATEWAY_FROBNICATE is not a setting of the gateway and is ignored\n"
        "warning: GATEWAY_INTROSPECT is not a setting of the gateway and is ignored; "
        "did you mean GATEWAY_INTROSPECTION?\n"
    )


def test_the_variables_of_the_tests_and_the_benchmark_are_known(
    operator_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "GATEWAY_TEST_DATABASE_URL",
        "GATEWAY_TEST_POSTGRES_URL",
        "GATEWAY_TEST_REDIS_URL",
        "GATEWAY_BENCH_DATABASE_URL",
    ):
        monkeypatch.setenv(name, "postgresql+asyncpg://postgres@127.0.0.1:5432/x")

    generated = runner.invoke(app, ["keys", "generate"])

    assert generated.exit_code == 0
    assert generated.stderr == ""


def test_settings_and_other_variables_are_not_warned_about() -> None:
    environ = {
        "GATEWAY_ENV": "test",
        "gateway_log_level": "INFO",  # settings are read whatever the case
        "GATEWAY_WECHAT_REDIRECT_ALLOWLIST": "https://app.example/",
        "PATH": "/usr/bin",
        "OTEL_SERVICE_NAME": "gateway",
        "XGATEWAY_ENV": "x",
    }

    assert unknown_variable_warnings(environ) == []


def test_a_near_miss_of_a_test_variable_names_it() -> None:
    assert unknown_variable_warnings({"GATEWAY_TEST_POSTGRESS_URL": "x"}) == [
        "GATEWAY_TEST_POSTGRESS_URL is not a setting of the gateway and is ignored; "
        "did you mean GATEWAY_TEST_POSTGRES_URL?"
    ]
