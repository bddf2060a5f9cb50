"""What the server's scoring reads of the store, held in memory: every lead's row, every
account's row, the identities (aliases, emails, visitor links), the accounts' intent
signals, and the events that can still count (inside the definition's longest look-back).

Why: an event names any of the store's leads, and one not held by :class:`.live.LiveScores`
was read back with a statement per table. At 1,000,000 leads and 50,000,000 events a group
of 1,000 random events spent most of its commit in those reads (``bench/README.md``,
``profile_ingest.py``: rows by a literal ``IN`` list 45 ms, aliases 35 ms, accounts 18 ms,
intent 16 ms, visitor links 12 ms, events ...), because a column store finds 1,000
scattered rows by reading 1,000 scattered row groups. Reading each table once, whole, costs
about what ten such commits did, and from then on a lead's state is built from memory.

How it is held: the lead and account tables as Arrow tables (columnar, about the size of
the data) with a dict from id to row number, holding only the columns scoring reads (the
definition's fields, the ids, the email): a row becomes a Python dict per event, and
turning 1,000 rows of the benchmark's 23 columns into dicts cost 9-13 ms, of its 9 used
ones 2-3 ms (``bench/README.md``, issue #9); a row a commit changed is read again into an
overlay that wins. Events as three NumPy arrays sorted by the lead's row number (type code,
µs) with each lead's first index, plus the events stored since (per lead). A visitor's
anonymous events count for the lead it is linked to, as ``lead_events`` counts them.

It follows the store only through the server: a commit notes the events and visitor links
it stores (:meth:`Resident.note_events`, :meth:`note_link`); a lead upsert reads its leads
again (:meth:`reread_leads`); anything else that changes leads, accounts or events
(an import through the CLI beside the server, a merge, an erasure, a rolled-back group)
drops the whole of it (:meth:`.live.LiveScores.forget`), and the next commit reads it again.

Every stored event's key, as the store's 64-bit ``hash()``, sorted (:class:`Keys`), for the
duplicate check: a key whose hash is not there is new, and only the rest are looked for in
the store (at 1,000,000 leads / 50,000,000 events the store's own check of 1,000 keys on
their leads cost ~30 ms a commit at load 8, the hashes ~6 ms; 400 MB for 50M keys).

Not held, read from the store as before: the events of a definition with no look-back
(some rule counts events forever: every event would have to be held), the events of a
lead that gained a visitor since the read (that visitor's older anonymous events), and
events older than the read's look-back (the clock went back).
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..ingest.readers import quote_ident
from ..store import Store

Intent = list[tuple[str, float, int]]

#: Events stored through the server since the read, at most; beyond it the read is redone
#: (it then holds them in its arrays, where the per-lead lists cost ten times the memory).
MAX_NOTED = 2_000_000


class Rows:
    """A table's rows by id: an Arrow snapshot and an overlay of rows read since."""

    def __init__(self, table: pa.Table, key: str) -> None:
        self.table = table.combine_chunks()  # take() over many chunks costs 100x more
        #: the same rows, the text columns that repeat their values encoded (see
        #: :func:`_coded`), for the live plan; Python reads :attr:`table` (reading an
        #: encoded column's values makes an Arrow scalar of each, ~1 µs a value)
        self.coded = _coded(self.table, {key, "account_id"})
        self.key = key
        ids = table.column(key).to_pylist()
        self.pos: dict[str, int] = dict(zip(ids, range(len(ids)), strict=True))
        self.overlay: dict[str, dict[str, Any] | None] = {}  # None: no longer stored

    def get(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored rows among ``ids``, by id, as ``Store.query`` gives them."""
        out, wanted = self._split(ids)
        if wanted:
            taken = self.table.take(pa.array([p for _, p in wanted], pa.int64())).to_pylist()
            out.update(zip((i for i, _ in wanted), taken, strict=True))
        return out

    def arrow(self, ids: Iterable[str]) -> pa.Table:
        """The stored rows among ``ids`` as an Arrow table of the snapshot's columns (the
        plan's: :attr:`coded`)."""
        read, wanted = self._split(ids)
        table = self.coded.take(pa.array([p for _, p in wanted], pa.int64()))
        if read:
            again = pa.Table.from_pylist(list(read.values()), schema=self.coded.schema)
            table = pa.concat_tables([table, again])
        return table

    def _split(self, ids: Iterable[str]) -> tuple[dict[str, dict[str, Any]], list[tuple[str, int]]]:
        """The rows among ``ids`` read since the snapshot (by id), and the snapshot's row
        number of the others it holds."""
        read: dict[str, dict[str, Any]] = {}
        wanted: list[tuple[str, int]] = []
        overlay, pos = self.overlay, self.pos
        for i in ids:
            if i in overlay:
                row = overlay[i]
                if row is not None:
                    read[i] = row
            else:
                p = pos.get(i)
                if p is not None:
                    wanted.append((i, p))
        return read, wanted

    def put(self, rows: dict[str, dict[str, Any] | None]) -> None:
        self.overlay.update(rows)


def _coded(table: pa.Table, keys: set[str]) -> pa.Table:
    """``table`` with each text column that repeats its values (a lead's industry, country,
    seniority: at most one distinct value in four rows; not the ids of ``keys``)
    dictionary-encoded. The live plan takes the rows of the touched accounts'
    leads: 20,000 of 1,000,000 took ~1 ms a text column (random reads of the text), ~11 ms
    in all; encoded, ~0.3 ms (a column's take moves integers). The values read back are
    the same: DuckDB reads such a column as VARCHAR."""
    for n, spec in enumerate(table.schema):
        if spec.name in keys or not pa.types.is_string(spec.type):
            continue
        column = table.column(n)
        if pc.count_distinct(column).as_py() * 4 <= table.num_rows:
            table = table.set_column(n, spec.name, pc.dictionary_encode(column))
    return table


@dataclass
class Events:
    """The events since ``since`` (µs) of the snapshot's leads, by lead row number."""

    since: int
    starts: np.ndarray  # starts[p]..starts[p + 1]: the events of the lead at row p
    types: np.ndarray  # codes into ``names``
    times: np.ndarray  # µs
    names: list[str]

    def of(self, p: int, since: int) -> list[tuple[str, int]]:
        lo, hi = int(self.starts[p]), int(self.starts[p + 1])
        if lo == hi:
            return []
        times = self.times[lo:hi]
        keep = times >= since
        names = self.names
        types = self.types[lo:hi][keep].tolist()
        return [(names[t], ts) for t, ts in zip(types, times[keep].tolist(), strict=True)]

    def gather(self, rows: np.ndarray, since: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The events since ``since`` of the leads at row numbers ``rows``, all at once:
        for each event, the index of its lead in ``rows``, its type code and its µs.

        >>> e = Events(0, np.array([0, 2, 2, 3]), np.array([0, 1, 1]), np.array([5, 9, 7]),
        ...            ["a", "b"])
        >>> [x.tolist() for x in e.gather(np.array([2, 0]), 6)]
        [[0, 1], [1, 1], [7, 9]]
        """
        lo, hi = self.starts[rows], self.starts[rows + 1]
        lengths = hi - lo
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        at = np.arange(total) + np.repeat(lo - (ends - lengths), lengths)
        which = np.repeat(np.arange(len(rows)), lengths)
        times = self.times[at]
        keep = times >= since
        return which[keep], self.types[at][keep], times[keep]


class Keys:
    """Stored events' keys as the store's ``hash()``: sorted at the read, then a set of
    those stored since. A key whose hash is in neither was never stored; a hash found
    may be another key's (64 bits: rarely), so it is only a question for the store."""

    def __init__(self, stored: np.ndarray, same_hash: bool = False) -> None:
        self.stored = np.sort(stored.astype(np.uint64, copy=False))
        self.since: set[int] = set()
        #: :func:`text_hash` gives what the store's ``hash()`` gives (:func:`hash_agrees`)
        self.same_hash = same_hash

    def maybe(self, hashes: list[int]) -> list[bool]:
        """For each hash, whether a stored key may have it."""
        if not hashes:
            return []
        wanted = np.array(hashes, dtype=np.uint64)
        # looked for in sorted order: each search starts where the one before ended, so a
        # group's searches share the cache lines of the 50M keys' top levels (1,000 keys:
        # ~6 ms in their order, ~1.5 ms sorted)
        order = np.argsort(wanted, kind="stable")
        at = np.empty(len(wanted), np.int64)
        at[order] = np.searchsorted(self.stored, wanted[order])
        at = np.minimum(at, max(len(self.stored) - 1, 0))
        found = self.stored[at] == wanted if len(self.stored) else np.zeros(len(wanted), bool)
        since = self.since
        return [bool(f) or h in since for f, h in zip(found.tolist(), hashes, strict=True)]

    def note(self, hashes: Iterable[int]) -> None:
        self.since.update(hashes)


_MASK = (1 << 64) - 1
_SEED, _LENGTH, _MIX = 0xE17A1465, 0xC6A4A7935BD1E995, 0xD6E8FEB86659FD93


def text_hash(text: str) -> int:
    """DuckDB's ``hash()`` of a VARCHAR (its ``HashBytes`` of the UTF-8 bytes: 8 bytes at a
    time, then a murmur finish), in Python: a group of a few events gets its keys' hashes
    in microseconds, where the statement asking the store costs a millisecond (issue #9,
    session 15). Used only where :func:`hash_agrees` found the store agrees.

    >>> text_hash("") == text_hash(""), text_hash("a") != text_hash("b")
    (True, True)
    """
    data = text.encode()
    size = len(data)
    h = _SEED ^ ((size * _LENGTH) & _MASK)
    for start in range(0, size, 8):  # the last block: its bytes, zeros above
        h = ((h ^ int.from_bytes(data[start : start + 8], "little")) * _MIX) & _MASK
    h ^= h >> 32
    h = (h * _MIX) & _MASK
    h ^= h >> 32
    h = (h * _MIX) & _MASK
    return h ^ (h >> 32)


#: Texts longer than this (in UTF-8 bytes) are left to :func:`text_hash` by
#: :func:`text_hashes`, whose padded block matrix grows with the longest text.
_WIDE_TEXT = 256


def text_hashes(texts: list[str]) -> list[int]:
    """:func:`text_hash` of every text, as NumPy array operations: the texts' bytes padded
    into one matrix of 8-byte blocks, mixed a block column at a time (a text ends where
    its blocks do). 2,000 event keys: ~0.6 ms, where the loop takes ~2.3 ms and the
    store's ``hash()`` over an Arrow column 3 ms alone and ~20 ms beside the write-behind
    flush's commits (issue #9, session 17)."""
    encoded = [text.encode() for text in texts]
    if not encoded:
        return []
    sizes = np.fromiter(map(len, encoded), np.int64, len(encoded))
    wide = sizes > _WIDE_TEXT
    if wide.any():  # rare: each such text alone, the rest together
        flags = wide.tolist()
        narrow = iter(text_hashes([t for t, w in zip(texts, flags, strict=True) if not w]))
        return [text_hash(t) if w else next(narrow) for t, w in zip(texts, flags, strict=True)]
    blocks = (sizes + 7) // 8
    width = max(int(blocks.max()), 1)
    padded = np.zeros((len(encoded), width * 8), np.uint8)
    data = np.frombuffer(b"".join(encoded), np.uint8)
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    padded[np.repeat(np.arange(len(encoded)), sizes), np.arange(len(data)) - starts] = data
    words = padded.view("<u8")
    mix, shift = np.uint64(_MIX), np.uint64(32)
    h = np.uint64(_SEED) ^ (sizes.astype(np.uint64) * np.uint64(_LENGTH))
    for column in range(int(blocks.max())):
        h = np.where(blocks > column, (h ^ words[:, column]) * mix, h)
    h ^= h >> shift
    h *= mix
    h ^= h >> shift
    h *= mix
    return (h ^ (h >> shift)).tolist()  # type: ignore[no-any-return]


#: Texts :func:`hash_agrees` compares: each length of a block's bytes, an empty one, an
#: inlined one (up to 12 bytes) and longer ones, other than ASCII, an md5 key's 32 digits.
_PROBES = ["", "a", "abcdefg", "abcdefgh", "abcdefghi", "évènement", "0123456789ab", "x" * 13,
           "9f86d081884c7d659a2feaa0c55ad015", "emoji 😀 and more text than a block"]  # fmt: skip


def store_hashes(store: Store, keys: list[str]) -> list[int]:
    """Each key's ``hash()`` as the store computes it, in one statement (the keys a list
    parameter: for many keys an Arrow column is cheaper, :mod:`.event_writer`)."""
    hashed: list[int] = store.scalar("SELECT list_transform(?, lambda k: hash(k))", [keys])
    return hashed


def hash_agrees(store: Store) -> bool:
    """Whether :func:`text_hash` gives the store's ``hash()`` (a DuckDB whose hash
    changed does not: then the store is asked)."""
    return [text_hash(p) for p in _PROBES] == store_hashes(store, _PROBES)


@dataclass
class Resident:
    """The store's leads, accounts, identities and recent events (see the module)."""

    leads: Rows
    accounts: Rows
    aliases: dict[str, str]  # alias → lead, only where they differ
    emails: dict[str, list[str]]  # lower(trim(email)) → the leads holding it
    visitors: dict[str, str]  # visitor → its lead
    intent: dict[str, Intent] | None  # account → signals (None: the definition reads none)
    events: Events | None  # None: not held (see the module)
    keys: Keys | None = None  # every stored event's key (None: not read)
    noted: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # stored since
    from_store: set[str] = field(default_factory=set)  # leads whose events are read there
    #: the newest time (µs) of an event it holds, read or stored since (None: none held)
    newest: int | None = None
    _members: dict[str, list[str]] | None = None
    #: :meth:`member_rows`'s index: account → code, the rows by code, each code's first
    _by_account: tuple[dict[str, int], np.ndarray, np.ndarray] | None = None
    n_noted: int = 0

    @classmethod
    def read(
        cls,
        store: Store,
        horizon: int | None,
        now_us: int,
        intent: bool,
        fields: Collection[str] | None = None,
    ) -> Resident:
        """Read it all, in the caller's transaction (so what it wrote so far is seen);
        of the rows, the columns ``fields`` names (a definition's ``fields_used``: a lead
        field by its name, an account field as ``account.name``) beside the ids and the
        email, or every column when ``fields`` is None."""
        lead_columns = _columns(store, "leads", _LEAD_KEYS, fields, lambda f: "." not in f)
        account_columns = _columns(
            store, "accounts", ("account_id",), fields, lambda f: f.startswith("account.")
        )
        # ordered by id: the events' read numbers the leads the same way (see _events);
        # each email's key as the store computes it, read in the same scan, then dropped
        table = _arrow(
            store,
            f"SELECT {lead_columns}, lower(trim(email)) AS email_key__ FROM leads ORDER BY lead_id",
        )
        keys = table.select(["email_key__", "lead_id"])
        leads = Rows(table.drop_columns(["email_key__"]), "lead_id")
        accounts = Rows(_arrow(store, f"SELECT {account_columns} FROM accounts"), "account_id")
        aliases = dict(
            store.execute(
                "SELECT alias, lead_id FROM lead_aliases WHERE alias <> lead_id"
            ).fetchall()
        )
        emails: dict[str, list[str]] = {}  # each list in id order, as the rows are
        for email, lead in zip(_list(keys, "email_key__"), _list(keys, "lead_id"), strict=True):
            if email is None:
                continue
            held = emails.get(email)
            if held is None:
                emails[email] = [lead]
            else:
                held.append(lead)
        links = _arrow(store, "SELECT visitor_id, lead_id FROM visitor_links")
        visitors = dict(zip(_list(links, "visitor_id"), _list(links, "lead_id"), strict=True))
        signals: dict[str, Intent] | None = None
        if intent:
            signals = collections.defaultdict(list)
            for account, topic, strength, ts in store.execute(
                "SELECT account_id, topic, strength, epoch_us(ts) FROM intent_signals"
            ).fetchall():
                signals[account].append((topic, strength, ts))
        events = None if horizon is None else _events(store, leads, now_us - horizon)
        keys = Keys(
            store.conn.sql("SELECT hash(event_id) AS h FROM events").fetchnumpy()["h"],
            hash_agrees(store),
        )
        newest = int(events.times.max()) if events is not None and len(events.times) else None
        return cls(leads, accounts, aliases, emails, visitors, signals, events, keys,
                   newest=newest)  # fmt: skip

    # -- reads ------------------------------------------------------------------------------
    def lead_rows(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        return list(self.leads.get(ids).values())

    def members(self, accounts: list[str]) -> list[dict[str, Any]]:
        """The rows of every lead of ``accounts``: by row number (:meth:`member_rows`), or
        by id while rows read since the snapshot may have moved leads between accounts.
        The index by id costs ~0.5 s to make at 1,000,000 leads: made in the first group
        of single events, it held their requests up to 680 ms (issue #9, session 24)."""
        rows = self.member_rows(accounts)
        if rows is None:
            return [row for a in accounts for row in self.lead_rows(self.member_ids(a))]
        return self.leads.table.take(pa.array(rows, pa.int64())).to_pylist()  # type: ignore[no-any-return]

    def member_rows(self, accounts: list[str]) -> np.ndarray | None:
        """The snapshot's row numbers of every lead of ``accounts``, each account's in id
        order, from an index made once (the rows grouped by account), with no Python a
        lead; None while rows read since the snapshot (:attr:`Rows.overlay`) may have
        moved a lead between accounts (then :meth:`member_ids`)."""
        if self.leads.overlay:
            return None
        code_of, order, starts = self._account_index()
        codes = np.array([code_of[a] for a in accounts if a in code_of], np.int64)
        lo, hi = starts[codes], starts[codes + 1]
        lengths = hi - lo
        at = np.arange(int(lengths.sum())) + np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
        return order[at].astype(np.int64, copy=False)  # type: ignore[no-any-return]

    def largest_account(self) -> int | None:
        """How many leads the largest account holds (None: as :meth:`member_rows`). It
        builds the index, ~1 s at 1,000,000 leads: a server whose scores read the account
        calls it when it reads the store (:meth:`.live.LiveScores.ready`), since built in
        the first group it stalled the requests waiting."""
        if self.leads.overlay:
            return None
        starts = self._account_index()[2]
        return int(np.diff(starts).max()) if len(starts) > 1 else 0

    def _account_index(self) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
        if self._by_account is None:
            column = self.leads.table.column("account_id").combine_chunks()
            coded = pc.dictionary_encode(column)
            codes = coded.indices.to_numpy(zero_copy_only=False)
            named = coded.indices.is_valid().to_numpy(zero_copy_only=False)
            order = np.flatnonzero(named)  # the rows with an account, in id order
            order = order[np.argsort(codes[order], kind="stable")]
            starts = np.searchsorted(codes[order], np.arange(len(coded.dictionary) + 1))
            code_of = {str(a): n for n, a in enumerate(coded.dictionary.to_pylist())}
            self._by_account = (code_of, order, starts)
        return self._by_account

    def member_ids(self, account: str) -> list[str]:
        """The ids of the account's leads (an index of every account's, made once)."""
        if self._members is None:
            members: dict[str, list[str]] = collections.defaultdict(list)
            ids = self.leads.table.column("lead_id").to_pylist()
            owners = self.leads.table.column("account_id").to_pylist()
            for lead, owner in zip(ids, owners, strict=True):
                if owner is not None and lead not in self.leads.overlay:
                    members[owner].append(lead)
            for lead, row in self.leads.overlay.items():
                if row is not None and row.get("account_id") is not None:
                    members[row["account_id"]].append(lead)
            self._members = members
        return self._members.get(account, [])

    def events_of(
        self, lead_ids: Iterable[str], since: int | None
    ) -> tuple[dict[str, list[tuple[str, int]]], list[str]]:
        """The events since ``since`` of the leads it holds them for, and the leads whose
        events the store must be asked for (see the module)."""
        held = self.events
        lead_ids = list(lead_ids)
        if held is None or since is None or since < held.since:
            return {}, lead_ids
        out: dict[str, list[tuple[str, int]]] = {}
        ask: list[str] = []
        pos = self.leads.pos
        for lead in lead_ids:
            if lead in self.from_store:
                ask.append(lead)
                continue
            p = pos.get(lead)
            events = held.of(p, since) if p is not None else []
            noted = self.noted.get(lead)
            if noted:
                events += [e for e in noted if e[1] >= since]
            out[lead] = events
        return out, ask

    def event_table(self, lead_ids: list[str], since: int) -> pa.Table:
        """The events since ``since`` of ``lead_ids`` as ``lead_events`` rows (``lead_id``,
        ``type``, ``ts``): those of the read and those stored since. For leads it holds
        the events of: not one whose events are read from the store (:attr:`from_store`),
        nor one stored after the read."""
        pos = self.leads.pos
        rows = np.array([pos[i] for i in lead_ids], np.int64)
        return self.event_table_of(rows, pa.array(lead_ids, pa.string()), lead_ids, since)

    def event_table_of(
        self, rows: np.ndarray, ids: pa.Array, lead_ids: list[str], since: int
    ) -> pa.Table:
        """:meth:`event_table` of the leads at the snapshot's row numbers ``rows``, whose
        ids are ``ids`` (and ``lead_ids``, the same as Python text)."""
        held = self.events
        assert held is not None and since >= held.since, "the read holds these events"
        which, types, times = held.gather(rows, since)
        # the read's events taken column by column in Arrow, not a Python object an event
        read_ids = ids.take(pa.array(which, pa.int64()))
        read_types = pa.array(held.names, pa.string()).take(pa.array(types, pa.int64()))
        noted = self.noted
        lead_list: list[str] = []
        type_list: list[str] = []
        time_list: list[int] = []
        for lead in lead_ids:
            for event_type, ts in noted.get(lead, ()):
                if ts >= since:
                    lead_list.append(lead)
                    type_list.append(event_type)
                    time_list.append(ts)
        return pa.table({
            "lead_id": pa.concat_arrays([read_ids, pa.array(lead_list, pa.string())]),
            "type": pa.concat_arrays([read_types, pa.array(type_list, pa.string())]),
            "ts": pa.concat_arrays([pa.array(times, pa.int64()),
                                    pa.array(time_list, pa.int64())]).cast(pa.timestamp("us")),
        })  # fmt: skip

    def intent_table(self, accounts: Iterable[str]) -> pa.Table:
        """The intent signals of ``accounts`` as ``intent_signals`` rows."""
        rows = [(a, topic, strength, ts) for a in accounts for topic, strength, ts
                in self.intent_of(a)]  # fmt: skip
        account, topic, strength, ts = (list(c) for c in zip(*rows, strict=True)) if rows else (
            [], [], [], [])  # fmt: skip
        return pa.table({
            "signal_id": pa.nulls(len(rows), pa.string()),
            "account_id": pa.array(account, pa.string()),
            "topic": pa.array(topic, pa.string()),
            "strength": pa.array(strength, pa.float64()),
            "ts": pa.array(ts, pa.int64()).cast(pa.timestamp("us")),
        })  # fmt: skip

    def intent_of(self, account: str | None) -> Intent:
        if self.intent is None or account is None:
            return []
        return self.intent.get(account, [])

    # -- what the server writes -------------------------------------------------------------
    def note_events(self, touched: dict[str, list[tuple[str, int]]], latest: int | None) -> None:
        """Events just stored, by lead (``(type, µs)``, in the order stored); ``latest``:
        the newest of their times (None: no event)."""
        noted = self.noted
        for lead, happened in touched.items():
            held = noted.get(lead)
            if held is None:
                noted[lead] = list(happened)
            else:
                held.extend(happened)
            self.n_noted += len(happened)
        if latest is not None and (self.newest is None or latest > self.newest):
            self.newest = latest

    def note_link(self, visitor: str, lead: str) -> None:
        """A visitor newly linked: its anonymous events count for ``lead``, read there."""
        self.visitors[visitor] = lead
        self.from_store.add(lead)

    def reread(self, store: Store, lead_ids: Iterable[str]) -> None:
        """Read these leads again after an upsert: their rows, emails, aliases, accounts;
        their events are then read from the store (events may have named a lead before it
        was stored)."""
        ids = sorted(set(lead_ids))
        if not ids:
            return
        before = self.leads.get(ids)
        old = [str(r["email"]) for r in before.values() if r.get("email") is not None]
        for key in _email_keys(store, old):
            self.emails[key] = [x for x in self.emails.get(key, []) if x not in before]
        rows = {r["lead_id"]: r for r in store.query(
            "SELECT * FROM leads WHERE lead_id IN (SELECT unnest(?))", [ids])}  # fmt: skip
        self.leads.put({lead: rows.get(lead) for lead in ids})
        with_email = [r for r in rows.values() if r.get("email") is not None]
        for row, key in zip(with_email, _email_keys(store, [str(r["email"]) for r in with_email]),
                            strict=True):  # fmt: skip
            self.emails[key] = sorted({*self.emails.get(key, []), row["lead_id"]})
        for alias, lead in store.execute(
            "SELECT alias, lead_id FROM lead_aliases WHERE lead_id IN (SELECT unnest(?)) "
            "AND alias <> lead_id",
            [ids],
        ).fetchall():
            self.aliases[alias] = lead
        accounts = sorted({str(r["account_id"]) for r in rows.values() if r.get("account_id")})
        if accounts:
            found = {
                r["account_id"]: r
                for r in store.query(
                    "SELECT * FROM accounts WHERE account_id IN (SELECT unnest(?))", [accounts]
                )
            }
            self.accounts.put({a: found.get(a) for a in accounts})
        self.from_store.update(ids)
        self._members = self._by_account = None

    @property
    def full(self) -> bool:
        """Holding more noted events than it should: read it all again."""
        return self.n_noted > MAX_NOTED


#: The lead columns held whatever the definition reads: ids, the email (a re-read's emails
#: index) and the stage (which the handoff reads).
_LEAD_KEYS = ("lead_id", "account_id", "email", "stage")


def _columns(
    store: Store,
    table: str,
    keys: tuple[str, ...],
    fields: Collection[str] | None,
    of_table: Callable[[str], bool],
) -> str:
    """The select list of ``table``'s columns to hold: ``keys`` and the ``fields`` of the
    table (an account field without its ``account.``) that it has; ``*`` for every one."""
    if fields is None:
        return "*"
    wanted = set(keys) | {f.removeprefix("account.") for f in fields if of_table(f)}
    stored = [r[0] for r in store.execute(f"DESCRIBE {table}").fetchall()]
    return ", ".join(quote_ident(c) for c in stored if c in wanted)


def _email_keys(store: Store, emails: list[str]) -> list[str]:
    """``lower(trim(email))`` as the store computes it, in order."""
    if not emails:
        return []
    keys: list[str] = store.scalar("SELECT list_transform(?, lambda e: lower(trim(e)))", [emails])
    return keys


def _list(table: pa.Table, column: str) -> list[Any]:
    return table.column(column).to_pylist()  # type: ignore[no-any-return]


def _arrow(store: Store, sql: str) -> pa.Table:
    return store.conn.sql(sql).to_arrow_table()


def _events(store: Store, leads: Rows, since: int) -> Events:
    """The events since ``since`` of every stored lead (a linked visitor's anonymous ones
    for its lead), sorted by the lead's row number in ``leads`` (read ordered by id, so
    the row number is the id's rank), in one read."""
    since = int(since)
    table = _arrow(
        store,
        "WITH ranked AS (SELECT lead_id, (row_number() OVER (ORDER BY lead_id) - 1)::INTEGER "
        "AS p FROM leads), recent AS (SELECT lead_id, type, epoch_us(ts) AS us FROM events "
        f"WHERE lead_id IS NOT NULL AND epoch_us(ts) >= {since} UNION ALL "
        "SELECT l.lead_id, e.type, epoch_us(e.ts) FROM events e JOIN visitor_links l "
        f"ON e.visitor_id = l.visitor_id WHERE e.lead_id IS NULL AND epoch_us(e.ts) >= {since}) "
        "SELECT ranked.p, recent.type, recent.us FROM recent JOIN ranked USING (lead_id) "
        "ORDER BY ranked.p",
    )
    rows = table.column("p").to_numpy()
    coded = pc.dictionary_encode(table.column("type").combine_chunks())
    types = coded.indices.to_numpy(zero_copy_only=False)
    times = table.column("us").to_numpy()
    starts = np.searchsorted(rows, np.arange(len(leads.pos) + 1), side="left")
    return Events(since, starts, types, times, coded.dictionary.to_pylist())
