"""Store checked events (:class:`.inputs.EventIn`) as an import would: the same key, the same
lead, the same visitor links.

* **Key**: the event's ``event_id``, else the content key an import computes (md5 of the
  lead reference as given, the type, the time as DuckDB prints it, and the URL), so an event
  posted twice, or posted and imported, is stored once.
* **Lead**: ``lead_id`` (an alias stands for its lead), else the lead holding the email
  (trimmed, lower case), else the id an import derives from the email; a visitor alone
  stays anonymous (``lead_id`` NULL) and counts for its lead once linked. An email two
  leads hold names neither: its request is refused (LG405, never a guess), and the group
  commit's retry alone leaves the other requests of the group unaffected.
* **Links**: an event naming a visitor and a lead links the visitor, first link wins.

Duplicates are looked for among the stored events of the same lead (or visitor) only, with
one query per group commit: the store has no index on ``event_id``, and a scan of 50M keys
per commit would cost seconds, where the ``events(lead_id)`` index finds a group's leads'
events (59 ms for 1,000 leads at 50M events, 1 ms for one). Both keys include the lead
reference, so the same event is always on the same lead. When the server holds the store
(:class:`.resident.Keys`), only the keys whose hash a stored key may have are looked for:
usually none, and the query is not run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from ..definition.compile import CompiledDefinition
from ..store import Store
from .errors import ApiError
from .inputs import EventIn
from .live import LiveScores, in_list
from .resident import Resident, store_hashes, text_hash, text_hashes

if TYPE_CHECKING:
    from .behind import Deferred

#: The time events are counted from: :func:`~leadgate.scoring.evaluate.to_micros` of a naive
#: UTC time is ``(ts - _EPOCH) // _MICROSECOND``.
_EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)
#: An event kept to be stored: the event, its key, its lead (None: anonymous), its µs.
Kept = tuple[EventIn, str, str | None, int]


@dataclass
class Written:
    """What :func:`write_events` stored: per request, and per lead for scoring."""

    stored: list[int]  # per request: events stored (the rest were duplicates)
    touched: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    by_request: list[set[str]] = field(default_factory=list)  # leads each request touched
    relinked: set[str] = field(default_factory=set)  # leads that gained a visitor's events


def content_key(event: EventIn) -> str:
    """The key an import gives an event without an id (see :mod:`leadgate.ingest.normalise`)."""
    who = event.lead_id or event.email or event.visitor_id or ""
    return hashlib.md5(
        "|".join((who, event.type, duckdb_text(event), event.url or "")).encode()
    ).hexdigest()


def duckdb_text(event: EventIn) -> str:
    """``CAST(ts AS VARCHAR)`` as DuckDB writes it: the fraction without trailing zeros."""
    text = event.ts.replace(microsecond=0).isoformat(sep=" ")
    if event.ts.microsecond:
        text += f".{event.ts.microsecond:06d}".rstrip("0")
    return text


#: Each event's key and that key's hash (:func:`.resident.text_hash`), in the events' order.
Keyed = tuple[list[str], list[int]]


def event_keys(events: list[EventIn]) -> Keyed:
    """The keys of a request's events and their hashes, made when the request is checked,
    on the event loop: the writer thread then computes neither. Both depend on the events
    alone. The NumPy of the hashes lets the interpreter lock go a dozen times, and each
    time the writer waits to take it back beside the loop's parsing: 12.5 ms of wall time
    for 1.6 of CPU a group of 2,000 events there (session 19)."""
    keys = [e.event_id or content_key(e) for e in events]
    return keys, python_hashes(keys)


def derived_id(email: str) -> str:
    """The id of a lead known only by its email (:data:`leadgate.identity.aliases.DERIVED_ID`)."""
    return "e_" + hashlib.md5(email.strip().lower().encode()).hexdigest()[:20]


def write_events(
    store: Store,
    requests: list[list[EventIn]],
    live: LiveScores,
    compiled: CompiledDefinition,
    behind: Deferred | None = None,
    leads: dict[int, str] | None = None,
    keys: list[Keyed | None] | None = None,
) -> Written:
    """Store the events of several requests, in the caller's transaction; the states of
    their leads are held by ``live`` and follow. With ``behind`` (a write-behind group,
    :mod:`.behind`), the events are handed to it, not inserted, and a key it holds
    pending counts as stored. ``leads``: the events' leads, when found already (by
    :func:`_leads`, as :func:`.behind.deferrable` does); ``keys``: each request's
    :func:`event_keys`, when made already."""
    rows = [(n, e) for n, events in enumerate(requests) for e in events]
    live.ready(store, compiled)  # the held store, read first if it is not held
    if leads is None:
        leads = _leads(store, [e for _, e in rows], live.resident)
    made = _made(keys)
    if made is not None:
        event_ids = [key for request_keys, _ in made for key in request_keys]
    else:
        event_ids = [e.event_id or content_key(e) for _, e in rows]
    keyed = [(n, e, key, leads.get(id(e))) for (n, e), key in zip(rows, event_ids, strict=True)]
    held = live.resident.keys if live.resident is not None else None
    hashes: list[int] = []  # the keys' hashes, in ``keyed``'s order
    asked = keyed  # the events the store is asked whether it has them
    if held is not None:
        if made is not None and held.same_hash:
            hashes = [h for _, request_hashes in made for h in request_hashes]
        else:
            hashes = _hashes(store, event_ids, held.same_hash)
        maybe = held.maybe(hashes)
        asked = [k for k, stored_maybe in zip(keyed, maybe, strict=True) if stored_maybe]
    stored = _stored_keys(store, asked)
    if behind is not None:
        stored.update(key for _, _, key, _ in asked if key in behind.keys)
    out = Written([0] * len(requests), by_request=[set() for _ in requests])
    seen: set[str] = set()
    kept: list[Kept] = []
    kept_hashes: list[int] = []
    touched, counts, by_request = out.touched, out.stored, out.by_request
    latest = -(2**63)  # the newest time of the events kept on a lead
    for at_row, (n, event, key, lead) in enumerate(keyed):
        if key in stored or key in seen:
            continue
        seen.add(key)
        if hashes:
            kept_hashes.append(hashes[at_row])
        at = (event.ts - _EPOCH) // _MICROSECOND  # to_micros of a naive UTC time, inline
        kept.append((event, key, lead, at))
        counts[n] += 1
        if lead is not None:
            if at > latest:
                latest = at
            happened = (event.type, at)
            held_by = touched.get(lead)
            if held_by is None:
                touched[lead] = [happened]
            else:
                held_by.append(happened)
            by_request[n].add(lead)
    live.add_all(touched, latest if touched else None)  # the held states and events follow
    if behind is not None:
        behind.events.extend(kept)
    else:
        insert_events(store, kept)
    if held is not None:
        held.note(kept_hashes)
    out.relinked = _link_visitors(store, kept, live.resident)
    if out.relinked:  # their visitors' earlier events count now: read again when scored
        live.forget(out.relinked)
    return out


def _made(keys: list[Keyed | None] | None) -> list[Keyed] | None:
    """Every request's keys and hashes, or None when one request came without them."""
    if keys is None or any(k is None for k in keys):
        return None
    return [k for k in keys if k is not None]


