"""Real-time scoring: each lead an event touches is rescored in the transaction that stores
the event, with the incremental scorer (:class:`~leadgate.scoring.incremental.LeadState`).

Why incremental, not the SQL plan over the touched leads: the plan reads ``lead_events``,
and on a store of 50M events without an index every run scans them (0.2-1 s, measured),
however few leads it asks for; a lead held in memory is rescored in microseconds. The
states are kept in a bounded LRU (``[api] live_cache_leads``); a lead not held is rebuilt
from the store (its row, its account, its events, its account's intent), all the misses of
one group commit with one set of queries.

The numbers are those of batch scoring (``score_store``) for the same events and as-of time
(a property test replays random histories both ways). Each lead is scored as of the server's
clock, or its newest event when that is later by no more than ``max_future_skew`` (the
API takes such an event: a sender's clock a little fast, counted as soon as it is stored);
a row dated further ahead never moves the time (:func:`as_of_for`). A definition whose
scores read other leads (``contacts`` counts, account roll-ups) is scored from the held
states of every lead of its account (:mod:`.live_accounts`).

Held states follow the store only through this server: anything that changes leads,
accounts or events another way (an import through the CLI beside the server, a merge, an
erasure) calls :meth:`LiveScores.forget`.
"""

from __future__ import annotations

import bisect
import collections
import datetime as dt
import gc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pyarrow as pa

from ..clock import MAX_FUTURE_SKEW
from ..definition.compile import CompiledDefinition
from ..ingest.readers import quote_literal
from ..project import Project
from ..scoring.contract import RawScore
from ..scoring.evaluate import Scorer, from_micros, to_micros
from ..scoring.incremental import LeadState
from ..scoring.rollups import contexts
from ..store import Store
from .held_stages import HeldStages
from .live_plan import account_plan_scores, plan_scores, takes
from .resident import Intent, Resident


@dataclass
class Held:
    """One lead's state, and its account's intent signals when the definition reads them."""

    state: LeadState
    intent: Intent = field(default_factory=list)
    # µs: the events before it were not read (None: all were); they are older than the
    # definition's longest look-back as of the time the state was read, so they count for
    # no score as of then or later (an earlier as-of reads the lead again)
    since: int | None = None
    # the lead's engagement while its state holds no event (it does not depend on the
    # as-of then): an account roll-up reads it for every lead of the account
    idle_engagement: int | None = None


class LiveScore(NamedTuple):
    """A lead's score as the API computed it (one row of ``live_scores``). A named tuple,
    not a frozen dataclass: a group of 4,000 leads makes 4,000 of them on the writer
    thread, each ~0.5 µs (a frozen dataclass's ``__init__`` sets its 11 fields one
    ``object.__setattr__`` at a time: ~5 µs)."""

    lead_id: str
    as_of: dt.datetime
    fit: float
    engagement: float
    total: float
    grade: Any
    band: Any
    tier: str | None
    disqualified: bool
    dq_reason: str | None
    sales: bool  # the tier is a sales tier: the lead may enter mql


