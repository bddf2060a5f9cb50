"""A large group's leads rescored at once: the compiled plan, in DuckDB, over what the
server holds of them.

Why: the incremental scorer (:class:`~leadgate.scoring.incremental.LeadState`) is one
Python call a lead. A group commit of 1,000 random events at 1,000,000 leads spent about
47 ms on it (16 rebuilding the leads' states, 31 scoring them: ``profile_ingest.py``,
bench/README.md), half of the commit. The plan over Arrow tables of the group's leads,
their accounts and intent, and their held events costs a fixed 30-45 ms with the writer's
Python around it (parsing, binding and optimizing a statement of ~8,300 characters, its
operators' pipelines, however few rows: DuckDB's profile; the scores without their
explanation, which the server does not read: with it, ~13,000 characters and 12-17 ms
more, session 19) and a few µs a lead beyond it, where lead by lead costs ~50 µs a lead.
So a group touching at least ``[api] plan_leads`` leads (600) is scored by the plan, a
smaller one lead by lead. In process (``profile_ingest.py --behind --sql``), a group of 400
events took a median 46.7 ms lead by lead and 60.8 planned, one of 1,000 events 108.9 and
88.5 (session 21, its plan parsed once: see :func:`_prepared`); at session 18, 800 leads
took 41 ms one by one and 67 planned.

Why the scores are the same: it is the batch plan (:func:`leadgate.scoring.batch.scoring_query`,
one plan for every engine) over the rows batch scoring reads, as of the same time, less
the events no rule reaches from it (older than the definition's longest look-back, which
the server does not hold). Scored lead by lead instead: a lead whose newest event is ahead
of the clock (within ``max_future_skew``: its as-of time is that event's, not the group's),
and a lead whose events are read from the store (:attr:`.resident.Resident.from_store`).
Not taken at all: a definition with no look-back (the server holds none of its events), and
one that reads ``stage`` (sales moves it outside the held rows).

A definition whose scores read other leads (account roll-ups such as ``account.engagement``,
``contacts`` counts such as ``engaged_contacts(30d)``) is planned over the group's leads and
every other lead of their accounts (:func:`account_plan_scores`): batch scoring computes an
account's roll-ups from all its leads, so the plan given all of them computes the same. It
scores only the group's leads (:data:`KEPT_TABLES`): the others give their accounts their
roll-ups and nothing more (a group of 2,000 events: ~24,000 leads read, 2,000 scored).
Lead by lead (:mod:`.live_accounts`), each touched lead's account was scored whole in
Python, ~10 leads an account: a group of 2,000 events at 1,000,000 leads took ~650 ms
(issue #9, session 23).
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..definition.compile import CompiledDefinition
from ..scoring.event_steps import rules_values
from ..scoring.plans import Tables, scoring_template
from ..store import Store
from .resident import Resident

if TYPE_CHECKING:
    from .live import LiveScore

#: The relations the plan reads here: the group's rows, handed over as Arrow tables.
PLAN_TABLES = Tables(
    leads="live_plan_leads",
    accounts="live_plan_accounts",
    events="live_plan_events",
    intent="live_plan_intent",
    rules="live_plan_rules",
)
#: The same, scoring only the leads of ``live_plan_keep`` (the touched leads of a group
#: whose accounts' leads the plan reads: :func:`account_plan_scores`)
KEPT_TABLES = dataclasses.replace(PLAN_TABLES, scored="live_plan_keep")


def takes(compiled: CompiledDefinition, resident: Resident | None) -> bool:
    """Whether the plan can score this definition's leads from ``resident`` (see the module)."""
    return (
        resident is not None
        and resident.events is not None
        and "stage" not in (compiled.fields_used)
    )