def _leads(store: Store, events: list[EventIn], resident: Resident | None) -> dict[int, str]:
    """Each event's lead (by ``id(event)``): its id (an alias resolved), its email's lead,
    or its visitor's linked lead; from ``resident`` when the server holds it."""
    ids = {e.lead_id for e in events if e.lead_id}
    emails = {e.email.lower() for e in events if e.email and not e.lead_id}
    visitors = {e.visitor_id for e in events if e.visitor_id and not (e.lead_id or e.email)}
    if resident is not None:
        aliases = resident.aliases
        held = [(email, resident.emails[email]) for email in emails if resident.emails.get(email)]
        known = _one_lead(events, held)
        linked = resident.visitors
    else:
        aliases = dict(
            store.execute(
                f"SELECT alias, lead_id FROM lead_aliases WHERE alias IN ({in_list(ids)}) "
                "AND alias <> lead_id"
            ).fetchall()
            if ids
            else []
        )
        known = _email_leads(store, events, emails)
        linked = dict(
            store.execute(
                "SELECT visitor_id, lead_id FROM visitor_links "
                f"WHERE visitor_id IN ({in_list(visitors)})"
            ).fetchall()
            if visitors
            else []
        )
    out: dict[int, str] = {}
    for e in events:
        if e.lead_id:
            out[id(e)] = aliases.get(e.lead_id, e.lead_id)
        elif e.email:
            out[id(e)] = known.get(e.email.lower()) or derived_id(e.email)
        elif e.visitor_id in linked:
            out[id(e)] = linked[e.visitor_id]
    return out