class LiveScores:
    """Scoring state of recently touched leads, in memory, bounded (least recent out)."""

    def __init__(
        self,
        capacity: int = 200_000,
        skew: dt.timedelta = MAX_FUTURE_SKEW,
        resident: bool = True,
        plan_leads: int = 600,
    ) -> None:
        self.capacity = capacity
        #: a group touching this many leads is scored by the plan (:mod:`.live_plan`)
        self.plan_leads = plan_leads
        #: the store's leads, accounts, identities and recent events in memory (None: not
        #: read yet, or dropped by :meth:`forget`; never when ``use_resident`` is off)
        self.use_resident = resident
        self.resident: Resident | None = None
        self.skew_us = int(skew.total_seconds() * 1_000_000)
        self.scorer: Scorer | None = None
        self.held: collections.OrderedDict[str, Held] = collections.OrderedDict()
        # account → its leads, every one held, for definitions that read other leads
        # (:mod:`.live_accounts`); an account leaves when one of its leads does
        self.accounts: dict[str, list[str]] = {}
        self.hits = 0
        self.misses = 0
        self.planned = 0  # leads scored by the plan
        #: the leads that may have a ``live_scores`` row (more, never fewer: read at the
        #: first save, then every lead saved since; None: not read), so a lead scored for
        #: the first time is inserted without a delete (:func:`save_scores`)
        self.saved: set[str] | None = None
        #: every lead's stage, for write-behind groups' MQL entries (:mod:`.held_stages`)
        self.stages = HeldStages()
        self._compiled: tuple[tuple[int, int], CompiledDefinition] | None = None

    def compiled(self, project: Project) -> CompiledDefinition:
        """The project's compiled definition, compiled again only when its file changed."""
        stat = project.definition_path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._compiled is None or self._compiled[0] != stamp:
            self._compiled = (stamp, project.compiled())
        return self._compiled[1]

    def warm(self, project: Project) -> None:
        """Read what is held of the store now (the server's start), not at the first commit."""
        self.ready(project.store(), self.compiled(project))

    def forget(self, lead_ids: Iterable[str] | None = None) -> None:
        """Drop held states (all of them, or these leads'): they are rebuilt when needed."""
        if lead_ids is None:
            self.held.clear()
            self.accounts.clear()
            self.resident = None
            self.saved = None
            self.stages.forget()
            return
        for lead_id in lead_ids:
            self.held.pop(lead_id, None)

    def ready(self, store: Store, compiled: CompiledDefinition) -> None:
        """Set the scorer for ``compiled`` (a new definition drops every held state) and,
        when the server holds the store, read it if it is not held (or holds too much)."""
        if self.scorer is None or self.scorer.compiled.hash != compiled.hash:
            self.scorer, self.held = Scorer(compiled), collections.OrderedDict()
            self.accounts.clear()
            self.resident = None  # its look-back and intent follow the definition
        if self.use_resident and (self.resident is None or self.resident.full):
            self.held.clear()  # its states hold noted events the new read holds too
            self.accounts.clear()
            reads_intent = any(a.kind == "intent" for a in compiled.aggregates.values())
            now_us = to_micros(store.now())
            self.resident = Resident.read(
                store, self.scorer.horizon, now_us, reads_intent, compiled.fields_used
            )
            if _reads_other_leads(compiled):  # the accounts' index, made now, not in a group
                self.resident.largest_account()
            # Millions of long-lived objects (the held ids, emails, links): the collector's
            # full passes would walk them all, again and again, while nothing of them is
            # garbage; frozen, they are left out (they are still freed when dropped).
            gc.freeze()

    def saved_rows(self, store: Store) -> set[str]:
        """The leads that may have a ``live_scores`` row (:attr:`saved`), read if not held."""
        if self.saved is None:
            self.saved = {r[0] for r in store.execute("SELECT lead_id FROM live_scores").fetchall()}
        return self.saved

    def hold(self, store: Store, compiled: CompiledDefinition, lead_ids: Iterable[str]) -> None:
        """Hold the states of the stored leads among ``lead_ids``, reading the missing ones
        back from the store (all of them with one set of queries)."""
        self.ready(store, compiled)
        now_us = to_micros(store.now())
        missing = []
        for lead_id in lead_ids:
            if lead_id in self.held and not self.stale(lead_id, now_us):
                self.hits += 1
                self.held.move_to_end(lead_id)
            else:
                missing.append(lead_id)
        self.misses += len(missing)
        self.hold_states(store, missing, now_us)

    def hold_states(self, store: Store, lead_ids: list[str], now_us: int) -> None:
        """Read the states of these leads back from the store, as of ``now_us``."""
        assert self.scorer is not None, "hold() first: it sets the scorer"
        self.held.update(load_states(store, self.scorer, lead_ids, now_us, self.resident))

    def stale(self, lead_id: str, now_us: int) -> bool:
        """Whether the held state lacks events a score as of ``now_us`` reads (the clock
        went back since it was read: see :attr:`Held.since`)."""
        since = self.held[lead_id].since
        horizon = self.held[lead_id].state.scorer.horizon
        return since is not None and horizon is not None and since > now_us - horizon

    def add_all(self, touched: dict[str, list[tuple[str, int]]], latest: int | None) -> None:
        """Record events just stored, by lead (each lead's in the order stored; ``latest``:
        the newest of their times, None when there is none): the held states and the
        resident's events follow."""
        held = self.held
        for lead_id, happened in touched.items():
            one = held.get(lead_id)
            if one is not None:
                for event_type, ts_us in happened:
                    one.state.add(event_type, ts_us)
        if self.resident is not None:
            self.resident.note_events(touched, latest)

    def leads_changed(self, store: Store, lead_ids: Iterable[str]) -> None:
        """These leads were upserted: their states go, and what is held of them is read
        again (:meth:`.resident.Resident.reread`)."""
        lead_ids = set(lead_ids)
        self.forget(lead_ids)
        self.accounts.clear()  # a lead may have joined or left an account
        if self.resident is not None:
            self.resident.reread(store, lead_ids)

    def rescore(
        self, store: Store, compiled: CompiledDefinition, lead_ids: Iterable[str], now_us: int
    ) -> list[LiveScore]:
        """The scores of the stored leads among ``lead_ids``, as of ``now_us``: by the plan
        when the group is large (:mod:`.live_plan`), else (and for the leads the plan
        leaves) from their held states, read first when not held; then the least recently
        used states beyond the capacity go."""
        lead_ids = list(lead_ids)
        if _reads_other_leads(compiled):
            from .live_accounts import account_scores

            planned = None
            if takes(compiled, self.resident):  # when their accounts hold plan_leads leads
                assert self.resident is not None and self.scorer is not None
                planned = account_plan_scores(
                    store, compiled, self.resident, lead_ids, now_us,
                    self.scorer.horizon or 0, self.skew_us, self.plan_leads,
                )  # fmt: skip
            if planned is not None:
                scores = planned
                self.planned += len(scores)
            else:
                self.hold(store, compiled, lead_ids)
                scores = account_scores(self, store, compiled, lead_ids, now_us)
        else:
            scores = []
            if len(lead_ids) >= self.plan_leads and takes(compiled, self.resident):
                assert self.resident is not None and self.scorer is not None
                scores, lead_ids = plan_scores(
                    store, compiled, self.resident, lead_ids, now_us,
                    self.scorer.horizon or 0, self.skew_us,
                )  # fmt: skip
                self.planned += len(scores)
            self.hold(store, compiled, lead_ids)
            lead_ids = [lead_id for lead_id in lead_ids if lead_id in self.held]
            self.follow_stages(store, compiled, lead_ids)
            scores += [self._score(lead_id, now_us) for lead_id in lead_ids]
        while len(self.held) > self.capacity:
            _, held = self.held.popitem(last=False)
            account = held.state.lead.get("account_id")
            if account is not None:
                self.accounts.pop(str(account), None)
        return scores

    def follow_stages(
        self, store: Store, compiled: CompiledDefinition, lead_ids: Iterable[str]
    ) -> None:
        """When the definition reads ``stage``: give these held leads the stage the store
        has now (a stage moves by sales actions and MQL entries, which do not go through
        the held rows); one query. Other definitions: nothing."""
        if "stage" not in compiled.fields_used:
            return
        ids = [lead_id for lead_id in lead_ids if lead_id in self.held]
        if not ids:
            return
        for lead_id, stage in store.execute(
            "SELECT lead_id, stage FROM leads WHERE lead_id IN (SELECT unnest(?))", [ids]
        ).fetchall():
            row = dict(self.held[lead_id].state.lead)
            row["stage"] = stage
            self.held[lead_id].state.lead = row
            self.held[lead_id].idle_engagement = None

    def _score(self, lead_id: str, now_us: int) -> LiveScore:
        held = self.held[lead_id]
        state, c = held.state, held.state.scorer.compiled
        as_of = as_of_for(state.times, now_us, self.skew_us)
        context = None
        if c.aggregates:
            account = str(state.lead.get("account_id"))
            events = {lead_id: state.events}
            context = contexts(c, [state.lead], events, {account: held.intent}, as_of)[lead_id]
        return live_score(c, lead_id, state.rescore_raw(as_of, context), as_of)


