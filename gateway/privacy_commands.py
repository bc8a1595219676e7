"""The privacy side's commands: the workers `messages deliver` and `events deliver`, and
the service credentials (`services create`, `services revoke`), registered in
`gateway/cli.py`.

A worker runs until it is stopped (SIGINT or SIGTERM end it after the pass under way)
or, with `--once`, for one pass (for cron). It reads the same settings as the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
from sqlalchemy import select, update

from auth import service_credentials
from auth.senders import HttpSender, Outbox
from auth.services import AuthServices
from gateway.commands import now, refuse, settings_or_exit
from gateway.logging import configure_logging
from gateway.preflight import check_database
from gateway.services import build_services
from gateway.settings import MIN_KEY_BYTES, ConfigurationError, Settings
from models import ServiceCredential
from models.database import create_engine, create_session_factory
from resolvers.events.delivery import EventReport, Webhook, deliver_events
from resolvers.messaging.delivery import DeliveryReport, deliver_due

logger = logging.getLogger("gateway.workers")

messages_app = typer.Typer(
    help="SMS and e-mail messages queued by the gateway.", no_args_is_help=True
)
events_app = typer.Typer(help="Privacy events for the platform's services.", no_args_is_help=True)
services_app = typer.Typer(
    help="Credentials of the platform's services (consentStatus).", no_args_is_help=True
)

# The options of every worker; each chooses its own interval.
Once = Annotated[bool, typer.Option("--once", help="One pass, then exit (for cron).")]
Interval = Annotated[float, typer.Option(min=0.1, help="Seconds between passes.")]


def _settings() -> Settings:
    """The settings (or one line naming a wrong one) and a database that answers with
    the current schema."""
    settings = settings_or_exit()
    try:
        asyncio.run(check_database(settings.database_url, migrated=True))
    except ConfigurationError as exc:
        refuse(exc)
    return settings


def _start_logging(settings: Settings) -> None:
    """A worker logs what each pass did, in the gateway's log format."""
    configure_logging(settings.log_level, settings.log_format_in_use)


async def close_services(services: AuthServices) -> None:
    """The limiter's storage and the providers' connection pools."""
    await services.limiter.close()
    for sender in (services.sms, services.email):
        if isinstance(sender, HttpSender):
            await sender.aclose()


async def run_until_stopped(
    one_pass: Callable[[], Awaitable[int]], *, interval: float, once: bool
) -> None:
    """Run passes every `interval` seconds (at once again when a pass found work)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    while True:
        handled = await one_pass()
        if once or stop.is_set():
            return
        if handled:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        if stop.is_set():
            return


@messages_app.command("deliver")
def messages_deliver(once: Once = False, interval: Interval = 5.0) -> None:
    """Send the queued SMS and e-mail messages through the configured senders."""
    settings = _settings()
    _start_logging(settings)

    async def run() -> None:
        engine = create_engine(settings.database_url)
        services = build_services(settings, Outbox())
        factory = create_session_factory(engine)
        total = DeliveryReport()

        async def one_pass() -> int:
            report = await deliver_due(factory, services, now)
            for name in ("sent", "postponed", "retried", "failed"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            if report.handled:
                logger.info(
                    "messages delivered",
                    extra={"sent": report.sent, "retried": report.retried, "failed": report.failed},
                )
            return report.sent + report.retried

        try:
            await run_until_stopped(one_pass, interval=interval, once=once)
        finally:
            await close_services(services)
            await engine.dispose()
        typer.echo(
            f"sent: {total.sent}, postponed: {total.postponed},"
            f" retried: {total.retried}, failed: {total.failed}"
        )

    asyncio.run(run())


def _webhook(settings: Settings) -> Webhook:
    url, key = settings.events_webhook_url, settings.events_signing_key
    if not url:
        refuse(ConfigurationError("GATEWAY_EVENTS_WEBHOOK_URL", "needed to deliver privacy events"))
    # Used as the UTF-8 bytes of the setting, exactly as the receiving services hold it.
    if key is None or len(key.get_secret_value().encode()) < MIN_KEY_BYTES:
        refuse(
            ConfigurationError(
                "GATEWAY_EVENTS_SIGNING_KEY",
                f"needed to sign privacy events, at least {MIN_KEY_BYTES} bytes",
            )
        )
    return Webhook(url=url, signing_key=key.get_secret_value().encode())


@events_app.command("deliver")
def events_deliver(once: Once = False, interval: Interval = 2.0) -> None:
    """Post the privacy events, in order per account, to GATEWAY_EVENTS_WEBHOOK_URL."""
    settings = _settings()
    webhook = _webhook(settings)
    _start_logging(settings)

    async def run() -> None:
        engine = create_engine(settings.database_url)
        factory = create_session_factory(engine)
        total = EventReport()

        async def one_pass() -> int:
            report = await deliver_events(factory, webhook, now)
            total.delivered += report.delivered
            total.retried += report.retried
            if report.handled:
                logger.info(
                    "privacy events delivered",
                    extra={"delivered": report.delivered, "retried": report.retried},
                )
            return report.delivered

        try:
            await run_until_stopped(one_pass, interval=interval, once=once)
        finally:
            await engine.dispose()
        typer.echo(f"delivered: {total.delivered}, retried: {total.retried}")

    asyncio.run(run())


@services_app.command("create")
def services_create(
    name: str = typer.Option(..., help="The service, e.g. order-service."),
) -> None:
    """Create a credential and print its bearer token once (it is not stored)."""
    settings = _settings()
    if not 1 <= len(name.strip()) <= 100:
        typer.echo("error: give a name of 1 to 100 characters", err=True)
        raise typer.Exit(code=2)

    async def run() -> str | None:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                if await session.scalar(
                    select(ServiceCredential.id).where(ServiceCredential.name == name.strip())
                ):
                    return None
                issued = service_credentials.issue(name.strip(), now())
                session.add(issued.credential)
                await session.commit()
                return issued.token
        finally:
            await engine.dispose()

    token = asyncio.run(run())
    if token is None:
        typer.echo("error: a service with this name exists", err=True)
        raise typer.Exit(code=1)
    typer.echo(token)


@services_app.command("revoke")
def services_revoke(name: str = typer.Option(..., help="The service's name.")) -> None:
    """Revoke a service's credential: its token stops working on the next request."""
    settings = _settings()

    async def run() -> bool:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                result = await session.execute(
                    update(ServiceCredential)
                    .where(
                        ServiceCredential.name == name.strip(),
                        ServiceCredential.revoked_at.is_(None),
                    )
                    .values(revoked_at=now())
                )
                await session.commit()
                return bool(result.rowcount)  # type: ignore[attr-defined]
        finally:
            await engine.dispose()

    if not asyncio.run(run()):
        typer.echo("error: no live credential of this name", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"revoked: {name.strip()}")
