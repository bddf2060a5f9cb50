"""Write-behind: a group of events answered once it is in the journal, written to DuckDB
later by a flush thread, with the groups after it, in one transaction.

Why: a group commit straight into DuckDB runs one statement per kind of row (the events,
``live_scores``, the MQL entries' transitions, stages, SLA starts and outbox events) and a
``COMMIT``, each 1-3 ms on this machine whatever its rows; the writer thread was busy all
the time in every workload (``bench/README.md``, issue #9, session 15). Here a group's rows
are decided in memory, as :mod:`.group` decides them, then appended to a journal file with
one ``fdatasync`` before the answers leave: that append is the commit. The rows wait in
memory until they are handed to the flush thread (:meth:`Behind.write_behind`): as soon as
it is free (``[api] behind_flush_idle``), or once ``behind_max_events`` rows or
``behind_max_age`` have gathered. It writes them through its own cursor of the store (a
DuckDB connection of its own) while the writer thread decides the next groups, which only
read the store meanwhile: DuckDB's work runs on the second core. Anything else that needs
the store as the answers left it writes what is pending itself first (:meth:`Behind.flush`,
on the writer thread, after waiting for a flush under way).

What holds:

* **Durable**: a 2xx means the group's rows are in the journal on disk. After a ``kill -9``,
  whatever opens the store next writing (the server, or the CLI: :func:`recover`) writes the
  journal's records the store lacks first. The store records the last record it holds
  (``journal_applied``) in the same transaction as the rows, so no record is written twice;
  a record cut short by the crash was never answered, and is dropped.
* **Read your writes**: every read on the server's readers waits until the groups answered
  before it began are in the store (:meth:`Behind.wait_applied`); every other call on the
  writer (a sales action, an import through the server, an erasure, a checkpoint) runs after
  a flush. So nothing outside this module sees the store behind its answers.
* **The same rows**: a deferred group runs :mod:`.group`'s code with two overlays over what
  the store has not got yet: the keys of the pending events (duplicates) and the leads that
  entered ``mql`` in a pending group (their stage). Everything else a group reads is in the
  server's memory (:mod:`.resident`, the held states), which follows every group as it is
  decided. A group that would read anything else from the store is committed as before,
  after a flush (:func:`deferrable` lists when: lead upserts, idempotency keys, visitor
  links, routing rules, definitions that read stages, a lead whose events the server does
  not hold, a clock gone back; and for definitions that read other leads, an account
  whose lead has an event after the clock or its events read from the store).

The outbox's ``lead.mql`` messages are created when their group is flushed (their time is
the flush's); the transitions keep their group's time, and so does the SLA start.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import pickle
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from ..store import Store

if TYPE_CHECKING:
    from ..definition.compile import CompiledDefinition
    from ..project import Project
    from .entry import Entry
    from .event_writer import Kept
    from .group import Pending
    from .inputs import EventIn
    from .live import LiveScore, LiveScores
    from .resident import Resident

log = logging.getLogger("leadgate.api")

#: The journal beside the store (``leadgate.duckdb`` → ``leadgate.duckdb.journal``).
SUFFIX = ".journal"
#: A journal segment is full from this size on (see :class:`Journal`).
SEGMENT_BYTES = 64 * 1024 * 1024
#: A record's frame: its length and CRC-32, then the pickled record.
_FRAME = struct.Struct("<II")


def journal_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + SUFFIX)


@dataclass
class Rows:
    """What one deferred group writes (its journal record)."""

    at: dt.datetime  # the group's time, naive UTC: scores', transitions' and SLA starts'
    definition_hash: str = ""
    events: list[Kept] = field(default_factory=list)
    scores: list[LiveScore] = field(default_factory=list)
    #: leads of ``scores`` that may have a ``live_scores`` row in the store (a delete first)
    replaced: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


class Deferred(Rows):
    """A group being decided: its rows, and the overlays of the groups pending before it."""

    def __init__(self, behind: Behind, at: dt.datetime) -> None:
        super().__init__(at)
        self.keys = behind.keys
        self.mql = behind.mql
        self._behind = behind

    def has_event(
        self, lead_id: str, after: dt.datetime, until: dt.datetime, types: list[str] | None
    ) -> bool:
        """Whether a pending event of ``lead_id`` (this group's or an earlier one's) is in
        ``(after, until]``, of ``types`` when given (a recycled lead's new engagement)."""
        lo, hi = _micros(after), _micros(until)
        for rows in [*(r for _, r in self._behind.unsettled()), self]:
            for event, _, lead, at in rows.events:
                if lead == lead_id and lo < at <= hi and (types is None or event.type in types):
                    return True
        return False

    def rows(self) -> Rows:
        return Rows(
            self.at, self.definition_hash, self.events, self.scores, self.replaced, self.entries
        )


class Journal:
    """The append-only files of records not yet in the store. Records go to one segment
    (``<store>.journal.<n>``) until it holds :data:`SEGMENT_BYTES`; the next record then
    starts the next one. A full segment is deleted once the store holds its last record
    (:meth:`applied`), the others when the server stops with everything written
    (:meth:`close`). A new segment costs a sync of its folder, so segments are not made per
    flush: a record already in the store is skipped when the journal is read again."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._last = 0  # the last record appended
        self._full: list[tuple[Path, int]] = []  # full segments and their last record
        self._number = max((_number(p) for p in segments(base)), default=0)

    def append(self, seq: int, rows: Rows) -> None:
        """Append one record and wait until it is on disk."""
        if self._fd is None:
            self._number += 1
            self._path = self.base.with_name(f"{self.base.name}.{self._number}")
            self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._size = 0
            _sync_directory(self._path.parent)  # the new file's name survives a crash too
        data = _ENCODE((_RECORD, seq, rows.at, rows.definition_hash, rows.events, rows.scores,
                        rows.replaced, rows.entries))  # fmt: skip
        frame = memoryview(_FRAME.pack(len(data), zlib.crc32(data)) + data)
        self._size += len(frame)
        while frame:
            frame = frame[os.write(self._fd, frame) :]
        os.fdatasync(self._fd)
        self._last = seq
        if self._size >= SEGMENT_BYTES:
            self._seal()

    def _seal(self) -> None:
        if self._fd is not None and self._path is not None:
            os.close(self._fd)
            self._full.append((self._path, self._last))
            self._fd, self._path = None, None

    def applied(self, seq: int) -> None:
        """The store holds every record up to ``seq``: the full segments it covers go."""
        done = [path for path, last in self._full if last <= seq]
        self._full = [(path, last) for path, last in self._full if last > seq]
        remove(done)

    def holds(self) -> bool:
        """Whether a segment of it is on disk (it may hold a person's rows: an erasure
        through the server empties it, with :meth:`Behind.flush`)."""
        return self._fd is not None or bool(self._full)

    def reset(self) -> None:
        """Every record appended is in the store: delete every segment."""
        self._seal()
        remove([path for path, _ in self._full])
        self._full = []

    def close(self, applied: int | None = None) -> None:
        """Close it; with ``applied`` (the store holds every record up to it), delete the
        segments when that is every record appended."""
        self._seal()
        if applied is not None and applied >= self._last:
            remove([path for path, _ in self._full])
            self._full = []


def segments(base: Path) -> list[Path]:
    """The journal's segments, oldest first."""
    found = [p for p in base.parent.glob(base.name + ".*") if p.suffix[1:].isdigit()]
    return sorted(found, key=_number)


def _number(path: Path) -> int:
    return int(path.suffix[1:])


def _sync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_journal(base: Path) -> Iterator[tuple[int, Rows]]:
    """The whole records of the journal ``base``'s segments, in order; stops at one cut
    short or damaged (the crash came while it was written: it was never answered)."""
    for path in segments(base):
        data = path.read_bytes()
        at = 0
        while at + _FRAME.size <= len(data):
            size, crc = _FRAME.unpack_from(data, at)
            body = data[at + _FRAME.size : at + _FRAME.size + size]
            if len(body) < size or zlib.crc32(body) != crc:
                log.warning("the journal %s ends with a record cut short; dropped", path)
                return
            yield _rows(body)
            at += _FRAME.size + size
        if at < len(data):  # a frame's header cut short
            log.warning("the journal %s ends with a record cut short; dropped", path)
            return


#: The first item of a journal record of this format: msgpack, by msgspec. A record of 2,000
#: events and their scores takes 0.6 ms to encode on the writer thread, where pickling it
#: (flattened to plain tuples first: ``rows-v2``) took 4.7 (issue #9, session 20). A
#: record read back is typed: events, scores and entries as they were written.
_RECORD = "rows-v3"
_ENCODE = msgspec.msgpack.Encoder().encode
_EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)


