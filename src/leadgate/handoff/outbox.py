"""The outbox: events to deliver, written in the same transaction as the change they announce.

A stage change, an assignment or an SLA breach calls :func:`enqueue` inside its own
``store.atomic()``: the change and its event commit together, or neither does, so a webhook
never announces a change that was rolled back and no committed change goes unannounced.
Delivery (:mod:`leadgate.handoff.webhooks`) reads the outbox later, in its own transactions.

>>> import datetime as dt
>>> from leadgate.clock import FixedClock
>>> from leadgate.store import Store
>>> store = Store(":memory:", clock=FixedClock(dt.datetime(2026, 11, 2, 9, 0)))
>>> with store.atomic():
...     message_id = enqueue(store, "lead.mql", {"tier": "A"}, lead_id="L1")
>>> message = get_message(store, message_id)
>>> message.state, message.event_type
('pending', 'lead.mql')
>>> message.body
'{"type":"lead.mql","timestamp":"2026-11-02T09:00:00Z","data":{"tier":"A"}}'

States: ``pending`` (never tried), ``failed`` (a try failed; retried at ``next_attempt_at``),
``delivered`` (every subscribed endpoint answered 2xx), ``dead`` (the last try failed; only
:func:`replay` sends it again).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from ..errors import OutboxMessageNotFound
from ..results import plain
from ..store import Store

STATES = ("pending", "failed", "delivered", "dead")
COLUMNS = (
    "message_id, event_type, lead_id, body, state, attempts, round, created_at, "
    "next_attempt_at, delivered_at, last_error"
)


@dataclass(frozen=True)
class Message:
    """One event in the outbox; ``body`` is the JSON every try posts, byte for byte."""

    message_id: str
    event_type: str
    lead_id: str | None
    body: str
    state: str
    attempts: int
    round: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    last_error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}


def new_message_id(now: dt.datetime) -> str:
    """``msg_`` + the time in milliseconds (hex, so ids sort by creation) + 64 random bits.

    >>> len(new_message_id(dt.datetime(2026, 1, 1))), new_message_id(dt.datetime(2026, 1, 1))[:4]
    (32, 'msg_')
    """
    millis = int(now.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)
    return f"msg_{millis:012x}{secrets.token_hex(8)}"


def enqueue(
    store: Store, event_type: str, payload: dict[str, Any], *, lead_id: str | None = None
) -> str:
    """Add an event to the outbox in the caller's transaction; return its id.

    Call it inside the ``store.atomic()`` that makes the change, so both commit together.
    The body is the Standard Webhooks envelope ``{"type", "timestamp", "data"}``.
    """
    if not event_type or not isinstance(event_type, str):
        raise ValueError(f"An outbox event needs a type (e.g. 'lead.mql'); got {event_type!r}.")
    now = store.now()
    message_id = new_message_id(now)
    data = json.dumps(plain(payload), separators=(",", ":"), ensure_ascii=False)
    _insert(
        store,
        now,
        "SELECT ? AS message_id, ? AS event_type, ? AS lead_id, ? AS payload",
        [message_id, event_type, lead_id, data],
    )
    return message_id


def enqueue_many(
    store: Store, event_type: str, items: Sequence[tuple[str | None, dict[str, Any]]]
) -> list[str]:
    """Add one ``event_type`` event per ``(lead_id, payload)`` to the outbox in one
    statement, in the caller's transaction, as :func:`enqueue` adds one; return the ids
    in the order given (a sweep's hundred thousand breaches: one statement, not 200,000)."""
    if not items:
        return []
    now = store.now()
    ids = [new_message_id(now) for _ in items]
    leads = [lead for lead, _ in items]
    bodies = [json.dumps(plain(p), separators=(",", ":"), ensure_ascii=False) for _, p in items]
    _insert(
        store,
        now,
        "SELECT unnest(?) AS message_id, ? AS event_type, unnest(?) AS lead_id, "
        "unnest(?) AS payload",
        [ids, event_type, leads, bodies],
    )
    return ids


def enqueue_query(store: Store, events: str, params: Sequence[Any] = ()) -> int:
    """Add every row of ``events`` (SQL yielding ``event_type``, ``lead_id`` and ``payload``,
    a JSON text; its parameters ``params``) to the outbox in the caller's transaction, as
    :func:`enqueue` adds one: a scoring run's million MQL entries in one ``INSERT ...
    SELECT``. Returns how many.

    The ids are made like :func:`new_message_id`'s (the time in hex milliseconds, then 64
    bits of an md5 of a random UUID), so they sort with the others by creation.
    """
    now = store.now()
    millis = int(now.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)
    ids = (
        f"SELECT 'msg_{millis:012x}' || substr(md5(CAST(gen_random_uuid() AS VARCHAR)), 1, 16) "
        f"AS message_id, e.event_type, e.lead_id, e.payload FROM ({events}) AS e"
    )
    return _insert(store, now, ids, list(params))


def _insert(store: Store, now: dt.datetime, rows: str, params: list[Any]) -> int:
    """Write ``rows`` (SQL yielding ``message_id``, ``event_type``, ``lead_id`` and
    ``payload``, a JSON text) as pending messages created ``now``, each body the envelope
    ``{"type", "timestamp", "data"}``, in the caller's transaction; returns how many."""
    with store.atomic():  # joins the caller's transaction
        inserted = store.one(
            f"INSERT INTO outbox ({COLUMNS}) SELECT e.message_id, e.event_type, e.lead_id, "
            "'{\"type\":' || to_json(e.event_type) || ',\"timestamp\":' || to_json(?) || "
            "',\"data\":' || e.payload || '}', "
            f"'pending', 0, 1, ?, ?, NULL, NULL FROM ({rows}) AS e",
            [now.isoformat() + "Z", now, now, *params],
        )
    return int(inserted[0]) if inserted else 0


def _message(row: tuple[Any, ...]) -> Message:
    return Message(*row)


def get_message(store: Store, message_id: str) -> Message:
    """The message ``message_id``, or :class:`OutboxMessageNotFound`."""
    rows = store.execute(
        f"SELECT {COLUMNS} FROM outbox WHERE message_id = ?", [message_id]
    ).fetchall()
    if not rows:
        raise OutboxMessageNotFound(
            f"No outbox message {message_id!r}. List them with `leadgate outbox`."
        )
    return _message(rows[0])


def list_messages(
    store: Store, *, state: str | None = None, limit: int | None = 50
) -> list[Message]:
    """Messages, the newest first, optionally in one state."""
    if state is not None and state not in STATES:
        raise ValueError(f"Unknown outbox state {state!r}; use one of {', '.join(STATES)}.")
    sql = f"SELECT {COLUMNS} FROM outbox"
    params: list[Any] = []
    if state:
        sql += " WHERE state = ?"
        params.append(state)
    sql += " ORDER BY created_at DESC, message_id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_message(row) for row in store.execute(sql, params).fetchall()]


def due_messages(store: Store, now: dt.datetime) -> list[Message]:
    """Messages to try now: pending or failed, whose next try is not in the future."""
    rows = store.execute(
        f"SELECT {COLUMNS} FROM outbox WHERE state IN ('pending', 'failed') "
        "AND next_attempt_at <= ? ORDER BY next_attempt_at, message_id",
        [now],
    ).fetchall()
    return [_message(row) for row in rows]


def next_due(store: Store) -> dt.datetime | None:
    """When the next undelivered message is due (None: nothing left to deliver)."""
    value = store.scalar(
        "SELECT min(next_attempt_at) FROM outbox WHERE state IN ('pending', 'failed')"
    )
    return value if isinstance(value, dt.datetime) else None


def deliveries(store: Store, message_id: str) -> list[dict[str, Any]]:
    """Every try of a message on every endpoint, in order."""
    return store.query(
        "SELECT round, endpoint, attempt, attempted_at, status_code, error, next_attempt_at "
        "FROM outbox_deliveries WHERE message_id = ? ORDER BY attempted_at, round, attempt, "
        "endpoint",
        [message_id],
    )


def replay(store: Store, message_id: str) -> Message:
    """Send a message again, with the same id, to every endpoint: a new round, due now."""
    get_message(store, message_id)  # a clear error for an unknown id
    with store.atomic():
        store.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, round = round + 1, "
            "next_attempt_at = ?, delivered_at = NULL, last_error = NULL WHERE message_id = ?",
            [store.now(), message_id],
        )
    return get_message(store, message_id)


@dataclass(frozen=True)
class OutboxList:
    """Messages as :meth:`leadgate.project.Project.outbox` lists them, with counts by state."""

    messages: list[Message]
    counts: dict[str, int]
    state: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "counts": dict(self.counts),
            "count": len(self.messages),
            "messages": [m.as_dict() for m in self.messages],
        }


@dataclass(frozen=True)
class MessageDetail:
    """One message and every try of it (``leadgate outbox show``)."""

    message: Message
    deliveries: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return self.message.as_dict() | {"deliveries": plain(self.deliveries)}


def state_counts(store: Store) -> dict[str, int]:
    """How many messages are in each state (every state named, zeros included)."""
    found = dict(store.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    return {state: int(found.get(state, 0)) for state in STATES}


__all__ = [
    "STATES",
    "Message",
    "MessageDetail",
    "OutboxList",
    "state_counts",
    "deliveries",
    "due_messages",
    "enqueue",
    "get_message",
    "list_messages",
    "next_due",
    "replay",
]
