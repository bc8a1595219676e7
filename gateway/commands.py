"""What every command of the `xiamo-gateway` command line shares: the settings, read
once and checked, and the one-line refusal of a setting it cannot run with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NoReturn

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from gateway.services import configure_encryption
from gateway.settings import (
    CONFIGURATION_ERRORS,
    ConfigurationError,
    Settings,
    configuration_error_line,
    load_settings,
)


def refuse(error: ConfigurationError | ValidationError | SettingsError) -> NoReturn:
    """One line naming the setting on standard error, exit status 2."""
    typer.echo(configuration_error_line(error), err=True)
    raise typer.Exit(code=2)


def settings_or_exit() -> Settings:
    """The settings, with the keys installed, or one line naming the wrong setting and
    exit status 2."""
    try:
        settings = load_settings()
    except CONFIGURATION_ERRORS as exc:
        refuse(exc)
    configure_encryption(settings)
    return settings


def now() -> datetime:
    return datetime.now(UTC)