@functools.cache
def _decoder() -> msgspec.msgpack.Decoder[Any]:
    from .entry import Entry
    from .event_writer import Kept
    from .live import LiveScore

    record = tuple[str, int, dt.datetime, str, list[Kept], list[LiveScore], list[str],
                   list[Entry]]  # fmt: skip
    return msgspec.msgpack.Decoder(record)


def _rows(body: bytes) -> tuple[int, Rows]:
    """A journal record read back: this format's, or an older one's (a pickle: a flat
    ``rows-v2`` tuple, sessions 18-19, or ``(seq, Rows)`` before), left by a server stopped
    before an upgrade."""
    if body[:1] != b"\x80":  # not a pickle (its protocol opcode): msgpack's array
        _, seq, at, definition_hash, events, scores, replaced, entries = _decoder().decode(body)
        return seq, Rows(at, definition_hash, events, scores, replaced, entries)
    record = pickle.loads(body)
    if len(record) == 2:  # written before session 18
        return record[0], record[1]
    from .inputs import EventIn
    from .live import LiveScore

    _, seq, at, definition_hash, events, scores, replaced, entries = record
    kept: list[Kept] = [
        (EventIn(kind, _EPOCH + us * _MICROSECOND, lead_id, email, visitor, event_id, url,
                 properties), key, lead, us)
        for kind, lead_id, email, visitor, event_id, url, properties, key, lead, us in events
    ]  # fmt: skip
    return seq, Rows(
        at,
        definition_hash,
        kept,
        [LiveScore(score[0], _EPOCH + score[1] * _MICROSECOND, *score[2:]) for score in scores],
        replaced,
        entries,
    )


def remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def applied_seq(store: Store) -> int:
    return int(store.scalar("SELECT coalesce(max(seq), 0) FROM journal_applied"))


def apply(store: Store, records: list[tuple[int, Rows]]) -> None:
    """Write ``records`` to the store in the caller's transaction, merged: one statement per
    kind of row for all of them; ``journal_applied`` moves to the last."""
    if not records:
        return
    run: list[Rows] = []
    for _, rows in records:  # one run, unless the definition changed between groups
        if run and rows.definition_hash != run[0].definition_hash:
            _apply_run(store, run)
            run = []
        run.append(rows)
    _apply_run(store, run)
    store.execute("UPDATE journal_applied SET seq = ?", [records[-1][0]])


def _apply_run(store: Store, run: list[Rows]) -> None:
    from .entry import write_entries
    from .event_writer import insert_events
    from .live import save_scores

    events: list[Kept] = []
    scores: dict[str, tuple[LiveScore, dt.datetime]] = {}
    replaced: set[str] = set()
    entries: list[Entry] = []
    for rows in run:
        events += rows.events
        maybe = set(rows.replaced)
        for score in rows.scores:
            if score.lead_id not in scores and score.lead_id in maybe:
                replaced.add(score.lead_id)  # its first pending score says if it has a row
            scores[score.lead_id] = (score, rows.at)
        entries += rows.entries
    insert_events(store, events)
    save_scores(
        store,
        run[0].definition_hash,
        [s for s, _ in scores.values()],
        saved=replaced,
        scored_at=[at for _, at in scores.values()],
    )
    write_entries(store, entries)


def recover(store: Store, store_path: Path) -> int:
    """Write the journal's records the store lacks (after a crash), then empty it; how many
    were written. Called by whatever opens the store to write (:meth:`Project.store`)."""
    path = journal_path(store_path)
    found = segments(path)
    if not found:
        return 0
    done = applied_seq(store)
    records = [(seq, rows) for seq, rows in read_journal(path) if seq > done]
    if records:
        with store.atomic():
            apply(store, records)
        log.warning(
            "wrote %d journal records the store lacked (%s): the server stopped before "
            "writing them",
            len(records),
            path,
        )
    remove(found)
    return len(records)


