"""The `xiamo-gateway` command line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.logging import configure_logging
from gateway.services import configure_encryption
from gateway.settings import MissingSecretsError, Settings, generate_secrets, load_settings
from models import StaffRole, migrate
from models.database import create_engine, create_session_factory
from resolvers.policies.shipped import ensure_shipped_policy

app = typer.Typer(help="The accounts and privacy GraphQL gateway.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="Secrets and encryption keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
staff_app = typer.Typer(help="Platform staff.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention of personal data.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
app.add_typer(keys_app, name="keys")
app.add_typer(staff_app, name="staff")

T = TypeVar("T")


def _settings() -> Settings:
    try:
        settings = load_settings()
    except MissingSecretsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    configure_encryption(settings)
    return settings


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
) -> None:
    """Serve the gateway with uvicorn."""
    settings = _settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "gateway.asgi:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1,::1",
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration, then make sure the shipped policy version exists."""
    settings = _settings()
    if settings.database_url.startswith("sqlite"):
        Path("var").mkdir(exist_ok=True)

    async def run() -> bool:
        engine = create_engine(settings.database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        return await _in_transaction(
            settings,
            lambda session: ensure_shipped_policy(
                session, body_file=settings.policy_file, now=_now()
            ),
        )

    added = asyncio.run(run())
    typer.echo("database is up to date" + ("; policy 1.0 stored" if added else ""))


@db_app.command("revision")
def db_revision(message: str = typer.Option(..., "-m", "--message")) -> None:
    """Write a migration for what the models changed (for maintainers)."""
    import tempfile

    async def run(url: str) -> None:
        engine = create_engine(url)
        try:
            await migrate.write_revision(engine, message)
        finally:
            await engine.dispose()

    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(run(f"sqlite+aiosqlite:///{scratch}/revision.db"))


@app.command("export-schema")
def export_schema(
    output: Path = typer.Option(Path("schema.graphql"), help="Where to write the SDL."),
) -> None:
    """Write the GraphQL schema as SDL."""
    from schema import schema

    output.write_text(schema.as_str() + "\n", encoding="utf-8")
    typer.echo(f"wrote {output}")


@app.command()
def seed(demo: bool = typer.Option(False, "--demo", help="Create the demo data.")) -> None:
    """Load data into the database (idempotent)."""
    if not demo:
        typer.echo("nothing to do: pass --demo", err=True)
        raise typer.Exit(code=2)
    from gateway.demo import seed_demo

    settings = _settings()
    added = asyncio.run(_in_transaction(settings, lambda session: seed_demo(session, _now())))
    typer.echo(", ".join(f"{name}: {count} added" for name, count in added.items()))


@staff_app.command("create")
def staff_create(
    name: str = typer.Option(..., help="Display name shown in access logs."),
    email: str = typer.Option(..., help="Sign-in e-mail address."),
    role: StaffRole = typer.Option(..., help="PRIVACY_OFFICER or SUPPORT."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="Sign-in password."
    ),
) -> None:
    """Create a staff member who signs in with loginWithPassword."""
    from auth.contacts import parse_email
    from auth.passwords import hash_password, password_problem
    from models import StaffMember, queries

    address = parse_email(email)
    problem = password_problem(password)
    if address is None or problem is not None or not name.strip():
        typer.echo("error: " + (problem or "give a name and a valid e-mail address"), err=True)
        raise typer.Exit(code=2)
    settings = _settings()

    async def create(session: AsyncSession) -> bool:
        if await queries.staff_by_email(session, address) is not None:
            return False
        member = StaffMember(
            name=name.strip()[:100],
            role=role,
            password_hash=await hash_password(password),
            created_at=_now(),
        )
        member.email = address
        session.add(member)
        return True

    if not asyncio.run(_in_transaction(settings, create)):
        typer.echo("error: a staff member with this e-mail address exists", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"staff member created: {name.strip()} ({role.value})")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print fresh values of every secret setting as NAME=value lines."""
    for name, value in generate_secrets().items():
        typer.echo(f"GATEWAY_{name.upper()}={value}")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-seal every encrypted value with the newest data key (the last of GATEWAY_DATA_KEYS)."""
    from models.key_rotation import rotate_keys

    settings = _settings()

    async def run() -> dict[str, int]:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                return await rotate_keys(session)
        finally:
            await engine.dispose()

    counts = asyncio.run(run())
    typer.echo(", ".join(f"{table}: {count} re-sealed" for table, count in counts.items()))


@retention_app.command("run")
def retention_run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count, delete nothing."),
) -> None:
    """Delete what outlived its category's retention; print counts per category."""
    from resolvers.privacy.inventory import load_inventory
    from resolvers.rights.retention import run_retention

    settings = _settings()
    inventory = (
        load_inventory(settings.inventory_dir) if settings.inventory_dir else load_inventory()
    )

    async def run() -> dict[str, int]:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                return await run_retention(session, inventory, _now(), dry_run=dry_run)
        finally:
            await engine.dispose()

    counts = asyncio.run(run())
    verb = "would delete" if dry_run else "deleted"
    for category, count in counts.items():
        typer.echo(f"{category}: {verb} {count}")


# The privacy workers live in their own module; registered here.
from gateway.privacy_commands import events_app, messages_app, services_app  # noqa: E402

app.add_typer(messages_app, name="messages")
app.add_typer(events_app, name="events")
app.add_typer(services_app, name="services")


def main() -> None:
    app()
