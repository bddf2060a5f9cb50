"""A real webhook receiver on loopback, in a thread, and a clock the tests move by hand."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook

# The answer to a request: (status, headers).
Behaviour = Callable[[int], tuple[int, dict[str, str]]]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """Records every POST; answers as ``behaviour(n)`` says (n: requests on this path so far)."""

    behaviour: dict[str, Behaviour] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def start(self, port: int = 0) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                n = len(receiver.on(self.path))
                receiver.received.append(Received(self.path, headers, body))
                status, extra = receiver.behaviour.get(self.path, lambda n: (200, {}))(n)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


@dataclass
class HandClock:
    """A clock that moves only when told (``advance`` doubles as the injected sleep)."""

    at: dt.datetime

    def now(self) -> dt.datetime:
        return self.at.replace(tzinfo=dt.timezone.utc)

    def today(self) -> dt.date:
        return self.at.date()

    def advance(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


def signed_by(secret: str, received: Received) -> bool:
    """Whether one of the request's signatures is the standardwebhooks package's own for
    ``secret`` (its ``verify`` also checks the timestamp against the real clock, which the
    tests that move a hand clock by hours cannot pass)."""
    stamp = dt.datetime.fromtimestamp(int(received.headers["webhook-timestamp"]), dt.timezone.utc)
    expected = Webhook(secret).sign(received.headers["webhook-id"], stamp, received.body)
    return expected in received.headers["webhook-signature"].split(" ")