class Behind:
    """The groups answered and not yet in the store, the journal that holds them, and the
    flushes that write them (see the module). Its methods run on the writer thread, but
    :meth:`wait_applied` (any thread) and the background flush (its own thread, through
    its own cursor of the store: DuckDB writes there while the writer decides the next
    groups, and the writer thread only reads the store while groups are deferred)."""

    def __init__(
        self,
        store_path: Path,
        enabled: bool = True,
        max_events: int = 5_000,
        max_age: float = 0.2,
        flush_idle: bool = True,
    ) -> None:
        self.enabled, self.flush_idle = enabled, flush_idle
        self.max_events, self.max_age = max_events, max_age
        self.journal = Journal(journal_path(store_path))
        self.pending: list[tuple[int, Rows]] = []  # decided, not handed to a flush
        self.flushing: list[tuple[int, Rows]] = []  # handed to the background flush
        self.keys: set[str] = set()  # the unsettled events' keys
        self.mql: set[str] = set()  # leads that entered mql in an unsettled group
        self.events = 0  # pending events
        self.since: float | None = None  # time.monotonic() of the oldest pending group
        self.seq = 0  # the last record journaled
        self.flushes = 0
        self._applied = 0  # the last record in the store
        self._cond = threading.Condition()
        self._requested = False
        #: a read waits for the pending groups: hand them to the flush thread although
        #: not :meth:`due` by the limits (the writer thread's)
        self._wanted = False
        self._busy = False  # a background flush holds ``flushing``
        self._failed: BaseException | None = None
        self._cursor: Store | None = None
        self._thread: threading.Thread | None = None
        self._submit: Callable[[Callable[[], None]], None] | None = None
        self._store_of: Callable[[], Store] | None = None

    def start(
        self,
        store: Store,
        submit: Callable[[Callable[[], None]], None] | None = None,
        store_of: Callable[[], Store] | None = None,
    ) -> None:
        """On the writer thread, once the store is open (the journal was recovered then);
        with the writer's ``submit`` and ``store_of``, flushes run in the background."""
        self.seq = self._applied = applied_seq(store)
        if submit is not None and store_of is not None and self.enabled:
            self._submit, self._store_of = submit, store_of
            self._cursor = store.cursor()
            self._thread = threading.Thread(
                target=self._flusher, name="leadgate-flush", daemon=True
            )
            self._thread.start()

    @property
    def applied(self) -> int:
        return self._applied

    def unsettled(self) -> list[tuple[int, Rows]]:
        """The records the writer thread must not expect in the store."""
        return [*self.flushing, *self.pending]

    def defer(self, rows: Deferred) -> None:
        """Journal a decided group (its answers may leave once this returns)."""
        self.seq += 1
        record = rows.rows()
        self.journal.append(self.seq, record)
        self.pending.append((self.seq, record))
        self.keys.update(key for _, key, _, _ in record.events)
        self.mql.update(e[0] for e in record.entries)
        self.events += len(record.events)
        if self.since is None:
            self.since = time.monotonic()

    def settle(self) -> None:
        """On the writer thread, before a group reads the store: a background flush that
        committed leaves the overlays (every read from now on sees its rows), and the
        journal segments it covers go."""
        with self._cond:
            if self._busy or not self.flushing or self._failed is not None:
                return
            self.flushing = []
        self._overlays()
        self.journal.applied(self._applied)

    def _overlays(self) -> None:
        self.keys.clear()
        self.mql.clear()
        for _, rows in self.unsettled():
            self.keys.update(key for _, key, _, _ in rows.events)
            self.mql.update(e[0] for e in rows.entries)

    def due(self) -> bool:
        """Whether the pending groups should be handed to a flush now: as soon as one is
        free (``flush_idle``), or once enough rows or time have gathered."""
        if not self.pending:
            return False
        return (
            self._wanted
            or self.flush_idle
            or self.events >= self.max_events
            or (self.since is not None and time.monotonic() - self.since >= self.max_age)
        )

    def write_behind(self, store: Store) -> None:
        """On the writer thread: hand the pending groups to the background flush, if it is
        free (else they wait for the next); without one, write them now."""
        if self._thread is None:
            self.flush(store)
            return
        self.settle()
        with self._cond:
            if self._busy or self.flushing or not self.pending:
                return
            self.flushing, self.pending = self.pending, []
            self.events, self.since = 0, None
            self._wanted = False
            self._busy = True
            self._cond.notify_all()

    def _flusher(self) -> None:
        """The background flush: writes each batch handed to it, through its own cursor."""
        assert self._cursor is not None
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._busy or self._thread is None)
                if self._thread is None:
                    return
                batch = list(self.flushing)
            try:
                with self._cursor.atomic():
                    apply(self._cursor, batch)
            except BaseException as exc:  # the writer writes them itself at its next flush
                log.exception("writing %d journaled groups behind failed", len(batch))
                with self._cond:
                    self._failed, self._busy = exc, False
                    self._cond.notify_all()
                continue
            with self._cond:
                self.flushes += 1
                self._applied, self._busy = batch[-1][0], False
                self._cond.notify_all()
            if self.pending and self._submit is not None:  # more gathered meanwhile
                self._submit(self._again)

    def _again(self) -> None:
        """On the writer thread, after a background flush: the groups pending since."""
        if self.due() and self._store_of is not None:
            self.write_behind(self._store_of())

    def flush(self, store: Store) -> None:
        """On the writer thread: every unsettled group in the store when this returns
        (waits for a background flush under way; writes the rest itself), and the journal
        emptied: no segment is left holding rows (a person erased next must not stay in
        it)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._busy)
            failed, self._failed = self._failed, None
        if failed is None:
            self.settle()
        records = self.unsettled()
        if not records:
            self.journal.reset()
            return
        # through the flush thread's cursor when there is one (idle now): the groups were
        # counted in the writer's generation when they were decided, so their writing is
        # not counted again (what the server kept of its reads since stays true)
        target = self._cursor if self._cursor is not None else store
        with target.atomic():
            apply(target, records)
        self.flushes += 1
        self.pending, self.flushing = [], []
        self.keys.clear()
        self.mql.clear()
        self.events, self.since = 0, None
        with self._cond:
            self._applied = records[-1][0]
            self._cond.notify_all()
        self.journal.reset()

    def request(
        self, submit: Callable[[Callable[[], None]], None], store: Callable[[], Store]
    ) -> None:
        """Ask the writer for the pending groups to be written (once, however many ask
        before it runs; a read waits for them). With the background flush they are handed
        to it, and the writer goes on deciding groups: a read written through the writer
        held up the ingest for the whole write, and the dashboard's refresh reads often
        (session 17: 100-170 ms pauses of single events). Without one, the writer writes
        them."""
        with self._cond:
            if self._requested:
                return
            self._requested = True

        def flush() -> None:
            with self._cond:
                self._requested = False
            if self._thread is None or self._failed is not None:  # the writer writes them
                self.flush(store())
                return
            # handed over now, or by the flush under way when done (nothing pending: the
            # read waits for that flush alone)
            self._wanted = bool(self.pending)
            self.write_behind(store())

        submit(flush)

    def wait_applied(self, seq: int, timeout: float | None = None) -> bool:
        """Block until record ``seq`` is in the store (on a reader thread)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._applied >= seq, timeout)

    def close(self) -> None:
        """Stop the background flush (after the writer's last :meth:`flush`)."""
        thread = self._thread
        if thread is not None:
            with self._cond:
                self._thread = None
                self._cond.notify_all()
            thread.join()
        if self._cursor is not None:
            self._cursor.conn.close()
            self._cursor = None
        pending = self.pending or self.flushing
        self.journal.close(None if pending else self._applied)


