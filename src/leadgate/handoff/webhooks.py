"""Delivery of the outbox to webhooks, signed as the Standard Webhooks specification says.

Each request is a POST of the message's JSON body with three headers:

* ``webhook-id``: the message id, the same on every retry (receivers deduplicate on it);
* ``webhook-timestamp``: the time of this try, integer Unix seconds;
* ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, one per
  secret of the endpoint, separated by spaces, so a receiver verifies with the old secret or
  the new one while a secret is rotated. A secret is ``whsec_<base64>``; the key is the
  decoded part.

>>> sign("msg_1", 1674087231, '{"a":1}', ["whsec_" + "c2VjcmV0"])
'v1,OBlYevwduLYW/vhkVoJAR+kNlBCCUbAWBvwkD8lGhUo='

Retries: a message whose try failed on some endpoint is tried again on those endpoints after
:data:`SCHEDULE` (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about 28 hours in all), each delay
shifted by up to ±10 % (:data:`JITTER`) so that a receiver back from an outage is not hit by
every message at once. A ``Retry-After`` answer delays the next try to at least that (at most
a day). ``410 Gone`` disables the endpoint for good (until re-enabled). After the eighth try
the message is ``dead``: only a replay sends it again. Redirects are not followed.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import hmac
import random
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..results import plain
from ..store import Store
from .outbox import Message, due_messages, next_due

SCHEDULE: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
)
JITTER = 0.1
MAX_ATTEMPTS = len(SCHEDULE) + 1
MAX_RETRY_AFTER = dt.timedelta(days=1)
DEFAULT_TIMEOUT = 10.0
SECRET_PREFIX = "whsec_"


@dataclass(frozen=True)
class Endpoint:
    """One ``[[webhooks]]`` entry of ``leadgate.toml``; ``events`` empty: every event."""

    url: str
    secrets: tuple[str, ...]
    events: tuple[str, ...] = ()
    enabled: bool = True
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_config(cls, table: dict[str, Any]) -> Endpoint:
        secret = table["secret"]
        return cls(
            url=str(table["url"]),
            secrets=tuple([secret] if isinstance(secret, str) else secret),
            events=tuple(table.get("events", ())),
            enabled=bool(table.get("enabled", True)),
            timeout=float(table.get("timeout", DEFAULT_TIMEOUT)),
        )

    def wants(self, event_type: str) -> bool:
        return self.enabled and (not self.events or event_type in self.events)


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_...`` secret, or ValueError saying what is wrong."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret starts with '{SECRET_PREFIX}' (whsec_ + base64)")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError:
        raise ValueError("the part after 'whsec_' of a webhook secret must be base64") from None
    if not key:
        raise ValueError("a webhook secret must not be empty")
    return key


def sign(message_id: str, timestamp: int, body: str, secrets: Sequence[str]) -> str:
    """The ``webhook-signature`` header: one ``v1,`` signature per secret."""
    content = f"{message_id}.{timestamp}.{body}".encode()
    return " ".join(
        "v1," + base64.b64encode(hmac.digest(secret_key(s), content, hashlib.sha256)).decode()
        for s in secrets
    )


def backoff(attempt: int, seed: str) -> dt.timedelta:
    """The wait after the ``attempt``-th failed try (1-based), with a jitter drawn from
    ``seed`` (the message, its round and the attempt: reproducible, not global state)."""
    base = SCHEDULE[min(attempt, len(SCHEDULE)) - 1]
    return base * (1 + random.Random(seed).uniform(-JITTER, JITTER))


@dataclass(frozen=True)
class Answer:
    """What one POST got: a status code (None: no answer) and an error (None: 2xx)."""

    status_code: int | None
    error: str | None
    retry_after: dt.timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer like any other non-2xx


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(endpoint: Endpoint, message: Message, now: dt.datetime) -> Answer:
    """POST ``message`` to ``endpoint`` once, signed for the time ``now``."""
    timestamp = int(now.replace(tzinfo=dt.timezone.utc).timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": "leadgate-webhooks",
        "webhook-id": message.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(message.message_id, timestamp, message.body, endpoint.secrets),
    }
    request = urllib.request.Request(
        endpoint.url, data=message.body.encode(), headers=headers, method="POST"
    )
    try:
        with _OPENER.open(request, timeout=endpoint.timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        wait = retry_after(exc.headers.get("Retry-After"), now)
        return Answer(exc.code, f"HTTP {exc.code} {exc.reason}", wait)
    except (OSError, ValueError) as exc:  # refused, reset, timeout, bad url
        reason = getattr(exc, "reason", exc)
        return Answer(None, f"{type(exc).__name__}: {reason}")
    return Answer(status, None if 200 <= status < 300 else f"HTTP {status}")


def retry_after(value: str | None, now: dt.datetime) -> dt.timedelta | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as a wait, at most a day.

    >>> retry_after("120", dt.datetime(2026, 1, 1))
    datetime.timedelta(seconds=120)
    >>> retry_after("Thu, 01 Jan 2026 00:10:00 GMT", dt.datetime(2026, 1, 1))
    datetime.timedelta(seconds=600)
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = dt.timedelta(seconds=int(value))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None  # unreadable: the schedule decides
        wait = when.astimezone(dt.timezone.utc).replace(tzinfo=None) - now.replace(tzinfo=None)
    return max(dt.timedelta(0), min(wait, MAX_RETRY_AFTER))


Sender = Callable[[Endpoint, Message, dt.datetime], Answer]


@dataclass
class DeliveryReport:
    """What one delivery pass did (:meth:`leadgate.project.Project.deliver`)."""

    messages: int = 0
    requests: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    disabled: list[str] = field(default_factory=list)
    next_due: dt.datetime | None = None
    endpoints: int = 0

    def add(self, other: DeliveryReport) -> None:
        for name in ("messages", "requests", "delivered", "failed", "dead"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.disabled += other.disabled
        self.next_due = other.next_due

    def as_dict(self) -> dict[str, Any]:
        return {
            "endpoints": self.endpoints,
            "messages": self.messages,
            "requests": self.requests,
            "delivered": self.delivered,
            "failed": self.failed,
            "dead": self.dead,
            "disabled": list(self.disabled),
            "next_due": plain(self.next_due),
        }


def deliver_due(store: Store, endpoints: Sequence[Endpoint], send: Sender = post) -> DeliveryReport:
    """One pass: try every message due now on the endpoints it still has to reach."""
    report = DeliveryReport(endpoints=len(endpoints))
    if endpoints:
        for message in due_messages(store, store.now()):
            state = _deliver(store, message, endpoints, send, report)
            report.messages += 1
            setattr(report, state, getattr(report, state) + 1)
    report.next_due = next_due(store)
    return report


def _deliver(
    store: Store,
    message: Message,
    endpoints: Sequence[Endpoint],
    send: Sender,
    report: DeliveryReport,
) -> str:
    """Try ``message`` on its endpoints, record each try, and return its new state."""
    now = store.now()
    reached, disabled = _reached(store, message), _disabled(store)
    subscribed = [e for e in endpoints if e.wants(message.event_type)]
    targets = [e for e in subscribed if e.url not in reached and e.url not in disabled]
    attempt = message.attempts + 1
    answers = [(e, send(e, message, now)) for e in targets]
    report.requests += len(answers)
    failing = [(e, a) for e, a in answers if not a.ok and a.status_code != 410]
    gone = [e.url for e, a in answers if a.status_code == 410]
    report.disabled += gone
    state, wait = _next_state(message, attempt, failing)
    next_at = now + wait if wait is not None else None
    errors = "; ".join(f"{e.url}: {a.error}" for e, a in answers if not a.ok)
    if state == "delivered" and not reached and not any(a.ok for _, a in answers):
        state = "dead" if subscribed else "delivered"  # no endpoint left that could take it
        errors = errors or f"every webhook subscribed to {message.event_type!r} is disabled"
    if not subscribed:  # nobody wants it: done (an endpoint enabled later gets new events)
        errors = f"no enabled webhook subscribes to {message.event_type!r}"
    with store.atomic():
        for endpoint, answer in answers:
            store.execute(
                "INSERT INTO outbox_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [message.message_id, message.round, endpoint.url, attempt, now,
                 answer.status_code, answer.error, None if answer.ok else next_at],
            )  # fmt: skip
        for url in gone:
            store.execute(
                "INSERT OR REPLACE INTO webhook_endpoints_disabled VALUES (?, ?, ?)",
                [url, now, f"answered 410 Gone to {message.message_id}"],
            )
        store.execute(
            "UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, delivered_at = ?, "
            "last_error = ? WHERE message_id = ?",
            [state, attempt, next_at, now if state == "delivered" else None, errors or None,
             message.message_id],
        )  # fmt: skip
    return state


def _next_state(
    message: Message, attempt: int, failing: list[tuple[Endpoint, Answer]]
) -> tuple[str, dt.timedelta | None]:
    """The message's state after this try, and the wait before the next one."""
    if not failing:
        return "delivered", None
    if attempt >= MAX_ATTEMPTS:
        return "dead", None
    wait = backoff(attempt, f"{message.message_id}:{message.round}:{attempt}")
    asked = [a.retry_after for _, a in failing if a.retry_after is not None]
    return "failed", max([wait, *asked])