def as_of_for(times: Sequence[int], now_us: int, skew_us: int) -> int:
    """When a lead whose event times are ``times`` (sorted) is scored: the server's clock, or
    its newest event when that is later but within ``skew_us`` of the clock (a sender's clock
    a little fast: the API takes such an event, and it counts as soon as it is stored). A row
    dated further ahead (stored before imports refused them) never moves the time: it counts
    once the clock reaches it.

    >>> as_of_for([], 100, 10), as_of_for([90, 105], 100, 10), as_of_for([105, 10**9], 100, 10)
    (100, 105, 105)
    """
    i = bisect.bisect_right(times, now_us + skew_us)
    return max(now_us, times[i - 1]) if i else now_us


def live_score(c: CompiledDefinition, lead_id: str, raw: RawScore, as_of_us: int) -> LiveScore:
    tier = c.tiers[raw.tier] if raw.tier >= 0 else None
    dq = c.disqualifiers[raw.disqualifier] if raw.disqualifier >= 0 else None
    return LiveScore(
        lead_id,
        from_micros(as_of_us).replace(tzinfo=None),
        raw.fit / 100,
        raw.engagement / 100,
        raw.total / 100,
        raw.grade,
        raw.band,
        tier.name if tier else None,
        dq is not None,
        dq.reason if dq else None,
        bool(tier and tier.sales),
    )