def plan_scores(
    store: Store,
    compiled: CompiledDefinition,
    resident: Resident,
    lead_ids: list[str],
    now_us: int,
    horizon_us: int,
    skew_us: int,
) -> tuple[list[LiveScore], list[str]]:
    """The scores as of ``now_us`` of the stored leads among ``lead_ids`` the plan takes, and
    the leads it leaves to be scored one by one (see the module)."""
    assert resident.events is not None, "takes() first"
    if now_us - horizon_us < resident.events.since:  # the clock went back past the read
        return [], lead_ids
    rest = [lead for lead in lead_ids if lead in resident.from_store]
    asked = [lead for lead in lead_ids if lead not in resident.from_store]
    leads = resident.leads.arrow(asked)
    ids = leads.column("lead_id").to_pylist()
    events = resident.event_table(ids, now_us - horizon_us)
    ahead = _ahead(events, now_us, skew_us)
    if ahead:
        rest += sorted(ahead)
        ids = [lead for lead in ids if lead not in ahead]
        leads = leads.filter(pc.invert(pc.is_in(leads.column("lead_id"), pa.array(sorted(ahead)))))
    if not ids:
        return [], rest
    accounts = sorted({a for a in leads.column("account_id").to_pylist() if a is not None})
    return _planned(store, compiled, resident, leads, events, accounts, now_us), rest


def account_plan_scores(
    store: Store,
    compiled: CompiledDefinition,
    resident: Resident,
    lead_ids: list[str],
    now_us: int,
    horizon_us: int,
    skew_us: int,
    min_leads: int = 0,
) -> list[LiveScore] | None:
    """For a definition whose scores read other leads (account roll-ups, ``contacts``
    counts): the scores as of ``now_us`` of the stored leads among ``lead_ids``, in their
    order, by the plan over them and every other lead of their accounts, which is what
    batch scoring reads of an account. None (the group is left to :mod:`.live_accounts`)
    when those are fewer than ``min_leads`` (lead by lead costs less: the plan's cost is
    mostly fixed), when a lead of those accounts has its events read from the store,
    holds an event ahead of the clock, or the clock went back past the read."""
    assert resident.events is not None, "takes() first"
    if now_us - horizon_us < resident.events.since:
        return None
    largest = resident.largest_account()  # at most this many leads a touched lead brings
    if largest is not None and len(lead_ids) * max(largest, 1) < min_leads:
        return None  # few for sure (a group of single events): no account looked up
    touched = resident.leads.arrow(lead_ids)
    ids = touched.column("lead_id").to_pylist()
    owners = touched.column("account_id").to_pylist()
    accounts = sorted({str(a) for a in owners if a is not None})
    since = now_us - horizon_us
    members = resident.member_rows(accounts) if not resident.from_store else None
    if members is not None:  # by row numbers: the touched leads without an account, then
        pos = resident.leads.pos  # every lead of the accounts (the touched ones among them)
        lone = np.array([pos[i] for i, a in zip(ids, owners, strict=True) if a is None], np.int64)
        rows = np.concatenate([lone, members])
        if len(rows) < min_leads:
            return None
        leads = resident.leads.coded.take(pa.array(rows, pa.int64()))
        everyone = leads.column("lead_id").combine_chunks()
        events = resident.event_table_of(rows, everyone, everyone.to_pylist(), since)
    else:
        named = dict.fromkeys(ids)  # the touched leads, then their accounts' others
        for account in accounts:
            named.update(dict.fromkeys(resident.member_ids(account)))
        if len(named) < min_leads or not resident.from_store.isdisjoint(named):
            return None
        leads = resident.leads.arrow(named)
        events = resident.event_table(leads.column("lead_id").to_pylist(), since)
    if _ahead(events, now_us, skew_us):
        return None
    scores = _planned(store, compiled, resident, leads, events, accounts, now_us, ids)
    by_lead = {score.lead_id: score for score in scores}
    return [by_lead[lead] for lead in ids]


def _planned(
    store: Store,
    compiled: CompiledDefinition,
    resident: Resident,
    leads: pa.Table,
    events: pa.Table,
    accounts: list[str],
    now_us: int,
    keep: list[str] | None = None,
) -> list[LiveScore]:
    """The scores as of ``now_us`` of ``leads`` (of those among ``keep`` when given) by the
    plan, given their ``events`` and the rows and intent signals of ``accounts`` (theirs)."""
    inputs = {
        PLAN_TABLES.leads: leads,
        PLAN_TABLES.events: events,
        PLAN_TABLES.accounts: resident.accounts.arrow(accounts),
        PLAN_TABLES.intent: resident.intent_table(accounts),
    }
    prepared = _prepared(store, compiled, inputs, kept=keep is not None)
    wanted = None if keep is None else pa.table({"lead_id": pa.array(keep, pa.string())})
    rows = _run(store, prepared, now_us, live_plan_rules=prepared.rules, live_plan_keep=wanted,
                **inputs)  # fmt: skip
    from .live import LiveScore  # it imports this module

    return list(map(LiveScore._make, rows))


