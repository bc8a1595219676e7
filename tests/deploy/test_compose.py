"""compose.yaml: valid under the Compose Specification, and the stack it describes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.settings import PRODUCTION_SETTINGS, SECRET_SETTINGS, Settings
from tests.deploy.files import COMPOSE_FILE, ENV_EXAMPLE, REPO_ROOT, TOOLS, load_compose
from tests.support.processes import run

GATEWAY_SERVICES = ("migrate", "gateway")


def check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return run(
        [str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)]
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    services: dict[str, Any] = compose["services"]
    return services


def test_the_compose_file_follows_the_compose_specification() -> None:
    result = check_compose(COMPOSE_FILE)

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_compose_file_that_breaks_the_specification_is_refused(
    tmp_path: Path, compose: dict[str, Any]
) -> None:
    broken = tmp_path / "compose.yaml"
    gateway = compose["services"]["gateway"]
    broken.write_text(
        yaml.safe_dump(
            {
                **compose,
                "services": {
                    **compose["services"],
                    "gateway": {
                        **gateway,
                        "depends_on": {"migrate": {"condition": "service_finished"}},
                        "restart_policy": "always",
                    },
                },
            }
        )
    )

    result = check_compose(broken)

    assert result.returncode == 1
    assert "'service_finished' is not one of" in result.stdout
    assert "'restart_policy' were unexpected" in result.stdout


def test_migrations_run_once_before_the_gateway_starts(services: dict[str, Any]) -> None:
    migrate, gateway = services["migrate"], services["gateway"]

    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert gateway["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_the_gateway_waits_for_healthy_postgres_and_redis(services: dict[str, Any]) -> None:
    depends_on = services["gateway"]["depends_on"]

    for name in ("postgres", "redis"):
        assert depends_on[name] == {"condition": "service_healthy"}
        assert services[name]["healthcheck"]["test"][0] == "CMD"


def test_the_gateway_serves_on_all_interfaces_with_several_workers(
    services: dict[str, Any],
) -> None:
    gateway = services["gateway"]

    assert gateway["command"][:5] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    assert gateway["command"][5:] == ["--workers", "${WORKERS:-2}"]
    assert gateway["ports"] == ["${PORT:-8000}:8000"]


def test_both_run_the_one_image_in_production_with_shared_state(
    services: dict[str, Any],
) -> None:
    for name in GATEWAY_SERVICES:
        service = services[name]
        environment = service["environment"]

        assert (service["image"], service["build"], service["env_file"]) == (
            "xiamo-gateway",
            ".",
            ".env",
        )
        assert environment["GATEWAY_ENV"] == "production"
        assert environment["GATEWAY_DATABASE_URL"].startswith("postgresql+asyncpg://gateway:")
        assert environment["GATEWAY_DATABASE_URL"].endswith("@postgres:5432/gateway")
        assert environment["GATEWAY_REDIS_URL"] == "redis://redis:6379/0"


def test_compose_refuses_to_start_without_the_providers_production_needs(
    services: dict[str, Any],
) -> None:
    required = {f"GATEWAY_{name.upper()}" for name in PRODUCTION_SETTINGS} | {
        "GATEWAY_ID_VERIFIER_URL"
    }

    for name in GATEWAY_SERVICES:
        environment = services[name]["environment"]
        for setting in required:
            assert environment[setting] == f"${{{setting}:?set {setting} in .env}}"


def test_every_setting_named_is_one_the_gateway_reads(services: dict[str, Any]) -> None:
    named = set(re.findall(r"^#? ?(GATEWAY_\w+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    for name in GATEWAY_SERVICES:
        named |= set(services[name]["environment"])

    assert named
    for setting in named:
        assert setting.removeprefix("GATEWAY_").lower() in Settings.model_fields, setting


def test_no_key_is_written_in_the_shipped_files() -> None:
    secrets = [f"GATEWAY_{name.upper()}" for name in SECRET_SETTINGS]
    shipped = COMPOSE_FILE.read_text() + ENV_EXAMPLE.read_text()

    for secret in secrets:
        assert secret not in shipped
    assert "keys generate >> .env" in ENV_EXAMPLE.read_text()
    assert ".env" in (REPO_ROOT / ".gitignore").read_text().splitlines()