def _reads_other_leads(c: CompiledDefinition) -> bool:
    return c.uses_rollup or any(a.kind == "contacts" for a in c.aggregates.values())


def in_list(values: Iterable[str]) -> str:
    """``'a', 'b'`` for ``IN (...)``: a literal list lets DuckDB use the primary key's index
    and prune row groups, where a list parameter is joined to every row."""
    return ", ".join(quote_literal(v) for v in values) or "NULL"


def load_states(
    store: Store,
    scorer: Scorer,
    lead_ids: list[str],
    now_us: int,
    resident: Resident | None = None,
) -> dict[str, Held]:
    """The states of stored leads, read back from the store (leads not stored get none:
    batch scoring scores only stored leads), with the events that can count as of
    ``now_us`` or later: inside the definition's longest look-back. At 50M events, reading
    every event of 1,000 leads took 9.2 s, the recent ones alone 67 ms (``bench_api.py``)."""
    if not lead_ids:
        return {}
    if resident is not None:
        leads = resident.lead_rows(lead_ids)
    else:
        leads = store.query(f"SELECT * FROM leads WHERE lead_id IN ({in_list(lead_ids)})")
    return states_of(store, scorer, leads, now_us, resident)


def states_of(
    store: Store,
    scorer: Scorer,
    leads: list[dict[str, Any]],
    now_us: int,
    resident: Resident | None = None,
) -> dict[str, Held]:
    """The states of these lead rows (see :func:`load_states`), read from ``resident``
    where it holds them."""
    if not leads:
        return {}
    horizon = scorer.horizon
    since = None if horizon is None else now_us - horizon
    accounts_of = {lead["account_id"] for lead in leads if lead.get("account_id") is not None}
    accounts: dict[str, dict[str, Any]] = {}
    intent: dict[str, Intent] = collections.defaultdict(list)
    if resident is not None:
        accounts = resident.accounts.get(accounts_of)
        intent.update({a: resident.intent_of(a) for a in accounts_of})
    elif accounts_of:
        names = in_list(accounts_of)
        for row in store.query(f"SELECT * FROM accounts WHERE account_id IN ({names})"):
            accounts[row["account_id"]] = row
        if any(a.kind == "intent" for a in scorer.compiled.aggregates.values()):
            for account, topic, strength, ts in store.execute(
                "SELECT account_id, topic, strength, epoch_us(ts) FROM intent_signals "
                f"WHERE account_id IN ({names})"
            ).fetchall():
                intent[account].append((topic, strength, ts))
    held: dict[str, Held] = {}
    for lead in leads:
        account = lead.get("account_id")
        state = LeadState(scorer, lead, accounts.get(account) if account else None)
        held[lead["lead_id"]] = Held(state, intent.get(account, []) if account else [], since)
    ask = list(held)
    if resident is not None:
        found, ask = resident.events_of(held, since)
        for lead_id, events in found.items():
            state = held[lead_id].state
            for event_type, ts in events:
                state.add(event_type, ts)
    if ask:
        for lead_id, event_type, ts in events_of(store, in_list(ask), since):
            if lead_id in held:
                held[lead_id].state.add(event_type, ts)
    return held


