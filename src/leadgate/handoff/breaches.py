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

from .outbox import enqueue
from .routing import Routed, RoutingSetup, Rule, assign
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
        if c.status in ("breached", "missed") and (c.lead_id, _naive(c.mql_at)) not in recorded
    ]


def _naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def record_breach(
    store: Store,
    clock: SlaClock,
    setup: SlaSetup,
    compiled: CompiledDefinition,
    at: dt.datetime,
    *,
    apply: bool,
) -> Breach:
    """Record one breach, its events and its actions in one transaction (with ``apply``;
    else only say what would be done)."""
    policy = setup.settings.policy(clock.tier)
    breach = Breach(
        clock.lead_id, clock.tier, clock.mql_at, clock.due_at, clock.hours, clock.owner,
        clock.running,
    )  # fmt: skip
    if clock.running and "escalate" in policy.actions:
        breach = replace(breach, escalated_to=policy.escalate_to)
    with store.atomic():
        if clock.running and "reassign" in policy.actions:
            routed = reassign(store, clock, setup.routing, compiled, at, apply=apply)
            if routed.routed:
                breach = replace(breach, reassigned_to=routed.rep)
            else:
                breach = replace(breach, note=f"not reassigned: {routed.reason}")
        if not apply:
            return breach
        store.execute(
            "INSERT INTO sla_breaches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [breach.lead_id, _naive(breach.mql_at), breach.tier, _naive(breach.due_at),
             breach.hours, breach.owner, _naive(at), store.now(), breach.escalated_to,
             breach.reassigned_to, breach.note],
        )  # fmt: skip
        payload = breach.as_dict() | {"sla_seconds": clock.sla_seconds}
        enqueue(store, "sla.breached", payload, lead_id=breach.lead_id)
        if breach.escalated_to:
            enqueue(store, "sla.escalated", payload, lead_id=breach.lead_id)
    return breach


def reassign(
    store: Store,
    clock: SlaClock,
    routing: RoutingSetup,
    compiled: CompiledDefinition,
    at: dt.datetime,
    *,
    apply: bool,
) -> Routed:
    """Route the breached lead to a rep who never had it (see the module's docstring);
    with ``apply`` the assignment is saved (in the caller's transaction)."""
    from ..scoring.lookup import find_lead

    lead = find_lead(store, clock.lead_id)
    had = {r.lower() for (r,) in store.execute(
        "SELECT DISTINCT rep FROM assignments WHERE lead_id = ?", [clock.lead_id]
    ).fetchall()}  # fmt: skip
    if clock.owner:
        had.add(clock.owner.lower())
    others = tuple(r for r in routing.reps if r.name.lower() not in had)
    last = store.scalar(
        "SELECT arg_max(rule, assignment_id) FROM assignments WHERE lead_id = ?", [clock.lead_id]
    )
    rule = next((r for r in routing.rules if r.name == last), None)
    rules = (Rule(rule.name, rule.to),) if rule and rule.kind in ("team", "pool") else routing.rules
    setup = RoutingSetup(others, rules, routing.account_owner_field)
    values = lead_values(store, compiled, lead, setup.account_owner_field)
    (routed,), states = assign([values], setup, rep_states(store, setup), at)
    why = (
        f"SLA breach: tier '{clock.tier}' due {clock.due_at:%Y-%m-%d %H:%M} UTC, not touched; "
        f"reassigned from {clock.owner or 'nobody'} to a rep who has not had the lead"
    )
    routed = replace(routed, reason=f"{why}; {routed.reason}")
    if apply and routed.routed:
        save_assignments(store, [routed], states, at, compiled.hash)
    return routed


__all__ = ["Breach", "new_breaches", "reassign", "record_breach"]
