"""Real-time scores of a definition whose scores read other leads: account roll-ups
(``account.engagement``) and ``contacts`` counts (``engaged_contacts(30d)``).

A lead's score then depends on every lead of its account, so a held state of the lead alone
cannot give it; each touched lead is scored with its whole account read back from the
store, as batch scoring (``score_store``) would score it. Every lead of one group commit is
read with ONE set of queries, with literal id lists so DuckDB uses the primary keys and the
``events`` index (:func:`.live.in_list`): a query per lead with a list parameter scans every
stored event (seconds per lead on a store of 50M events, measured with ``bench_api.py``).

Each lead is scored as of :func:`.live.as_of_for` (the clock, or its newest event when that
is later by no more than ``[api] max_future_skew``; a row further ahead never moves it), as
the held states are; leads that share an
as-of time are scored in one pass of the evaluator. The account's other leads keep their
stored score until they are touched or a batch run rescores them.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any

from ..definition.compile import CompiledDefinition
from ..scoring.evaluate import Scorer
from ..scoring.rollups import score_population
from ..store import Store
from .live import LiveScore, as_of_for, events_of, in_list, live_score


def exact_scores(
    store: Store,
    compiled: CompiledDefinition,
    lead_ids: list[str],
    now_us: int,
    skew_us: int = 5 * 60 * 1_000_000,
) -> list[LiveScore]:
    """The scores of the stored leads among ``lead_ids`` (see the module), in their order."""
    if not lead_ids:
        return []
    wanted = store.query(f"SELECT * FROM leads WHERE lead_id IN ({in_list(lead_ids)})")
    accounts_of = {lead["account_id"] for lead in wanted if lead.get("account_id") is not None}
    population = _population(store, wanted, accounts_of)
    accounts, intent = _accounts(store, compiled, accounts_of)
    events: dict[str, list[tuple[str, int]]] = {lead["lead_id"]: [] for lead in population}
    for lead_id, event_type, ts in events_of(store, in_list(events)):
        if lead_id in events:
            events[lead_id].append((event_type, ts))
    by_as_of: dict[int, list[str]] = collections.defaultdict(list)
    for lead in wanted:
        times = sorted(ts for _, ts in events[lead["lead_id"]])
        by_as_of[as_of_for(times, now_us, skew_us)].append(lead["lead_id"])
    scorer, scores = Scorer(compiled), dict[str, LiveScore]()
    for as_of_us, ids in by_as_of.items():  # events after an as-of time are not counted
        raws = score_population(scorer, population, accounts, events, intent, as_of_us)
        scores |= {i: live_score(compiled, i, raws[i], as_of_us) for i in ids}
    return [scores[i] for i in lead_ids if i in scores]


def _population(
    store: Store, wanted: list[dict[str, Any]], accounts_of: set[str]
) -> list[Mapping[str, Any]]:
    """The wanted leads and every lead of their accounts (a lead without one stands alone)."""
    alone: list[Mapping[str, Any]] = [lead for lead in wanted if lead.get("account_id") is None]
    if not accounts_of:
        return alone
    return alone + store.query(f"SELECT * FROM leads WHERE account_id IN ({in_list(accounts_of)})")


def _accounts(
    store: Store, compiled: CompiledDefinition, accounts_of: set[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, list[tuple[str, float, int]]]]:
    """The accounts' rows, and their intent signals when the definition reads intent."""
    accounts: dict[str, dict[str, Any]] = {}
    intent: dict[str, list[tuple[str, float, int]]] = collections.defaultdict(list)
    if not accounts_of:
        return accounts, intent
    names = in_list(accounts_of)
    for row in store.query(f"SELECT * FROM accounts WHERE account_id IN ({names})"):
        accounts[row["account_id"]] = row
    if any(a.kind == "intent" for a in compiled.aggregates.values()):
        for account, topic, strength, ts in store.execute(
            "SELECT account_id, topic, strength, epoch_us(ts) FROM intent_signals "
            f"WHERE account_id IN ({names})"
        ).fetchall():
            intent[account].append((topic, strength, ts))
    return accounts, intent
