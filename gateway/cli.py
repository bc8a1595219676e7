"""The `xiamo-gateway` command line."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.commands import now, refuse, settings_or_exit
from gateway.graphiql import missing_assets
from gateway.preflight import check_database, check_inventory
from gateway.settings import (
    ConfigurationError,
    Settings,
    generate_secrets,
    unknown_variable_warnings,
)
from models import StaffRole, migrate
from models.database import create_engine, create_session_factory
from resolvers.policies.shipped import ensure_shipped_policy
from resolvers.privacy.inventory import Inventory

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
logger = logging.getLogger("gateway")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"xiamo-gateway {metadata.version('xiamo-gateway')}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        callback=_show_version,
        is_eager=True,
    ),
) -> None:
    """The accounts and privacy GraphQL gateway."""
    # serve logs these warnings in its log format instead.
    if ctx.invoked_subcommand != "serve":
        for warning in unknown_variable_warnings(os.environ):
            typer.echo(f"warning: {warning}", err=True)


def _check_database(settings: Settings, *, migrated: bool = True) -> None:
    """Stop with one line unless the database answers (and holds the current schema)."""
    try:
        asyncio.run(check_database(settings.database_url, migrated=migrated))
    except ConfigurationError as exc:
        refuse(exc)


def _inventory(settings: Settings) -> Inventory:
    """The personal-data inventory, or one line naming the file that is wrong."""
    try:
        return check_inventory(settings)
    except ConfigurationError as exc:
        refuse(exc)


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
) -> None:
    """Serve the gateway with uvicorn."""
    from gateway import metrics
    from gateway.asgi import start_logging
    from gateway.tracing import exporter_name

    settings = settings_or_exit()
    try:
        exporter_name(os.environ)
    except ConfigurationError as exc:
        refuse(exc)
    if settings.metrics_port is not None and settings.metrics_port == port:
        refuse(
            ConfigurationError(
                "GATEWAY_METRICS_PORT",
                f"{port} is the port the gateway serves on; metrics need a port of their own",
            )
        )
    if settings.is_production and workers > 1 and settings.redis_url is None:
        refuse(
            ConfigurationError(
                "GATEWAY_REDIS_URL",
                f"not set; production with --workers {workers} needs it, or each worker "
                f"keeps its own rate limits and a client gets {workers} times the tries "
                "(set it, or serve one worker)",
            )
        )
    _inventory(settings)
    _check_database(settings)
    start_logging(settings)
    base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    where = f"listening on {base}"
    if settings.graphiql_enabled:
        where += f"; GraphiQL at {base}/graphql"
    if settings.metrics_port is not None:
        where += f"; metrics at {base.rsplit(':', 1)[0]}:{settings.metrics_port}/metrics"
    logger.info(where)
    if settings.graphiql_enabled and missing_assets(settings.graphiql_assets_dir):
        # An installed wheel has no node_modules beside it: say so now, not as a blank page.
        logger.warning(
            "GraphiQL's assets are not in %s: run `make assets` in the project, or set "
            "GATEWAY_GRAPHIQL_ASSETS_DIR to a folder that holds them",
            settings.graphiql_assets_dir,
        )
    # Several workers count into shared files, set up before any worker starts.
    made = metrics.prepare_multiprocess_directory(1 if reload else workers)
    try:
        if settings.metrics_port is not None:
            metrics.start_metrics_listener(host, settings.metrics_port)
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
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
    finally:
        metrics.remove_multiprocess_directory(made)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration, then make sure the shipped policy version exists."""
    settings = settings_or_exit()
    if settings.database_url.startswith("sqlite"):
        Path("var").mkdir(exist_ok=True)
    _check_database(settings, migrated=False)

    async def run() -> bool:
        engine = create_engine(settings.database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        return await _in_transaction(
            settings,
            lambda session: ensure_shipped_policy(
                session, body_file=settings.policy_file, now=now()
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
    output: Path | None = typer.Option(
        None,
        help="Where to write: by default schema.graphql, or standard output with --possible-types.",
    ),
    possible_types: bool = typer.Option(
        False,
        "--possible-types",
        help="Print the possibleTypes map of Apollo Client's InMemoryCache as JSON instead.",
    ),
) -> None:
    """Write the GraphQL schema as SDL, or the possibleTypes map of its abstract types."""
    import json

    from schema import schema
    from schema.possible_types import possible_types as possible_types_of

    if possible_types:
        text = json.dumps(possible_types_of(schema._schema), indent=2) + "\n"
        if output is None:
            typer.echo(text, nl=False)
            return
    else:
        text = schema.as_str() + "\n"
        output = output or Path("schema.graphql")
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")


@app.command()
def seed(demo: bool = typer.Option(False, "--demo", help="Create the demo data.")) -> None:
    """Load data into the database (idempotent)."""
    if not demo:
        typer.echo("nothing to do: pass --demo", err=True)
        raise typer.Exit(code=2)
    from gateway.demo import seed_demo

    settings = settings_or_exit()
    if settings.is_production:
        refuse(
            ConfigurationError(
                "GATEWAY_ENV",
                "seed --demo creates accounts whose password is published; it runs in "
                "development and test only, not in production",
            )
        )
    _check_database(settings)
    added = asyncio.run(_in_transaction(settings, lambda session: seed_demo(session, now())))
    typer.echo(", ".join(f"{name}: {count} added" for name, count in added.items()))


def _staff_work(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run a staff operation in one transaction; its refusal is one line and exit 1."""
    from resolvers.staff.manage import StaffError

    try:
        return asyncio.run(_in_transaction(settings, work))
    except StaffError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc


def _ask_password(password: str | None) -> str:
    if password is None:
        password = str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    return password


@staff_app.command("create")
def staff_create(
    name: str = typer.Option(..., help="Display name shown in access logs."),
    email: str = typer.Option(..., help="Sign-in e-mail address."),
    role: StaffRole = typer.Option(..., help="PRIVACY_OFFICER or SUPPORT."),
    password: str | None = typer.Option(
        None, help="Sign-in password; asked for (twice, hidden) when not given."
    ),
) -> None:
    """Create a staff member; prints the otpauth:// URI of its authenticator (TOTP).

    Staff sign in with loginStaff: the e-mail address, the password and the code their
    authenticator shows. Hand the URI to the staff member only (it is the second factor).
    """
    from auth.contacts import parse_email
    from auth.passwords import password_problem
    from resolvers.staff.manage import create_staff

    if parse_email(email) is None or not name.strip():
        typer.echo("error: give a name and a valid e-mail address", err=True)
        raise typer.Exit(code=2)
    settings = settings_or_exit()
    _check_database(settings)
    # Asked only once the settings and the database are known to work.
    secret = _ask_password(password)
    problem = password_problem(secret)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(code=2)
    enrolled = _staff_work(
        settings,
        lambda session: create_staff(
            session, name=name, email=email, role=role, password=secret, now=now()
        ),
    )
    typer.echo(f"staff member created: {name.strip()} ({role.value})")
    typer.echo(f"authenticator (TOTP): {enrolled.totp_uri}")


@staff_app.command("totp-reset")
def staff_totp_reset(email: str = typer.Option(..., help="The staff member's e-mail.")) -> None:
    """Give a staff member a new authenticator secret (the old one stops working) and
    end its sessions; prints the new otpauth:// URI."""
    from resolvers.staff.manage import reset_totp

    settings = settings_or_exit()
    _check_database(settings)
    enrolled = _staff_work(settings, lambda session: reset_totp(session, email=email, now=now()))
    typer.echo(f"authenticator (TOTP): {enrolled.totp_uri}")


@staff_app.command("disable")
def staff_disable(email: str = typer.Option(..., help="The staff member's e-mail.")) -> None:
    """Disable a staff member: it can no longer sign in, and its sessions end now."""
    from resolvers.staff.manage import disable_staff

    settings = settings_or_exit()
    _check_database(settings)
    _staff_work(settings, lambda session: disable_staff(session, email=email, now=now()))
    typer.echo("staff member disabled; its sessions have ended")


@staff_app.command("reset-password")
def staff_reset_password(
    email: str = typer.Option(..., help="The staff member's e-mail."),
    password: str | None = typer.Option(
        None, help="The new password; asked for (twice, hidden) when not given."
    ),
) -> None:
    """Set a staff member's password (the same rules as everyone's) and end its sessions."""
    from resolvers.staff.manage import reset_staff_password

    settings = settings_or_exit()
    _check_database(settings)
    secret = _ask_password(password)
    _staff_work(
        settings,
        lambda session: reset_staff_password(session, email=email, password=secret, now=now()),
    )
    typer.echo("password reset; the staff member's sessions have ended")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print fresh values of every secret setting as NAME=value lines."""
    for name, value in generate_secrets().items():
        typer.echo(f"GATEWAY_{name.upper()}={value}")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Bring every stored value up to the newest keys: re-seal it with the last of
    GATEWAY_DATA_KEYS and recompute its blind index with the last of GATEWAY_BLIND_INDEX_KEY."""
    from models.key_rotation import Rotated, rotate_keys

    settings = settings_or_exit()
    _check_database(settings)

    async def run() -> dict[str, Rotated]:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                return await rotate_keys(session)
        finally:
            await engine.dispose()

    counts = asyncio.run(run())
    for table, rotated in counts.items():
        line = f"{table}: {rotated.resealed} re-sealed, {rotated.reindexed} re-indexed"
        if rotated.conflicts:
            line += (
                f", {rotated.conflicts} left under an older index key (another row holds the "
                "same value)"
            )
        typer.echo(line)
    if any(rotated.conflicts for rotated in counts.values()):
        raise typer.Exit(code=1)


@retention_app.command("run")
def retention_run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count, delete nothing."),
) -> None:
    """Delete what outlived its category's retention; print counts per category."""
    from resolvers.rights.retention import run_retention

    settings = settings_or_exit()
    inventory = _inventory(settings)
    _check_database(settings)

    async def run() -> dict[str, int]:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                return await run_retention(session, inventory, now(), dry_run=dry_run)
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

from gateway.trusted_documents import trusted_documents_app  # noqa: E402

app.add_typer(trusted_documents_app, name="trusted-documents")


def main() -> None:
    app()
