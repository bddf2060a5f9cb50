"""A webhook receiver on loopback that checks every signature: what ``leadgate demo``
delivers its outbox to, and a reference for writing one.

It verifies as a receiver should (Standard Webhooks): the HMAC-SHA256 of
``{webhook-id}.{webhook-timestamp}.{body}`` with the shared secret, compared in constant
time with each ``v1,`` signature of the header; a request that fails is answered 401 and
counted as rejected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .webhooks import secret_key


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Whether one of the request's signatures is the HMAC of its id, time and body."""
    content = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.".encode() + body
    expected = base64.b64encode(hmac.digest(secret_key(secret), content, hashlib.sha256))
    given = [s.partition(",")[2].encode() for s in headers.get("webhook-signature", "").split()]
    return any(hmac.compare_digest(expected, g) for g in given)


@dataclass
class Receiver:
    """``start()`` listens on 127.0.0.1 at a free port; ``url`` is where to post."""

    secret: str
    types: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    ids: set[str] = field(default_factory=set)
    _server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the receiver first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/leadgate"

    @property
    def received(self) -> int:
        return sum(self.types.values())

    def start(self) -> Receiver:
        receiver, lock = self, threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                ok = verified(receiver.secret, headers, body)
                with lock:
                    if ok:
                        receiver.types[json.loads(body)["type"]] += 1
                        receiver.ids.add(headers["webhook-id"])
                    else:
                        receiver.rejected += 1
                self.send_response(204 if ok else 401)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass  # the demo prints its own summary

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


__all__ = ["Receiver", "verified"]
