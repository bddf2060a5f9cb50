"""SLA breaches: found by the sweep as of a time, recorded once, and acted on.

A clock breaches at its due time when no touch stopped it by then (:mod:`.sla`). The
sweep records each breach once (``sla_breaches``, keyed by the lead and its MQL entry)
with ``sla.breached`` in the outbox, in one transaction: a crash in between leaves
neither, and the next sweep finds the breach again. ``[sla] on_breach`` (or the tier's
``[sla.tiers.NAME]``) may add, for a clock still running:

* ``escalate``: an ``sla.escalated`` event addressed to ``escalate_to``;
* ``reassign``: the lead goes to a rep of the same pool (the team of the rule that routed
  it) who has never had it, available now and under their caps, by routing's own
  weighted turns (:mod:`.routing`); a lead routed otherwise (account owner, one rep) goes
  through the routing rules again without the reps who had it. The assignment's reason
  says why; nobody left to take it is a note on the breach, not an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from ..clock import store_time
from .outbox import enqueue_many
from .routing import RepState, Routed, RoutingSetup, Rule, route
from .routing_store import lead_values, rep_states, save_assignments
from .sla import SlaClock, SlaSetup, clock_of, load_periods

if TYPE_CHECKING:
    from ..definition import CompiledDefinition
    from ..store import Store


@dataclass(frozen=True)
class Breach:
    """One breach the sweep found: the clock, and what was done about it."""

    lead_id: str
    tier: str
    mql_at: dt.datetime
    due_at: dt.datetime
    hours: str
    owner: str | None
    running: bool  # still untouched at the sweep's time (else touched late)
    escalated_to: str | None = None
    reassigned_to: str | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["mql_at"], out["due_at"] = self.mql_at.isoformat(), self.due_at.isoformat()
        return out


def new_breaches(store: Store, setup: SlaSetup, at: dt.datetime) -> list[SlaClock]:
    """The clocks breached by ``at`` (aware) whose breach is not on record yet."""
    recorded = {
        (lead_id, mql_at)
        for lead_id, mql_at in store.execute("SELECT lead_id, mql_at FROM sla_breaches").fetchall()
    }
    clocks = [clock_of(lead, setup, at) for lead in load_periods(store, setup.tiers, at)]
    return [
        c
        for c in clocks
        if c.status in ("breached", "missed") and (c.lead_id, store_time(c.mql_at)) not in recorded
    ]


def record_breaches(
    store: Store,
    clocks: list[SlaClock],
    setup: SlaSetup,
    compiled: CompiledDefinition,
    at: dt.datetime,
    *,
    apply: bool,
) -> list[Breach]:
    """Record the breaches, their events and their actions in the caller's transaction
    (with ``apply``; else only say what would be done). Reassignments take turns as one
    routing run does: each sees the ones before it."""
    history = _assignment_history(store, [c.lead_id for c in clocks])
    states = rep_states(store, setup.routing)
    breaches, routed = [], []
    for clock in clocks:
        policy = setup.settings.policy(clock.tier)
        breach = Breach(
            clock.lead_id, clock.tier, clock.mql_at, clock.due_at, clock.hours, clock.owner,
            clock.running,
        )  # fmt: skip
        if clock.running and "escalate" in policy.actions:
            breach = replace(breach, escalated_to=policy.escalate_to)
        if clock.running and "reassign" in policy.actions:
            had, last_rule = history.get(clock.lead_id, (set(), None))
            choice = reassign(store, clock, setup.routing, compiled, at, had, last_rule, states)
            if choice.routed:
                breach = replace(breach, reassigned_to=choice.rep)
                routed.append(choice)
            else:
                breach = replace(breach, note=f"not reassigned: {choice.reason}")
        breaches.append(breach)
    if apply:
        _write(store, breaches, at)
        if routed:
            save_assignments(store, routed, states, at, compiled.hash)
    return breaches


def _write(store: Store, breaches: list[Breach], at: dt.datetime) -> None:
    """Record the breaches and their events: three statements however many there are (a
    first sweep over a backlog finds a hundred thousand)."""
    if not breaches:
        return
    n, swept, recorded = len(breaches), store_time(at), store.now()
    store.insert_columns(
        "sla_breaches",
        [[b.lead_id for b in breaches], [store_time(b.mql_at) for b in breaches],
         [b.tier for b in breaches], [store_time(b.due_at) for b in breaches],
         [b.hours for b in breaches], [b.owner for b in breaches], [swept] * n,
         [recorded] * n, [b.escalated_to for b in breaches],
         [b.reassigned_to for b in breaches], [b.note for b in breaches]],
    )  # fmt: skip
    payloads = [(b.lead_id, b.as_dict()) for b in breaches]
    enqueue_many(store, "sla.breached", payloads)
    escalated = [(b.lead_id, b.as_dict()) for b in breaches if b.escalated_to]
    enqueue_many(store, "sla.escalated", escalated)


def _assignment_history(store: Store, leads: list[str]) -> dict[str, tuple[set[str], str | None]]:
    """Per lead: every rep who had it (lower case) and the rule of its latest assignment."""
    rows = store.execute(
        "SELECT lead_id, list(DISTINCT lower(rep)), arg_max(rule, assignment_id) "
        "FROM assignments WHERE list_contains(?, lead_id) GROUP BY lead_id",
        [leads],
    ).fetchall()
    return {lead: (set(reps), rule) for lead, reps, rule in rows}


def reassign(
    store: Store,
    clock: SlaClock,
    routing: RoutingSetup,
    compiled: CompiledDefinition,
    at: dt.datetime,
    had: set[str],
    last_rule: str | None,
    states: dict[str, RepState],
) -> Routed:
    """Route the breached lead to a rep who never had it (``had``, lower case; see the
    module's docstring), taking the turn in ``states``."""
    from ..scoring.lookup import find_lead

    had = had | ({clock.owner.lower()} if clock.owner else set())
    others = tuple(r for r in routing.reps if r.name.lower() not in had)
    rule = next((r for r in routing.rules if r.name == last_rule), None)
    rules = (Rule(rule.name, rule.to),) if rule and rule.kind in ("team", "pool") else routing.rules
    setup = RoutingSetup(others, rules, routing.account_owner_field)
    values = lead_values(
        store, compiled, find_lead(store, clock.lead_id), setup.account_owner_field
    )
    routed = route(values, setup, states, at)
    why = (
        f"SLA breach: tier '{clock.tier}' due {clock.due_at:%Y-%m-%d %H:%M} UTC, not touched; "
        f"reassigned from {clock.owner or 'nobody'} to a rep who has not had the lead"
    )
    return replace(routed, reason=f"{why}; {routed.reason}")


__all__ = ["Breach", "new_breaches", "reassign", "record_breaches"]