def _email_leads(store: Store, events: list[EventIn], emails: set[str]) -> dict[str, str]:
    """The lead holding each of ``emails``; an email several leads hold is refused (LG405,
    as ``explain`` refuses it), naming the events (their index in the request) and leads."""
    held = store.execute(
        "SELECT lower(trim(email)), list(DISTINCT lead_id ORDER BY lead_id) FROM leads "
        f"WHERE lower(trim(email)) IN ({in_list(emails)}) GROUP BY 1"
    ).fetchall() if emails else []  # fmt: skip
    return _one_lead(events, held)


def _one_lead(events: list[EventIn], held: list[tuple[str, list[str]]]) -> dict[str, str]:
    """Each email's one lead; LG405 when several leads hold one."""
    shared = {email: leads for email, leads in held if len(leads) > 1}
    if shared:
        raise _shared_email(events, shared)
    return {email: leads[0] for email, leads in held}


def _shared_email(events: list[EventIn], shared: dict[str, list[str]]) -> ApiError:
    """LG405 for the events whose email several leads hold (``events``: one request's
    when the group is retried alone, so each index is the event's in its request)."""
    details = [
        {"index": index, "field": "email",
         "problem": f"{e.email!r} names {len(shared[e.email.lower()])} leads: "
                    f"{', '.join(shared[e.email.lower()])}; send the event with the lead_id"}
        for index, e in enumerate(events)
        if e.email and not e.lead_id and e.email.lower() in shared
    ]  # fmt: skip
    first = details[0]
    return ApiError(
        422,
        "LG405",
        f"events[{first['index']}].email: {first['problem']}, or merge the leads that share "
        "the email ('leadgate merge --apply'). Nothing of the request was written.",
        details,
    )


#: Keys up to which :func:`_hashes` computes them one by one in Python (~1 µs a key);
#: more go to :func:`.resident.text_hashes` (NumPy: ~30 µs, then ~0.4 µs a key).
SMALL_HASH = 32
#: From this many keys on, :func:`_hashes` hands them to DuckDB as an Arrow column (a
#: store whose ``hash()`` is not :func:`.resident.text_hash`'s).
_ARROW_KEYS = 1_000


def _hashes(store: Store, keys: list[str], python: bool = False) -> list[int]:
    """Each key's hash as the store computes it (what :class:`.resident.Keys` holds), in
    the order of ``keys``: in Python when ``python`` (the store agrees:
    :func:`.resident.hash_agrees`), else by the store. Many keys are handed to the store
    as an Arrow column: a Python list given as a parameter is converted value by value
    (4,000 keys ~9.9 ms, as Arrow ~4.7; 2,000: 5.6 / 2.8), but registering the column
    costs ~1 ms more than the list below :data:`_ARROW_KEYS` keys. Asking the store also
    waits behind the write-behind flush's commits (2,000 keys: ~20 ms, session 17)."""
    if python:
        return python_hashes(keys)
    if len(keys) < _ARROW_KEYS:
        return store_hashes(store, keys)
    table = pa.table(
        {"i": pa.array(range(len(keys)), pa.int32()), "k": pa.array(keys, pa.string())}
    )
    with store.registered("event_keys", table):
        column = store.execute("SELECT hash(k) AS h FROM event_keys ORDER BY i").fetchnumpy()["h"]
    return column.tolist()  # type: ignore[no-any-return]


def python_hashes(keys: list[str]) -> list[int]:
    """:func:`.resident.text_hash` of each key: a few in plain Python (NumPy's dozen array
    calls cost more than they save), more with :func:`.resident.text_hashes`."""
    return [text_hash(key) for key in keys] if len(keys) <= SMALL_HASH else text_hashes(keys)


