"""The workers of the privacy side: `xiamo-gateway messages deliver` (and, registered the
same way in `gateway/cli.py`, the commands that come after it).

A worker runs until it is stopped (SIGINT or SIGTERM end it after the pass under way)
or, with `--once`, for one pass (for cron). It reads the same settings as the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import typer

from auth.senders import HttpSender, Outbox
from auth.services import AuthServices
from gateway.logging import configure_logging
from gateway.services import build_services, configure_encryption
from gateway.settings import MissingSecretsError, Settings, load_settings
from models.database import create_engine, create_session_factory
from resolvers.messaging.delivery import DeliveryReport, deliver_due

logger = logging.getLogger("gateway.workers")

messages_app = typer.Typer(
    help="SMS and e-mail messages queued by the gateway.", no_args_is_help=True
)


def _settings() -> Settings:
    try:
        settings = load_settings()
    except MissingSecretsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    configure_encryption(settings)
    configure_logging(settings.log_level)
    return settings


def _now() -> datetime:
    return datetime.now(UTC)


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
def messages_deliver(
    once: bool = typer.Option(False, "--once", help="One pass, then exit (for cron)."),
    interval: float = typer.Option(5.0, min=0.1, help="Seconds between passes."),
) -> None:
    """Send the queued SMS and e-mail messages through the configured senders."""
    settings = _settings()

    async def run() -> None:
        engine = create_engine(settings.database_url)
        services = build_services(settings, Outbox())
        factory = create_session_factory(engine)
        total = DeliveryReport()

        async def one_pass() -> int:
            report = await deliver_due(factory, services, _now())
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
