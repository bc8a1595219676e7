"""Logging with the request id on every line: JSON lines, or a readable console line.

Nothing here ever receives GraphQL variables, query strings, tokens or codes: the access
log records the path only, and errors are logged by type and traceback.

Everything the process logs goes through one handler on the root logger, in one format:
the gateway's own lines, uvicorn's start-up and shutdown lines, other libraries' notices
and Python warnings (``logging.captureWarnings``). In JSON, every line is one object and
holds no terminal colour codes.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def _stamp_request_ids() -> None:
    """Every log record carries the id of the request it was made in, from its creation
    on, so that a handler formatting it later (or in another thread) still names it."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "stamps_request_ids", False):
        return

    def stamped(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        request_id = request_id_var.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return record

    stamped.stamps_request_ids = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(stamped)


_stamp_request_ids()

_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
# uvicorn attaches a coloured copy of some messages for its own formatter.
_IGNORED_ATTRS = frozenset({"color_message"})
# Terminal escape sequences (colours, cursor moves) a library may have put in a message.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")

LOG_FORMATS = ("console", "json")


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD_ATTRS and key not in _IGNORED_ATTRS and not key.startswith("_")
    }


def _plain(text: str) -> str:
    return _ANSI_ESCAPE.sub("", text).replace("\x1b", "")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": _plain(record.getMessage()).rstrip(),
        }
        entry.update(_extra_fields(record))
        if record.exc_info:
            entry["exception"] = _plain(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


class ConsoleFormatter(logging.Formatter):
    """One readable line per event: local time, level, logger, message, extra fields.

    Coloured only when asked (``colour``: the stream is a terminal); a traceback follows
    on the next lines.
    """

    LEVEL_COLOURS = {
        "DEBUG": "\x1b[36m",
        "INFO": "\x1b[32m",
        "WARNING": "\x1b[33m",
        "ERROR": "\x1b[31m",
        "CRITICAL": "\x1b[1;31m",
    }
    DIM = "\x1b[2m"
    RESET = "\x1b[0m"

    def __init__(self, *, colour: bool) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        level = f"{record.levelname:<8}"
        name = record.name
        if self.colour:
            level = f"{self.LEVEL_COLOURS.get(record.levelname, '')}{level}{self.RESET}"
            name = f"{self.DIM}{name}{self.RESET}"
        message = _plain(record.getMessage()).rstrip()
        if record.name == "py.warnings":
            # A warning's text is followed by the line of source that raised it.
            message = message.splitlines()[0] if message else message
        line = f"{clock} {level} {name}: {message}"
        fields = _extra_fields(record)
        if fields:
            line += "  " + " ".join(f"{key}={value}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


# Loggers of libraries that write URLs with their query strings (httpx logs every
# request, and WeChat's token URL carries the app secret and the sign-in code).
URL_LOGGERS = ("httpx", "httpcore")


def quiet_url_loggers() -> None:
    for name in URL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def configure_logging(
    level: str = "INFO", log_format: str = "json", *, stream: TextIO | None = None
) -> None:
    """Send every log line of the process to ``stream`` (standard error) in one format."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}")
    output = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(output)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(ConsoleFormatter(colour=_is_terminal(output)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Python warnings (deprecations, a library's SecurityWarning) become log records
    # instead of plain text on standard error.
    logging.captureWarnings(True)
    # uvicorn's lines go through the root handler at the root's level (a uvicorn.Config
    # with a log level sets its own); its access log prints the query string, ours
    # prints the path only.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger("uvicorn.access").disabled = True
    # Strawberry logs every GraphQL error with its message, which can quote input values;
    # the gateway logs unexpected errors itself.
    logging.getLogger("strawberry.execution").disabled = True
    quiet_url_loggers()