def _stored_keys(store: Store, keyed: list[tuple[int, EventIn, str, str | None]]) -> set[str]:
    """The keys among ``keyed`` already stored, looked for on the same leads and visitors."""
    if not keyed:
        return set()
    keys = in_list({k for _, _, k, _ in keyed})
    leads = {lead for _, e, _, lead in keyed if lead is not None and not _anonymous(e)}
    visitors = {e.visitor_id for _, e, _, _ in keyed if _anonymous(e) and e.visitor_id}
    found: set[str] = set()
    if leads:
        found |= {
            r[0]
            for r in store.execute(
                f"SELECT event_id FROM events WHERE lead_id IN ({in_list(leads)}) "
                f"AND event_id IN ({keys})"
            ).fetchall()
        }
    if visitors:
        found |= {
            r[0]
            for r in store.execute(
                f"SELECT event_id FROM events WHERE visitor_id IN ({in_list(visitors)}) "
                f"AND lead_id IS NULL AND event_id IN ({keys})"
            ).fetchall()
        }
    return found


def _anonymous(event: EventIn) -> bool:
    """Stored without a lead id: only a visitor names it."""
    return not (event.lead_id or event.email)


#: The columns :func:`insert_events` hands over (``properties`` as JSON text).
_EVENT_COLUMNS = pa.schema([
    ("event_id", pa.string()), ("lead_id", pa.string()), ("visitor_id", pa.string()),
    ("type", pa.string()), ("ts", pa.timestamp("us")), ("url", pa.string()),
    ("properties", pa.string()),
])  # fmt: skip


def insert_events(store: Store, kept: list[Kept]) -> None:
    """Append the events, handed to DuckDB as one Arrow table, built column by column
    (the times from their µs: a datetime converted on its own costs more)."""
    if not kept:
        return
    strings = [
        [key for _, key, _, _ in kept],
        [None if _anonymous(e) else lead for e, _, lead, _ in kept],
        [e.visitor_id for e, _, _, _ in kept],
        [e.type for e, _, _, _ in kept],
    ]
    times = pa.array([at for _, _, _, at in kept], pa.int64()).cast(pa.timestamp("us"))
    rest = [[e.url for e, _, _, _ in kept], [e.properties for e, _, _, _ in kept]]
    arrays = [pa.array(c, pa.string()) for c in strings] + [times]
    rows = pa.table(arrays + [pa.array(c, pa.string()) for c in rest], schema=_EVENT_COLUMNS)
    with store.registered("event_rows", rows):
        store.execute(
            "INSERT INTO events (event_id, lead_id, visitor_id, type, ts, url, properties) "
            "SELECT event_id, lead_id, visitor_id, type, ts, url, properties::JSON "
            "FROM event_rows"
        )


def _link_visitors(store: Store, kept: list[Kept], resident: Resident | None) -> set[str]:
    """Link each visitor named beside a lead to its first lead (unless linked before);
    return the leads that gained a visitor (their anonymous events now count)."""
    first: dict[str, tuple[str, object]] = {}
    for event, _, lead, _ in kept:
        if event.visitor_id and lead is not None and not _anonymous(event):
            first.setdefault(event.visitor_id, (lead, event.ts))
    if not first:
        return set()
    if resident is not None:
        known = {v for v in first if v in resident.visitors}
    else:
        known = {
            r[0]
            for r in store.execute(
                f"SELECT visitor_id FROM visitor_links WHERE visitor_id IN ({in_list(first)})"
            ).fetchall()
        }
    new = {v: link for v, link in first.items() if v not in known}
    if resident is not None:
        for visitor, (lead, _) in new.items():
            resident.note_link(visitor, lead)
    if new:
        store.execute(
            "INSERT OR IGNORE INTO visitor_links SELECT unnest(?), unnest(?), unnest(?)",
            [list(new), [lead for lead, _ in new.values()], [ts for _, ts in new.values()]],
        )
    by_lead: dict[str, int] = defaultdict(int)
    for lead, _ in new.values():
        by_lead[lead] += 1
    return set(by_lead)
