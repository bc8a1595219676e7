"""The `xiamo-gateway` command line, run as an operator would."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
)
from sqlalchemy import func, select
from typer.testing import CliRunner

from gateway.cli import app
from models import Account, AccountKind, PrivacyPolicy, queries
from models.database import create_engine, create_session_factory
from schema import schema
from tests.conftest import TEST_SECRETS
from tests.support.ids import NODE_TYPES

runner = CliRunner()


@pytest.fixture
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GATEWAY_ENV", raising=False)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    return tmp_path


def count_rows(url: str) -> dict[str, int]:
    async def run() -> dict[str, int]:
        engine = create_engine(url)
        async with create_session_factory(engine)() as session:
            counts = {
                kind.value: await session.scalar(
                    select(func.count()).select_from(Account).where(Account.kind == kind)
                )
                or 0
                for kind in AccountKind
            }
            counts["policies"] = (
                await session.scalar(select(func.count()).select_from(PrivacyPolicy)) or 0
            )
        await engine.dispose()
        return counts

    return asyncio.run(run())


def test_db_upgrade_then_seed_demo_is_idempotent(workdir: Path) -> None:
    url = f"sqlite+aiosqlite:///{workdir}/cli.db"

    upgraded = runner.invoke(app, ["db", "upgrade"])
    first = runner.invoke(app, ["seed", "--demo"])
    second = runner.invoke(app, ["seed", "--demo"])
    again = runner.invoke(app, ["db", "upgrade"])

    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output == "database is up to date; policy 1.0 stored\n"
    assert again.output == "database is up to date\n"
    assert first.output == "accounts: 28 added, staff: 1 added\n"
    assert second.output == "accounts: 0 added, staff: 0 added\n"
    assert count_rows(url) == {
        "INDIVIDUAL": 1,
        "BUSINESS": 1,
        "ENTERPRISE": 1,
        "SUB_ACCOUNT": 25,
        "policies": 1,
    }


def test_export_schema_writes_the_sdl(workdir: Path) -> None:
    result = runner.invoke(app, ["export-schema", "--output", "out.graphql"])

    assert result.exit_code == 0
    assert (workdir / "out.graphql").read_text() == schema.as_str() + "\n"


def abstract_types_of_the_committed_sdl() -> dict[str, list[str]]:
    """Read from schema.graphql as written, independently of the code: each interface
    and union with the object types that implement it or belong to it."""
    document = parse((Path(__file__).resolve().parents[2] / "schema.graphql").read_text())
    members: dict[str, set[str]] = {}
    for definition in document.definitions:
        if isinstance(definition, InterfaceTypeDefinitionNode | UnionTypeDefinitionNode):
            members.setdefault(definition.name.value, set())
        if isinstance(definition, UnionTypeDefinitionNode):
            members[definition.name.value] |= {t.name.value for t in definition.types or ()}
        if isinstance(definition, ObjectTypeDefinitionNode):
            for interface in definition.interfaces or ():
                members.setdefault(interface.name.value, set()).add(definition.name.value)
    return {name: sorted(types) for name, types in sorted(members.items())}


def test_export_schema_possible_types_prints_every_abstract_type_as_json(workdir: Path) -> None:
    result = runner.invoke(app, ["export-schema", "--possible-types"])

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == abstract_types_of_the_committed_sdl()
    assert printed["Account"] == [
        "BusinessAccount",
        "EnterpriseAccount",
        "IndividualAccount",
        "SubAccount",
    ]
    assert printed["Node"] == NODE_TYPES
    assert result.stdout == json.dumps(printed, indent=2) + "\n"
    # Printed only: schema.graphql is not rewritten.
    assert list(workdir.iterdir()) == []


def test_export_schema_possible_types_writes_the_file_given(workdir: Path) -> None:
    result = runner.invoke(app, ["export-schema", "--possible-types", "--output", "types.json"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "wrote types.json\n"
    assert json.loads((workdir / "types.json").read_text()) == abstract_types_of_the_committed_sdl()


def test_keys_generate_prints_every_secret_setting(workdir: Path) -> None:
    result = runner.invoke(app, ["keys", "generate"])

    names = [line.split("=", 1)[0] for line in result.output.splitlines()]
    values = [line.split("=", 1)[1] for line in result.output.splitlines()]
    assert result.exit_code == 0
    assert names == ["GATEWAY_TOKEN_SIGNING_KEY", "GATEWAY_DATA_KEYS", "GATEWAY_BLIND_INDEX_KEY"]
    # Each a versioned key (a key id, then 32 random bytes in base64), ready to rotate.
    assert all(re.fullmatch(r"k[0-9a-f]{8}:[A-Za-z0-9_-]{43}=", value) for value in values)
    assert runner.invoke(app, ["keys", "generate"]).output != result.output


def test_staff_create_adds_a_member_once(workdir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    arguments = ["staff", "create", "--name", "Li Officer", "--email", "li@corp.example"]
    arguments += ["--role", "PRIVACY_OFFICER", "--password", "Str0ng-Passw0rd"]

    created = runner.invoke(app, arguments)
    again = runner.invoke(app, arguments)
    weak = runner.invoke(app, [*arguments[:-1], "weakweak"])
    breached = runner.invoke(app, [*arguments[:-1], "1qaz2wsx3edc"])

    assert created.exit_code == 0, created.output
    assert re.fullmatch(
        r"staff member created: Li Officer \(PRIVACY_OFFICER\)\n"
        r"authenticator \(TOTP\): otpauth://totp/xiamo-gateway:li%40corp\.example"
        r"\?secret=[A-Z2-7]{32}&issuer=xiamo-gateway\n",
        created.output,
    )
    assert again.exit_code == 1
    assert again.stderr == "error: this e-mail address already signs somebody in\n"
    assert weak.exit_code == 2
    assert weak.stderr == "error: The password needs at least 12 characters.\n"
    assert breached.exit_code == 2
    assert breached.stderr == (
        "error: This password is on a list of passwords known from data breaches; choose another.\n"
    )


def test_staff_create_asks_for_the_password_twice_when_not_given(workdir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    arguments = ["staff", "create", "--name", "Li Officer", "--email", "li@corp.example"]
    arguments += ["--role", "SUPPORT"]

    created = runner.invoke(app, arguments, input="Str0ng-Passw0rd\nStr0ng-Passw0rd\n")

    assert created.exit_code == 0, created.output
    assert created.stdout.startswith(
        "Password: \nRepeat for confirmation: \nstaff member created: Li Officer (SUPPORT)\n"
        "authenticator (TOTP): otpauth://totp/"
    )


def test_serve_in_production_without_secrets_exits_naming_them(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_ENV", "production")
    for name in TEST_SECRETS:
        monkeypatch.delenv(f"GATEWAY_{name.upper()}", raising=False)

    result = runner.invoke(app, ["serve"])

    assert result.exit_code == 2
    assert result.stderr == (
        "error: missing required settings for production: GATEWAY_TOKEN_SIGNING_KEY, "
        "GATEWAY_DATA_KEYS, GATEWAY_BLIND_INDEX_KEY, GATEWAY_SMS_GATEWAY_URL, "
        "GATEWAY_EMAIL_GATEWAY_URL, GATEWAY_ID_VERIFIER_URL\n"
    )


STAFF = ["staff", "create", "--name", "Li Officer", "--email", "li@corp.example"]
STAFF += ["--role", "SUPPORT", "--password", "Str0ng-Passw0rd"]


def staff_row(url: str) -> Any:
    async def run() -> Any:
        engine = create_engine(url)
        async with create_session_factory(engine)() as session:
            row = await queries.staff_by_email(session, "li@corp.example")
        await engine.dispose()
        return row

    return asyncio.run(run())


def test_staff_totp_reset_gives_a_new_secret(workdir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    created = runner.invoke(app, STAFF)
    url = f"sqlite+aiosqlite:///{workdir}/cli.db"
    first = staff_row(url).totp_secret

    reset = runner.invoke(app, ["staff", "totp-reset", "--email", "LI@corp.example"])
    unknown = runner.invoke(app, ["staff", "totp-reset", "--email", "nobody@corp.example"])

    second = staff_row(url).totp_secret
    assert created.exit_code == 0
    assert reset.exit_code == 0, reset.output
    assert reset.output == (
        f"authenticator (TOTP): otpauth://totp/xiamo-gateway:li%40corp.example"
        f"?secret={second}&issuer=xiamo-gateway\n"
    )
    assert second != first
    assert (unknown.exit_code, unknown.stderr) == (
        1,
        "error: no staff member has this e-mail address\n",
    )


def test_staff_disable_and_reset_password(workdir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, STAFF)
    url = f"sqlite+aiosqlite:///{workdir}/cli.db"
    old_hash = staff_row(url).password_hash

    disabled = runner.invoke(app, ["staff", "disable", "--email", "li@corp.example"])
    reset = runner.invoke(
        app,
        ["staff", "reset-password", "--email", "li@corp.example"],
        input="An0ther-Passw0rd\nAn0ther-Passw0rd\n",
    )
    weak = runner.invoke(
        app, ["staff", "reset-password", "--email", "li@corp.example", "--password", "weakweak"]
    )

    row = staff_row(url)
    assert (disabled.exit_code, disabled.output) == (
        0,
        "staff member disabled; its sessions have ended\n",
    )
    assert row.disabled_at is not None
    assert reset.exit_code == 0, reset.output
    assert reset.stdout.endswith("password reset; the staff member's sessions have ended\n")
    assert row.password_hash != old_hash
    assert weak.exit_code == 1
    assert weak.stderr.startswith("error: The password")


def test_staff_create_refuses_an_address_an_account_signs_in_with(workdir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["seed", "--demo"])

    taken = runner.invoke(
        app,
        ["staff", "create", "--name", "X", "--email", "biz@demo.example", "--role", "SUPPORT"]
        + ["--password", "Str0ng-Passw0rd"],
    )

    assert (taken.exit_code, taken.stderr) == (
        1,
        "error: this e-mail address already signs somebody in\n",
    )
