"""A provider on a real loopback HTTP server, for the clients that call one over the
network (identity verification, messages): what it received, and its serving thread;
and a free loopback port, for a provider that is not there."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as the provider saw it (header names in lower case)."""

    path: str
    headers: dict[str, str]
    body: bytes


class RecordingHandler(BaseHTTPRequestHandler):
    """A request handler that reads what a POST sent and keeps quiet."""

    def received(self) -> Received:
        length = int(self.headers.get("Content-Length", "0"))
        return Received(
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length),
        )

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Keep the test output quiet."""


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[None]:
    """Serve on a thread of its own; shut down, close and join it on leaving."""
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_loopback_port() -> int:
    """A loopback port nothing listens on: bound once to pick it, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