def deferrable(
    project: Project,
    live: LiveScores,
    group: list[Pending],
    compiled: CompiledDefinition,
    now_us: int,
) -> dict[int, str] | None:
    """The leads of ``group``'s events (as :func:`.event_writer._leads` gives them) when
    it can be decided from memory alone (see the module), else None."""
    from .event_writer import _leads
    from .live import _reads_other_leads

    resident, scorer = live.resident, live.scorer
    if (
        resident is None
        or resident.full
        or resident.keys is None
        or scorer is None
        or scorer.compiled.hash != compiled.hash
        or "stage" in compiled.fields_used
        or project.config.routing.get("rules")
    ):
        return None
    events = []
    for pending in group:
        if pending.kind != "events" or pending.claim is not None:
            return None
        for event in pending.rows:
            if event.visitor_id:
                return None
        events += pending.rows
    if _reads_other_leads(compiled) and not _accounts_held(resident, events, now_us):
        return None
    try:
        leads = _leads(project.store(), events, resident)
    except Exception:  # an email two leads hold: the group commit refuses it
        return None
    from_store = resident.from_store
    if any(lead in from_store for lead in leads.values()):
        return None
    events_held = resident.events is not None and scorer.horizon is not None
    if events_held and now_us - scorer.horizon < resident.events.since:  # type: ignore[operator,union-attr]
        return None  # the clock went back past what the server read: the store is asked
    if not events_held:  # a stored lead not held is read back from the store's events
        held, stored = live.held, resident.leads.pos
        if not all(lead in held or lead not in stored for lead in leads.values()):
            return None
    return leads


def _accounts_held(resident: Resident, events: list[EventIn], now_us: int) -> bool:
    """Whether a group's leads whose scores read their accounts' other leads are scored
    from memory alone (:func:`.live_plan.account_plan_scores`, else
    :mod:`.live_accounts`): every lead's events held, none read from the store, and no
    event, held or in the group, after the clock (a lead holding one is scored as of it,
    its account read back from the store: :mod:`.live_exact`)."""
    if resident.events is None or resident.from_store:
        return False
    if resident.newest is not None and resident.newest > now_us:
        return False
    return not events or _micros(max(e.ts for e in events)) <= now_us


def _micros(naive_utc: dt.datetime) -> int:
    from ..scoring.evaluate import to_micros

    return to_micros(naive_utc)


__all__ = ["Behind", "Deferred", "Rows", "apply", "deferrable", "journal_path", "recover"]
