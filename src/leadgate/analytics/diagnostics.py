"""Diagnostics: what the funnel's numbers say about the definition, in plain words.

Each :class:`Diagnostic` has a stable ``code`` (what scripts and the dashboard key on), a
``severity`` (``warning``: act on it; ``info``: worth a look), a message, the numbers behind
it and a suggested action. A check stays silent when its data is missing or too thin to
say anything (fewer than :data:`MIN_MQLS` MQLs whose window has closed, no SQL on record
for a check about SQLs): silence means "nothing found", never a guess.

The thresholds are the usual rules of thumb of MQL programmes, named here so a reader sees
them: MQL→SQL under 20 % means the criteria let in too much; over 60 % while sales has
capacity to spare means they keep good leads out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..definition.compile import CompiledDefinition
from ..results import plain
from ..store import Store
from .funnel import Funnel, FunnelRow
from .intervals import Rate, difference, pct
from .lift import build_criteria_table, criteria

if TYPE_CHECKING:
    from ..handoff.sla import SlaClock, SlaSetup

LOOSE_MQL_TO_SQL = 0.20
STRICT_MQL_TO_SQL = 0.60
WEAK_MQL_TO_OPPORTUNITY = 0.10
MIN_MQLS = 30
#: A rejection reason dominates when it is at least half of at least this many rejections.
MIN_REJECTIONS = 10
DOMINANT_SHARE = 0.5
#: SLA checks need this many MQLs of a tier; a tenth of them breached is a problem.
MIN_SLA_MQLS = 10
SLA_BREACH_SHARE = 0.10
#: Months of MQL entries before the as-of time that measure the recent monthly volume.
RECENT_MONTHS = 3
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: str  # warning | info
    message: str
    action: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "action": self.action,
            "numbers": plain(self.numbers),
        }


@dataclass(frozen=True)
class Diagnosis:
    """What :meth:`Project.diagnose` returns: the diagnostics found, and the funnel read."""

    diagnostics: list[Diagnostic]
    funnel: Funnel
    capacity_per_month: float | None
    mqls_per_month: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": plain(self.funnel.as_of),
            "window": self.funnel.window,
            "capacity_per_month": self.capacity_per_month,
            "mqls_per_month": round(self.mqls_per_month, 2),
            "diagnostics": [d.as_dict() for d in self.diagnostics],
        }


def mqls_per_month(store: Store, as_of: dt.datetime) -> float:
    """MQL entries per month over the :data:`RECENT_MONTHS` before ``as_of``."""
    since = as_of - dt.timedelta(days=RECENT_MONTHS * DAYS_PER_MONTH)
    found = store.scalar(
        "SELECT count(*) FROM journeys WHERE mql AND mql_at > ? AND mql_at <= ?", [since, as_of]
    )
    return int(found or 0) / RECENT_MONTHS


def qualification(
    total: FunnelRow, recorded: dict[str, int], capacity: float | None, volume: float
) -> list[Diagnostic]:
    """Criteria too loose (MQL→SQL under 20 %) or too strict (over 60 %, capacity unused)."""
    rate = total.rate("sql")
    if rate is None or total.eligible < MIN_MQLS or not recorded.get("sql"):
        return []
    numbers = {"mqls": total.eligible, "sqls": total.sql, "mql_to_sql": round(rate, 4)}
    if rate < LOOSE_MQL_TO_SQL:
        return [
            Diagnostic(
                "criteria_too_loose",
                "warning",
                f"Only {pct(rate)} of MQLs become SQLs ({total.sql:,} of {total.eligible:,}): "
                f"under {pct(LOOSE_MQL_TO_SQL, 0)}, the criteria let in leads sales does not want.",
                "Raise the MQL threshold or add fit rules; see `leadgate lift` for the criteria "
                "that do not predict conversion.",
                numbers,
            )
        ]
    if rate > STRICT_MQL_TO_SQL and capacity is not None and volume < capacity:
        numbers |= {"mqls_per_month": round(volume, 1), "capacity_per_month": capacity}
        return [
            Diagnostic(
                "criteria_too_strict",
                "warning",
                f"{pct(rate)} of MQLs become SQLs while sales works {volume:,.0f} MQLs a month "
                f"of a capacity of {capacity:,.0f}: the criteria keep out leads sales could take.",
                "Lower the MQL threshold, or let a lower tier reach sales, until the volume "
                "meets the capacity.",
                numbers,
            )
        ]
    return []


def lead_quality(
    total: FunnelRow, recorded: dict[str, int], capacity: float | None, volume: float
) -> list[Diagnostic]:
    """Strong MQL volume (at or above sales capacity) but weak opportunity conversion."""
    rate = total.rate("opportunity")
    if rate is None or total.eligible < MIN_MQLS or not recorded.get("opportunity"):
        return []
    if capacity is None or volume < capacity or rate >= WEAK_MQL_TO_OPPORTUNITY:
        return []
    numbers = {
        "mqls_per_month": round(volume, 1),
        "capacity_per_month": capacity,
        "mql_to_opportunity": round(rate, 4),
        "mqls": total.eligible,
    }
    return [
        Diagnostic(
            "lead_quality",
            "warning",
            f"{volume:,.0f} MQLs a month fill sales' capacity of {capacity:,.0f}, yet only "
            f"{pct(rate)} become opportunities: a lead quality problem, not a volume one.",
            "Tighten fit rules (ideal customer profile) rather than adding engagement points; "
            "check the lift of each fit rule.",
            numbers,
        )
    ]


def tier_order(rows: list[FunnelRow], tiers: list[str], stage: str) -> list[Diagnostic]:
    """A tier that converts no better than the tier below it (not significantly better)."""
    by_name = {r.group: r for r in rows}
    found = []
    for upper, lower in zip(tiers, tiers[1:], strict=False):
        a, b = by_name.get(upper), by_name.get(lower)
        if a is None or b is None or min(a.eligible, b.eligible) < MIN_MQLS:
            continue
        ra, rb = Rate(getattr(a, stage), a.eligible), Rate(getattr(b, stage), b.eligible)
        interval = difference(ra, rb)
        if interval is None or interval[0] > 0:
            continue  # the upper tier is significantly better: as it should be
        found.append(
            Diagnostic(
                "tier_no_better",
                "warning",
                f"Tier {upper} converts to {stage} at {pct(ra.rate)} ({ra.converted} of {ra.n}), "
                f"{lower} at {pct(rb.rate)} ({rb.converted} of {rb.n}): {upper} is not "
                f"significantly better (difference {100 * interval[0]:+.1f} to "
                f"{100 * interval[1]:+.1f} points, 95 %).",
                f"Revisit what puts leads in {upper}: its condition does not pick better leads.",
                {
                    "tier": upper,
                    "below": lower,
                    "stage": stage,
                    "upper": ra.as_dict(),
                    "lower": rb.as_dict(),
                    "difference_ci": [round(x, 6) for x in interval],
                },
            )
        )
    return found


def review_overdue(c: CompiledDefinition | None, today: dt.date) -> list[Diagnostic]:
    """The definition is past the date its owners agreed to review it by."""
    if c is None or c.definition.review_by is None or c.definition.review_by >= today:
        return []
    review_by, d = c.definition.review_by, c.definition
    days = (today - review_by).days
    return [
        Diagnostic(
            "review_overdue",
            "warning",
            f"The definition {d.name} v{d.version} was due for review on "
            f"{review_by.isoformat()}, {days} day(s) ago.",
            "Meet with sales, look at `leadgate funnel` and `leadgate lift`, then publish a new "
            "version with a new review_by.",
            {"review_by": review_by, "days_overdue": days},
        )
    ]


def dominant_rejection(
    store: Store, c: CompiledDefinition | None, as_of: dt.datetime
) -> list[Diagnostic]:
    """One rejection reason is most of sales' rejections: name it, and the rules that
    gave those leads their points."""
    counts = store.execute(
        "SELECT rejected_reason, count(*) FROM journeys WHERE mql AND rejected_reason IS NOT "
        "NULL GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    total = sum(int(n) for _, n in counts)
    if total < MIN_REJECTIONS or counts[0][1] / total < DOMINANT_SHARE:
        return []
    reason, n = str(counts[0][0]), int(counts[0][1])
    rules = rules_letting_in(store, c, as_of, reason)
    named = ", ".join(f"{name} ({pct(share, 0)} of them)" for name, share, _ in rules)
    why = f" The rules that gave them points: {named}." if rules else ""
    return [
        Diagnostic(
            "dominant_rejection",
            "warning",
            f"{pct(n / total, 0)} of sales' rejections ({n} of {total}) give one reason: "
            f"{reason!r}.{why}",
            "Add a disqualifier or a negative rule for what the reason names, or lower the "
            "points of the rules named.",
            {
                "reason": reason,
                "rejections": total,
                "with_reason": n,
                "rules": [
                    {"rule": r, "share_rejected": round(a, 4), "share_other_mqls": round(b, 4)}
                    for r, a, b in rules
                ],
            },
        )
    ]


def rules_letting_in(
    store: Store, c: CompiledDefinition | None, as_of: dt.datetime, reason: str
) -> list[tuple[str, float, float]]:
    """The rules with points that at least half of the leads rejected for ``reason`` met,
    more often than the other MQLs: (rule, share among them, share among the others),
    the most telling first, at most three."""
    if c is None:
        return []
    build_criteria_table(store, c, as_of)
    found = [k for k in criteria(c) if k.cents > 0]
    if not found:
        return []
    shares = ", ".join(
        f"avg(CASE WHEN coalesce({k.met}, FALSE) THEN 1.0 ELSE 0.0 END) FILTER (WHERE {group})"
        for k in found
        for group in ("j.rejected_reason = $1", "j.rejected_reason IS DISTINCT FROM $1")
    )
    row = store.execute(
        f"SELECT {shares} FROM criteria k JOIN journeys j USING (lead_id) WHERE j.mql", [reason]
    ).fetchall()[0]
    pairs = [
        (k.name, float(row[2 * i] or 0), float(row[2 * i + 1] or 0)) for i, k in enumerate(found)
    ]
    telling = [p for p in pairs if p[1] >= DOMINANT_SHARE and p[1] > p[2]]
    return sorted(telling, key=lambda p: p[2] - p[1])[:3]


def sla_checks(store: Store, setup: SlaSetup | None, as_of: dt.datetime) -> list[Diagnostic]:
    """Per sales tier with an SLA: the share of MQLs not touched within it, and the median
    time to a first touch, both counted by the clocks ``leadgate sla`` counts with
    (:mod:`leadgate.handoff.sla`: business hours where the tier says so), so this page and
    ``leadgate sla`` never disagree."""
    from ..handoff.sla import clock_of, load_periods

    if setup is None:
        return []
    at = as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=dt.timezone.utc)
    clocks: dict[str, list[SlaClock]] = {name: [] for name in setup.tiers}
    for period in load_periods(store, setup.tiers, at):
        clocks[period.tier].append(clock_of(period, setup, at))
    found: list[Diagnostic] = []
    for name, tier in setup.tiers.items():
        mine = clocks[name]
        n = len(mine)
        breached = sum(c.status in ("breached", "missed") for c in mine)
        # Counted time to the first touch: the SLA less what was left when it stopped.
        waits = sorted(
            c.sla_seconds - c.remaining_seconds for c in mine if c.status in ("met", "missed")
        )
        sla_h = tier.seconds / 3600
        hours = " business" if tier.business else ""
        if n >= MIN_SLA_MQLS and breached / n >= SLA_BREACH_SHARE:
            found.append(
                Diagnostic(
                    "sla_breaches",
                    "warning",
                    f"{pct(breached / n)} of {name} MQLs ({breached} of {n}) were not "
                    f"contacted within their SLA of {sla_h:g}{hours} h.",
                    f"Route {name} MQLs to reps with room, or set an SLA sales can keep.",
                    {"tier": name, "mqls": n, "breached": breached, "sla_hours": sla_h},
                )
            )
        median_s = _median(waits)
        if len(waits) >= MIN_SLA_MQLS and median_s is not None and median_s > tier.seconds:
            waited = median_s / 3600
            found.append(
                Diagnostic(
                    "slow_speed_to_lead",
                    "warning",
                    f"Half of the {name} MQLs waited over {waited:.1f}{hours} h for a first "
                    f"contact, beyond their SLA of {sla_h:g}{hours} h.",
                    "Alert the owner on MQL entry (webhooks) and check the routing's caps.",
                    {
                        "tier": name,
                        "touched": len(waits),
                        "median_hours": round(waited, 2),
                        "sla_hours": sla_h,
                    },
                )
            )
    return found


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def deepest_stage(recorded: dict[str, int]) -> str:
    """The last stage of the funnel with times on record (what tiers are compared on)."""
    for stage in ("won", "opportunity", "sql", "sal"):
        if recorded.get(stage):
            return stage
    return "won"


def diagnose(
    store: Store,
    funnel: Funnel,
    compiled: CompiledDefinition | None,
    *,
    capacity: float | None,
    today: dt.date,
    sla: SlaSetup | None = None,
) -> Diagnosis:
    """Every diagnostic on ``funnel`` (grouped by tier; its ``journeys`` table still in
    ``store``); the SLA checks need ``sla`` (the project's clocks' setup)."""
    volume = mqls_per_month(store, funnel.as_of)
    total, recorded = funnel.total, funnel.recorded
    tiers = [t.name for t in compiled.tiers] if compiled is not None else []
    found = qualification(total, recorded, capacity, volume)
    found += lead_quality(total, recorded, capacity, volume)
    found += dominant_rejection(store, compiled, funnel.as_of)
    found += tier_order(funnel.rows, tiers, deepest_stage(recorded))
    found += sla_checks(store, sla, funnel.as_of)
    found += review_overdue(compiled, today)
    return Diagnosis(found, funnel, capacity, volume)
