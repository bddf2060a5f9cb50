"""The demo's handoff: a small sales team, routing, SLA clocks, a sweep and webhooks.

After the demo has scored its leads (its clock stands at the data's last day, a Thursday
00:00 UTC: morning in Tokyo and Sydney), :func:`hand_off` routes the MQLs to the demo reps
of :data:`DEMO_TEAM`, has two of them contacted 20 minutes later, sweeps 90 minutes after
entry (the hot tier's 1h SLA is breached for the others: escalated and reassigned), and
delivers the outbox to a local receiver that verifies every signature. Each step is a
:class:`~leadgate.project.Project` call a user makes the same way, at the demo's times.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from .clock import FixedClock
from .handoff.receiver import Receiver
from .handoff.routing import Routed
from .handoff.sla import SlaReport
from .handoff.sweep import SweepReport
from .handoff.webhooks import DeliveryReport, Endpoint, deliver_due
from .project import Project
from .results import RoutingRun

#: Marks where the demo's team starts in its leadgate.toml (replace from here to change it).
DEMO_TEAM_MARK = "# -- the demo's sales team"
DEMO_TEAM = f"""
{DEMO_TEAM_MARK}: reps, routing rules and what an SLA breach does (`leadgate reps`).
[[reps]]
name = "Aiko"
teams = ["ae"]
weight = 2
timezone = "Asia/Tokyo"

[[reps]]
name = "Ben"
teams = ["ae", "sdr"]
timezone = "Australia/Sydney"

[[reps]]
name = "Chen"
teams = ["sdr"]
timezone = "Asia/Shanghai"
working_hours = "08:00-17:00"

[[reps]]
name = "Dana"
teams = ["sdr"]
timezone = "Europe/Madrid"  # asleep at the demo's time: skipped, with the reason

[routing]
rules = [
  {{ name = "hot to account executives", when = "tier = 'hot'", to = "pool:ae" }},
  {{ name = "everyone else", to = "team:sdr" }},
]

[sla]
due_soon = "25%"
on_breach = ["escalate"]
escalate_to = "sales-managers@example.com"
[sla.tiers.hot]
on_breach = ["escalate", "reassign"]
"""
TOUCHED = 2  # MQLs contacted in time, so the demo shows a met SLA and speed to lead
TOUCH_AFTER = dt.timedelta(minutes=20)
SWEEP_AFTER = dt.timedelta(minutes=90)


@dataclass
class HandoffDemo:
    routed: RoutingRun
    sweep: SweepReport
    sla: SlaReport
    delivery: DeliveryReport
    received: dict[str, int]
    rejected: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "routed": self.routed.as_dict(),
            "sweep": self.sweep.as_dict(),
            "sla": self.sla.as_dict(),
            "delivery": self.delivery.as_dict(),
            "received": dict(self.received),
            "rejected": self.rejected,
        }


def at_time(project: Project, when: dt.datetime) -> Project:
    """The same project with its clock at ``when`` (the demo's time moves on)."""
    return Project.open(project.root, clock=FixedClock(when))


def hand_off(project: Project, entry: dt.datetime) -> HandoffDemo:
    """Touch, sweep and deliver, as described in the module's docstring. The scoring run
    routed the MQLs as they entered (:meth:`Project.score`); :func:`routed_at_entry` reads
    back what it did."""
    project.route(apply=True, at=entry)  # none left over when the scoring run routed them
    routed = routed_at_entry(project, entry)
    toucher = at_time(project, entry + TOUCH_AFTER)
    for lead in [r.lead_id for r in routed.routed if r.routed][:TOUCHED]:
        toucher.contacted(lead)
    later = at_time(project, entry + SWEEP_AFTER)
    swept = later.sweep(at=entry + SWEEP_AFTER, apply=True)
    report = later.sla(at=entry + SWEEP_AFTER)
    secret = "whsec_" + base64.b64encode(b"leadgate-demo-receiver-key").decode()
    receiver = Receiver(secret).start()
    try:
        with later.store() as store:
            delivery = deliver_due(store, [Endpoint(receiver.url, (secret,), timeout=5)])
    finally:
        receiver.stop()
    return HandoffDemo(routed, swept, report, delivery, dict(receiver.types), receiver.rejected)


def routed_at_entry(project: Project, entry: dt.datetime) -> RoutingRun:
    """Each MQL's first assignment, or, for one nobody could take, its latest recorded
    reason; by lead id."""
    with project.store() as store:
        rows = store.execute(
            "SELECT lead_id, arg_min(rep, assignment_id), arg_min(rule, assignment_id), "
            "arg_min(reason, assignment_id) FROM assignments GROUP BY lead_id "
            "UNION ALL "
            "SELECT lead_id, NULL, arg_max(rule, missed_at), arg_max(reason, missed_at) "
            "FROM routing_misses WHERE lead_id NOT IN (SELECT lead_id FROM assignments) "
            "GROUP BY lead_id ORDER BY 1"
        ).fetchall()
    routed = [Routed(lead, rep, rule, reason) for lead, rep, rule, reason in rows]
    return RoutingRun(routed, entry, True, project.compiled().hash)


__all__ = ["DEMO_TEAM", "DEMO_TEAM_MARK", "HandoffDemo", "hand_off"]