class _Prepared(NamedTuple):
    """A definition's plan, ready to run as of any time."""

    text: str  # its statement, the as-of time the parameter ``$1``
    statement: duckdb.Statement  # the text parsed
    rules: pa.Table | None  # the event rules it reads as ``live_plan_rules`` (None: none)


#: The plans by definition and held columns: finding a kept template reads the columns of
#: the registered tables and the ``plans`` table, ~3 ms a commit (quiet), and parsing the
#: text ~7 ms (a plan of 2,000 leads: 34 ms run from its parse, 42 from its text; session
#: 21), both saved by keeping them.
_PREPARED: dict[tuple[str, pa.Schema, pa.Schema, bool], _Prepared] = {}


def _prepared(
    store: Store, compiled: CompiledDefinition, inputs: dict[str, pa.Table], kept: bool = False
) -> _Prepared:
    """The plan for these tables; with ``kept``, scoring only the leads of the table
    ``live_plan_keep`` (:data:`KEPT_TABLES`): of an account's 20,000 leads, the 2,000
    touched ones are wanted (all made Python tuples cost ~10 ms, and scoring them ~6 ms
    more than the roll-ups read of them)."""
    leads, accounts = inputs[PLAN_TABLES.leads].schema, inputs[PLAN_TABLES.accounts].schema
    key = (compiled.hash, leads, accounts, kept)
    if key not in _PREPARED:
        if len(_PREPARED) > 16:
            _PREPARED.clear()
        with contextlib.ExitStack() as stack:  # the generator reads the tables' columns
            for name, table in inputs.items():
                stack.enter_context(store.registered(name, table))
            # the scores alone, in the server's columns: it reads no rule's points (a third
            # less to bind), nor the SLA's due time, the route or the definition's hash
            tables = KEPT_TABLES if kept else PLAN_TABLES
            template = scoring_template(store, compiled, tables, explained=False, live=True)
        text = template.parameterised()
        (statement,) = duckdb.extract_statements(text)
        values = rules_values(compiled)
        rules = store.conn.sql(values).to_arrow_table() if values is not None else None
        _PREPARED[key] = _Prepared(text, statement, rules)
    return _PREPARED[key]


def _run(
    store: Store,
    prepared: _Prepared,
    now_us: int,
    live_plan_leads: pa.Table,
    live_plan_accounts: pa.Table,
    live_plan_events: pa.Table,
    live_plan_intent: pa.Table,
    live_plan_rules: pa.Table | None,
    live_plan_keep: pa.Table | None = None,
) -> list[tuple[Any, ...]]:
    """The plan's rows as of ``now_us``. Its tables are this function's arguments, named
    as the plan names them: DuckDB finds a name it does not know among the locals of the
    frame that runs the statement (its replacement scan), with no change to its catalog.
    Registered instead (a view each, added and dropped), they cost 15-20 ms a group in
    the server, most of it waiting on the catalog beside the flush thread's writes
    (session 19)."""
    store.statements += 1
    params = [now_us]
    if store.tracer is not None:
        store.tracer(prepared.text, params)
    return store.conn.execute(prepared.statement, params).fetchall()


def _ahead(events: pa.Table, now_us: int, skew_us: int) -> set[str]:
    """The leads with an event after ``now_us`` but within ``skew_us`` of it: each is scored
    as of its newest such event (:func:`.live.as_of_for`), not as of the group's time."""
    us = pc.cast(events.column("ts"), pa.int64())
    within = pc.and_(pc.greater(us, now_us), pc.less_equal(us, now_us + skew_us))
    return set(pc.filter(events.column("lead_id"), within).to_pylist())
