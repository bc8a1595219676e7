"""A local HTTP endpoint that records what is posted to it and can fail on purpose.

Stands for an SMS or e-mail provider, or the services that receive privacy events: it
answers 200 to every POST, except the next `fail_next` ones (answered with
`failure_status` before acting on them) and then the next `fail_after_acting_next`
ones (acted on, then answered with `failure_status`, as a service that crashes before
it answers). Served by a thread, so synchronous command-line tests and async tests
alike can post to it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the sink answered
    acted: bool  # whether the receiving service acted on it

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Sink:
    url: str = ""
    fail_next: int = 0
    fail_after_acting_next: int = 0
    failure_status: int = 503
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            status, acted = 200, True
            if self.fail_next > 0:
                self.fail_next -= 1
                status, acted = self.failure_status, False
            elif self.fail_after_acting_next > 0:
                self.fail_after_acting_next -= 1
                status = self.failure_status
            self.received.append(Received(path, headers, body, status, acted))
            return status

    @property
    def accepted(self) -> list[Received]:
        with self._lock:
            return [item for item in self.received if item.status == 200]

    @property
    def acted_on(self) -> list[Received]:
        with self._lock:
            return [item for item in self.received if item.acted]


@contextmanager
def running_sink(sink: Sink | None = None) -> Iterator[Sink]:
    """Serve a sink on a free 127.0.0.1 port for the duration of the block."""
    sink = sink if sink is not None else Sink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            status = sink.answer(self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet: the test reads `sink.received` instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
