"""Real-time scores of a definition whose scores read other leads (account roll-ups such as
``account.engagement``, ``contacts`` counts such as ``engaged_contacts(30d)``), from the
held states of every lead of the touched accounts.

A lead's score then depends on its whole account. Reading each touched account back from
the store and scoring all its leads (:mod:`.live_exact`, the first way) cost a whole
account's events and two evaluator passes over every lead of it per touched lead: at 10,000
leads, 360 events/s in batches of 1,000 (``bench/README.md``). Here the server holds the
account's leads (:attr:`LiveScores.accounts`: account → its leads, their states in
:attr:`LiveScores.held`), read from the store once, when the account is first touched, and
kept current by the events it stores. Scoring a touched lead as of ``t`` then needs, from
each other lead of the account, only what the batch's roll-ups read of it:

* its engagement as of ``t`` (``account.engagement`` is the sum over the account): the
  evaluator over the few events its state still holds, or, for a lead holding none (most
  leads: their events are older than every window), a value kept once computed (with no
  event, engagement does not depend on ``t``);
* whether it has an event inside a ``contacts`` window (one bisect of its event times);

and the account's intent signals (held with each lead). These are the values batch scoring
(:func:`leadgate.scoring.rollups.score_population`) computes for the same leads at the same
as-of, so the scores are equal (the property tests replay random histories both ways).

Every lead is scored as of :func:`.live.as_of_for` (the clock, or a newest event within
``max_future_skew`` ahead of it). When some lead of a touched account holds an
event ahead of it (the API allows one up to ``max_future_skew`` in the future), the group
is scored by :mod:`.live_exact` instead, which reads the account back and leaves that event
out until the clock reaches it, as batch scoring does.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

from ..definition.compile import CompiledDefinition
from ..store import Store
from .live import Held, LiveScore, as_of_for, in_list, live_score, states_of

if TYPE_CHECKING:
    from .live import LiveScores


def account_scores(
    live: LiveScores, store: Store, compiled: CompiledDefinition, lead_ids: list[str], now_us: int
) -> list[LiveScore]:
    """The scores of the held leads among ``lead_ids`` (see the module), in their order."""
    wanted = [lead_id for lead_id in lead_ids if lead_id in live.held]
    accounts = {_account(live.held[lead_id]) for lead_id in wanted} - {None}
    hold_accounts(live, store, {a for a in accounts if a is not None}, now_us)
    touched = {m for a in accounts if a is not None for m in live.accounts.get(a, [])}
    live.follow_stages(store, compiled, {*wanted, *touched})
    as_of = {lead_id: _as_of(live.held[lead_id], now_us, live.skew_us) for lead_id in wanted}
    for lead_id in wanted:
        account = _account(live.held[lead_id])
        members = live.accounts.get(account, ()) if account is not None else ()
        if any((live.held[m].state.newest or 0) > as_of[lead_id] for m in members):
            from .live_exact import exact_scores  # an event ahead of the as-of: see the module

            return exact_scores(store, compiled, lead_ids, now_us, live.skew_us)
    totals: dict[tuple[str, int], int] = {}  # (account, as-of) → its engagement, this group
    return [_score(live, compiled, lead_id, as_of[lead_id], totals) for lead_id in wanted]


def hold_accounts(live: LiveScores, store: Store, accounts: set[str], now_us: int) -> None:
    """Hold every lead of ``accounts`` (their list and their states), reading what is
    missing with one set of queries."""
    missing = [a for a in accounts if a not in live.accounts]
    if missing:  # their leads' rows, read once for the list and the states
        members: dict[str, list[str]] = {a: [] for a in missing}
        if live.resident is not None:
            rows = live.resident.members(missing)
        else:
            rows = store.query(f"SELECT * FROM leads WHERE account_id IN ({in_list(missing)})")
        for row in rows:
            members[row["account_id"]].append(row["lead_id"])
        live.accounts.update(members)
        fresh = [
            r for r in rows if r["lead_id"] not in live.held or live.stale(r["lead_id"], now_us)
        ]
        assert live.scorer is not None, "hold() first: it sets the scorer"
        live.held.update(states_of(store, live.scorer, fresh, now_us, live.resident))
    unheld = [
        m for a in accounts for m in live.accounts[a] if m not in live.held or live.stale(m, now_us)
    ]
    if unheld:
        live.hold_states(store, unheld, now_us)


def _account(held: Held) -> str | None:
    account = held.state.lead.get("account_id")
    return None if account is None else str(account)


def _as_of(held: Held, now_us: int, skew_us: int) -> int:
    return as_of_for(held.state.times, now_us, skew_us)


def _score(
    live: LiveScores,
    c: CompiledDefinition,
    lead_id: str,
    as_of: int,
    totals: dict[tuple[str, int], int],
) -> LiveScore:
    held = live.held[lead_id]
    account = _account(held)
    context: dict[str, Any] = {}
    if account is None:
        for agg in c.aggregates.values():
            if agg.kind in ("intent", "contacts"):
                context[agg.key] = None
    else:
        members = [live.held[m] for m in live.accounts[account]]
        for agg in c.aggregates.values():
            if agg.kind == "intent":
                context[agg.key] = _intent(held, agg.topic, agg.window_us, as_of)
            elif agg.kind == "contacts":
                context[agg.key] = sum(_active(m, agg.window_us, as_of) for m in members)
        if c.uses_rollup:
            total = totals.get((account, as_of))
            if total is None:
                total = totals[(account, as_of)] = sum(engagement(m, as_of) for m in members)
            context["account.engagement_others"] = total - engagement(held, as_of)
    return live_score(c, lead_id, held.state.rescore_raw(as_of, context), as_of)


def _intent(held: Held, topic: str | None, window_us: int | None, as_of: int) -> float:
    """The strongest intent signal of the account (as :func:`.rollups.contexts` reads it)."""
    strengths = [
        s
        for t, s, ts in held.intent
        if ts <= as_of
        and (topic == "*" or t.lower() == topic)
        and (window_us is None or as_of - ts <= window_us)
    ]
    return float(max(strengths)) if strengths else 0.0


def _active(held: Held, window_us: int | None, as_of: int) -> bool:
    """Whether the lead has an event at or before ``as_of`` within the window."""
    times = held.state.times
    i = bisect.bisect_right(times, as_of)  # events up to the as-of
    if i == 0:
        return False
    return window_us is None or as_of - times[i - 1] <= window_us


def engagement(held: Held, as_of: int) -> int:
    """The lead's engagement (hundredths) as of ``as_of``; kept when it holds no event."""
    state = held.state
    if not state.times:
        if held.idle_engagement is None:
            held.idle_engagement = state.scorer.raw(state.lead, (), as_of, state.account).engagement
        return held.idle_engagement
    return state.scorer.raw(state.lead, state.events, as_of, state.account).engagement
