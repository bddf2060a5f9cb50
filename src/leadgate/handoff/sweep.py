"""The sweep: as of a time, apply the lifecycle rules, then record and act on SLA breaches.

``leadgate sweep --as-of T --apply`` (``Project.sweep``) is what a scheduler runs, every
few minutes or once a day. Lifecycle moves come first, so a lead recycled before its due
time does not breach. Every time written is the rule's or the breach's own, read from the
data, not the clock: sweeping as of each day in turn gives the same record as having swept
on each of those days, and sweeping as of the same time twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .breaches import Breach, new_breaches, record_breaches
from .lifecycle import Recycle, apply_recycles, due_recycles

if TYPE_CHECKING:
    from ..definition import CompiledDefinition
    from ..store import Store
    from .sla import SlaSetup


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did (``applied``) or would do: the recycled MQLs and the breaches."""

    at: dt.datetime
    applied: bool
    recycled: list[Recycle] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "applied": self.applied,
            "recycled": [r.as_dict() for r in self.recycled],
            "breaches": [b.as_dict() for b in self.breaches],
        }


def sweep(
    store: Store,
    compiled: CompiledDefinition,
    setup: SlaSetup,
    at: dt.datetime,
    *,
    apply: bool,
) -> SweepReport:
    """Recycle what the lifecycle rules say, then record each new breach with its events
    and actions, as of ``at`` (aware), all in one transaction."""
    naive = at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    recycled = due_recycles(store, compiled, naive)
    # One transaction for the sweep: each breach commits with its events and actions, and
    # a thousand breaches are one commit, not a thousand.
    with store.atomic():
        if apply:
            apply_recycles(store, recycled, compiled.hash)
        found = new_breaches(store, setup, at)
        breaches = record_breaches(store, found, setup, compiled, at, apply=apply)
    return SweepReport(at, apply, recycled, breaches)


__all__ = ["SweepReport", "sweep"]