def events_of(store: Store, ids: str, since_us: int | None = None) -> list[tuple[str, str, int]]:
    """``(lead, type, µs)`` of the leads ``ids`` (an :func:`in_list`), from ``since_us`` on
    when given: the two parts of ``lead_events``, each read through its ``events`` index
    (a join of ``visitor_links`` to ``events`` would scan every event)."""
    links = dict(
        store.execute(
            f"SELECT visitor_id, lead_id FROM visitor_links WHERE lead_id IN ({ids})"
        ).fetchall()
    )
    recent = "" if since_us is None else f" AND epoch_us(ts) >= {int(since_us)}"
    rows: list[tuple[str, str, int]] = store.execute(
        f"SELECT lead_id, type, epoch_us(ts) FROM events WHERE lead_id IN ({ids}){recent}"
    ).fetchall()
    if links:
        rows += [
            (links[visitor], event_type, ts)
            for visitor, event_type, ts in store.execute(
                "SELECT visitor_id, type, epoch_us(ts) FROM events "
                f"WHERE visitor_id IN ({in_list(links)}) AND lead_id IS NULL{recent}"
            ).fetchall()
        ]
    return rows


#: ``live_scores``' columns as :func:`save_scores` hands them over.
_LIVE_COLUMNS = pa.schema([
    ("lead_id", pa.string()), ("as_of", pa.timestamp("us")), ("fit", pa.float64()),
    ("engagement", pa.float64()), ("total", pa.float64()), ("grade", pa.string()),
    ("band", pa.int32()), ("tier", pa.string()), ("disqualified", pa.bool_()),
    ("dq_reason", pa.string()), ("scored_at", pa.timestamp("us")),
])  # fmt: skip


def save_scores(
    store: Store,
    definition_hash: str,
    scores: list[LiveScore],
    saved: set[str] | None = None,
    scored_at: list[dt.datetime] | None = None,
) -> None:
    """Write the scores to ``live_scores`` (one row per lead, replaced), in the caller's
    transaction: the leads' rows deleted, then inserted from an Arrow table. With a million
    rows in ``live_scores``, ``INSERT OR REPLACE`` of 1,000 took ~600 ms, this ~220 ms
    (``bench/README.md``, issue #9).

    ``saved``: the leads that may have a row (:meth:`LiveScores.saved_rows`; None: any
    may). When none of the scores' leads is among them (leads scored for the first time),
    nothing is deleted: no statement (issue #9, session 15). The leads saved join it.
    ``scored_at``: each score's time (naive UTC; None: the store's now for all)."""
    if not scores:
        return
    at = scored_at if scored_at is not None else [store.now()] * len(scores)
    columns = zip(_columns(scores, at), _LIVE_COLUMNS, strict=True)
    rows = pa.table([pa.array(c, type=f.type) for c, f in columns], schema=_LIVE_COLUMNS)
    replaced = saved is None or any(s.lead_id in saved for s in scores)
    if saved is not None:  # before the writes: a failed one leaves more, never fewer
        saved.update(s.lead_id for s in scores)
    with store.registered("live_rows", rows):
        if replaced:
            store.execute(
                "DELETE FROM live_scores WHERE lead_id IN (SELECT lead_id FROM live_rows)"
            )
        store.execute(
            "INSERT INTO live_scores SELECT lead_id, ?, as_of, fit, engagement, total, grade, "
            "band, tier, disqualified, dq_reason, scored_at FROM live_rows",
            [definition_hash],
        )


def _columns(scores: list[LiveScore], scored_at: list[dt.datetime]) -> list[list[Any]]:
    """The scores' values column by column, in ``_LIVE_COLUMNS``' order (a band that is
    not an integer and a grade stored as its text, as ``live_scores`` holds them)."""
    return [
        [s.lead_id for s in scores],
        [s.as_of for s in scores],
        [s.fit for s in scores],
        [s.engagement for s in scores],
        [s.total for s in scores],
        [None if s.grade is None else str(s.grade) for s in scores],
        [s.band if isinstance(s.band, int) or s.band is None else None for s in scores],
        [s.tier for s in scores],
        [s.disqualified for s in scores],
        [s.dq_reason for s in scores],
        scored_at,
    ]