def _reached(store: Store, message: Message) -> set[str]:
    """The endpoints that already answered 2xx to this message in its current round."""
    rows = store.execute(
        "SELECT DISTINCT endpoint FROM outbox_deliveries "
        "WHERE message_id = ? AND round = ? AND error IS NULL",
        [message.message_id, message.round],
    ).fetchall()
    return {r[0] for r in rows}


def _disabled(store: Store) -> set[str]:
    rows = store.execute("SELECT endpoint FROM webhook_endpoints_disabled").fetchall()
    return {r[0] for r in rows}


def enable_endpoint(store: Store, url: str) -> bool:
    """Let an endpoint disabled by a 410 receive again; False if it was not disabled."""
    with store.atomic():
        found = store.scalar(
            "SELECT count(*) FROM webhook_endpoints_disabled WHERE endpoint = ?", [url]
        )
        store.execute("DELETE FROM webhook_endpoints_disabled WHERE endpoint = ?", [url])
    return bool(found)


__all__ = [
    "JITTER",
    "MAX_ATTEMPTS",
    "SCHEDULE",
    "Answer",
    "DeliveryReport",
    "Endpoint",
    "backoff",
    "deliver_due",
    "enable_endpoint",
    "post",
    "retry_after",
    "secret_key",
    "sign",
]
