"""SLA clocks: when each MQL is due, as of a given time, and how fast sales followed up.

A tier's SLA (``sla: 1h`` in the definition) starts at the lead's MQL entry
(``lead_handoff.mql_at``, set on entry and never moved by a re-score) and stops at the
first sales touch: ``leadgate move LEAD contacted``, a person moving the lead on from
``mql`` (accept, reject), or an imported CRM activity that sets ``first_touch_at``. A
lifecycle rule taking the lead out of MQL (recycled) stops it too, as no touch.

With ``sla_hours: business`` the SLA counts the working hours of the rep the lead was
handed to (its first owner in this MQL period), else the project's ``[sla]`` business
hours (:mod:`.calendar`). Everything here reads the store as of ``at``: an assignment,
touch or move recorded after ``at`` is not seen, so a past day replays.

Speed to lead splits each touched MQL's wait into the system's (entry → the touching
rep's assignment, or the entry itself when they owned it already) and the rep's
(that assignment → the touch); the two add up to entry → touch for every lead.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..clock import store_time
from ..errors import LeadgateError
from ..vocabulary import suggest
from .calendar import ALWAYS, Calendar

if TYPE_CHECKING:
    from ..definition import CompiledDefinition
    from ..store import Store
    from .routing import RoutingSetup
    from .sla_config import SlaSettings

UTC = dt.timezone.utc
#: A running clock's states, the most urgent first, and those of a stopped one.
RUNNING = ("breached", "due_soon", "due")
STOPPED = ("met", "missed", "closed")


class SlaFilterError(LeadgateError, ValueError):
    """``leadgate sla --tier/--owner`` names a tier or rep there is not."""

    code = "LG663"


@dataclass(frozen=True)
class TierSla:
    name: str
    seconds: float
    business: bool


@dataclass(frozen=True)
class SlaSetup:
    """What the clocks need: each sales tier's SLA, the reps' calendars, ``[sla]``."""

    tiers: dict[str, TierSla]
    routing: RoutingSetup
    settings: SlaSettings

    def calendar(self, tier: TierSla, rep: str | None) -> Calendar:
        if not tier.business:
            return ALWAYS
        found = self.routing.rep(rep) if rep else None
        return Calendar.of_rep(found) if found is not None else self.settings.business


def sla_setup(
    compiled: CompiledDefinition, routing: RoutingSetup, settings: SlaSettings
) -> SlaSetup:
    hours = {t.name: t.sla_hours == "business" for t in compiled.definition.tiers}
    tiers = {
        t.name: TierSla(t.name, t.sla_us / 1e6, hours[t.name])
        for t in compiled.tiers
        if t.sales and t.sla_us
    }
    settings.check_tiers([t.name for t in compiled.tiers])
    return SlaSetup(tiers, routing, settings)


@dataclass(frozen=True)
class SlaClock:
    """One MQL's clock as of ``at``: due when, counted how, running or how it stopped."""

    lead_id: str
    tier: str
    owner: str | None
    mql_at: dt.datetime
    due_at: dt.datetime
    sla_seconds: float
    hours: str
    status: str
    remaining_seconds: float  # counted time left (negative: overdue by that much)
    stopped_at: dt.datetime | None = None
    handed_to: str | None = None

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("mql_at", "due_at", "stopped_at"):
            out[key] = out[key].isoformat() if out[key] is not None else None
        return out


@dataclass(frozen=True)
class _Lead:
    """What the store says of one MQL period, as of ``at``."""

    lead_id: str
    tier: str
    mql_at: dt.datetime
    touched_at: dt.datetime | None
    left_at: dt.datetime | None  # taken out of mql by the system (a lifecycle rule)
    assignments: tuple[tuple[str, dt.datetime], ...]  # (rep, when), in order, up to at
    imported_owner: str | None

    def owner_at(self, when: dt.datetime) -> str | None:
        reps = [rep for rep, at in self.assignments if at <= when]
        return reps[-1] if reps else self.imported_owner

    def handed_to(self) -> str | None:
        """The rep the clock counts for: the first owner of this MQL period."""
        fresh = [rep for rep, at in self.assignments if at >= self.mql_at]
        return fresh[0] if fresh else self.owner_at(self.mql_at)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load_periods(
    store: Store, tiers: Iterable[str], at: dt.datetime, lead_ids: Iterable[str] | None = None
) -> list[_Lead]:
    """Every MQL period of a tier in ``tiers`` that began by ``at`` (of ``lead_ids`` only,
    when given), with what happened in it up to ``at``."""
    names = list(tiers)
    if not names or lead_ids == []:
        return []
    when = store_time(at)
    only = "" if lead_ids is None else " AND list_contains(?, h.lead_id)"
    ids = [] if lead_ids is None else [list(lead_ids)]
    imported = "CAST(l.owner AS VARCHAR)" if "owner" in store.table_columns("leads") else "NULL"
    rows = store.execute(
        "WITH periods AS (SELECT h.lead_id, h.mql_tier, h.mql_at, h.first_touch_at, "
        f"{imported} AS imported FROM lead_handoff h JOIN leads l USING (lead_id) "
        f"WHERE h.mql_at <= ? AND list_contains(?, h.mql_tier){only}), "
        "moves AS (SELECT t.lead_id, "
        "min(t.moved_at) FILTER (WHERE t.actor <> 'system') AS by_person, "
        "min(t.moved_at) FILTER (WHERE t.actor = 'system') AS by_system "
        "FROM stage_transitions t JOIN periods p USING (lead_id) WHERE t.from_stage = 'mql' "
        "AND t.moved_at >= p.mql_at AND t.moved_at <= ? GROUP BY t.lead_id), "
        "owners AS (SELECT a.lead_id, list(a.rep ORDER BY a.assignment_id) AS reps, "
        "list(a.assigned_at ORDER BY a.assignment_id) AS times FROM assignments a "
        "JOIN periods p USING (lead_id) WHERE a.assigned_at <= ? GROUP BY a.lead_id) "
        "SELECT p.lead_id, p.mql_tier, p.mql_at, p.first_touch_at, m.by_person, m.by_system, "
        "o.reps, o.times, p.imported FROM periods p LEFT JOIN moves m USING (lead_id) "
        "LEFT JOIN owners o USING (lead_id) ORDER BY p.mql_at, p.lead_id",
        [when, names, *ids, when, when],
    ).fetchall()
    leads = []
    for lead_id, tier, mql_at, touch, by_person, by_system, reps, times, owner in rows:
        touches = [t for t in (touch, by_person) if t is not None and mql_at <= t <= when]
        leads.append(
            _Lead(
                lead_id, tier, _aware(mql_at),
                _aware(min(touches)) if touches else None,
                _aware(by_system) if by_system is not None else None,
                tuple(zip(reps or [], [_aware(t) for t in times or []], strict=True)),
                owner,
            )
        )  # fmt: skip
    return leads


def clocks_of(
    store: Store, setup: SlaSetup, lead_ids: Iterable[str], at: dt.datetime
) -> dict[str, SlaClock]:
    """The SLA clock as of ``at`` of each of ``lead_ids`` in an MQL period of a tier with
    an SLA, counted as ``leadgate sla`` counts it (from the MQL entry, in the rep's or the
    project's business hours where the tier says so); leads in none are absent.

    What the queue, a lead's page, ``leadgate leads`` and ``explain`` show. A score's own
    ``sla_due`` is its scoring time plus the tier's SLA: it moves with every scoring run, so
    it is not the time sales must act by; this is.
    """
    periods = load_periods(store, setup.tiers, _aware(at), lead_ids)
    return {lead.lead_id: clock_of(lead, setup, _aware(at)) for lead in periods}


@dataclass(frozen=True)
class Periods:
    """What the store says of some leads' MQL periods, whenever it happened: read once
    (:func:`read_periods`), then judged as of any time (:meth:`clocks`) with the same
    result as :func:`clocks_of` at that time. The server keeps a page's read until its
    writer's next call and judges it as of each request (a page shows a countdown)."""

    setup: SlaSetup
    rows: tuple[tuple[Any, ...], ...]
    #: Each period as of any time after everything in it happened (it no longer changes
    #: with the time it is judged at): made once, on the first such judging.
    _settled: dict[str, _Lead] = field(default_factory=dict, compare=False, repr=False)

    def clocks(self, at: dt.datetime) -> dict[str, SlaClock]:
        """:func:`clocks_of` as of ``at``, from the read (no store)."""
        when, aware = store_time(at), _aware(at)
        out = {}
        for row in self.rows:
            lead_id, latest = row[0], _latest(row)
            lead = self._settled.get(lead_id) if when >= latest else None
            if lead is None:
                lead = _period(row, when)
                if lead is None:
                    continue
                if when >= latest:
                    self._settled[lead_id] = lead
            out[lead_id] = clock_of(lead, self.setup, aware)
        return out


def _latest(row: tuple[Any, ...]) -> dt.datetime:
    """The last time anything in a period's row happened."""
    _, _, mql_at, touch, moves, _, times, _ = row
    found = [mql_at, *(t for t, _ in moves or []), *(times or [])]
    latest: dt.datetime = max(found if touch is None else [*found, touch])
    return latest


def _period(row: tuple[Any, ...], when: dt.datetime) -> _Lead | None:
    """A row of :func:`read_periods` as :func:`load_periods` reads it as of ``when``
    (naive UTC); None: the period had not begun."""
    lead_id, tier, mql_at, touch, moves, reps, times, owner = row
    if mql_at > when:
        return None
    seen = [(t, actor) for t, actor in moves or [] if t <= when]
    by_person = min((t for t, a in seen if a is not None and a != "system"), default=None)
    by_system = min((t for t, a in seen if a == "system"), default=None)
    touches = [t for t in (touch, by_person) if t is not None and mql_at <= t <= when]
    handed = [(r, t) for r, t in zip(reps or [], times or [], strict=True) if t <= when]
    return _Lead(
        lead_id, tier, _aware(mql_at),
        _aware(min(touches)) if touches else None,
        _aware(by_system) if by_system is not None else None,
        tuple((r, _aware(t)) for r, t in handed),
        owner,
    )  # fmt: skip


def read_periods(store: Store, setup: SlaSetup, lead_ids: Iterable[str]) -> Periods:
    """The MQL periods of ``lead_ids`` in a tier with an SLA, with every move out of
    ``mql`` and every assignment since, for :meth:`Periods.clocks` (see there)."""
    names, ids = list(setup.tiers), list(lead_ids)
    if not names or not ids:
        return Periods(setup, ())
    imported = "CAST(l.owner AS VARCHAR)" if "owner" in store.table_columns("leads") else "NULL"
    rows = store.execute(
        "WITH periods AS (SELECT h.lead_id, h.mql_tier, h.mql_at, h.first_touch_at, "
        f"{imported} AS imported FROM lead_handoff h JOIN leads l USING (lead_id) "
        "WHERE h.mql_at IS NOT NULL AND list_contains(?, h.mql_tier) "
        "AND list_contains(?, h.lead_id)), "
        "moves AS (SELECT t.lead_id, list((t.moved_at, t.actor)) AS moves "
        "FROM stage_transitions t JOIN periods p USING (lead_id) WHERE t.from_stage = 'mql' "
        "AND t.moved_at >= p.mql_at GROUP BY t.lead_id), "
        "owners AS (SELECT a.lead_id, list(a.rep ORDER BY a.assignment_id) AS reps, "
        "list(a.assigned_at ORDER BY a.assignment_id) AS times FROM assignments a "
        "JOIN periods p USING (lead_id) GROUP BY a.lead_id) "
        "SELECT p.lead_id, p.mql_tier, p.mql_at, p.first_touch_at, m.moves, o.reps, o.times, "
        "p.imported FROM periods p LEFT JOIN moves m USING (lead_id) "
        "LEFT JOIN owners o USING (lead_id) ORDER BY p.mql_at, p.lead_id",
        [names, ids],
    ).fetchall()
    return Periods(setup, tuple((*r[:4], _moves(r[4]), *r[5:]) for r in rows))


def _moves(found: Any) -> tuple[tuple[dt.datetime, str | None], ...]:
    """The moves as DuckDB returns a list of structs (dicts or tuples)."""
    return tuple(tuple(m.values()) if isinstance(m, dict) else tuple(m) for m in found or [])


def clock_of(lead: _Lead, setup: SlaSetup, at: dt.datetime) -> SlaClock:
    """The lead's clock as of ``at``: due when, and running (breached, due soon, due) or
    stopped (met, missed, closed by a lifecycle rule before its due time)."""
    tier = setup.tiers[lead.tier]
    handed = lead.handed_to()
    calendar = setup.calendar(tier, handed)
    due = calendar.add(lead.mql_at, tier.seconds)
    stops = [t for t in (lead.touched_at, lead.left_at) if t is not None]
    stopped = min(stops) if stops else None
    if stopped is not None:
        # Stopped after its due time, by a touch or not, the SLA was missed: a breach.
        status = "missed" if stopped > due else "met" if stopped == lead.touched_at else "closed"
        remaining = calendar.between(stopped, due)
    else:
        remaining = calendar.between(at, due)
        soon = setup.settings.soon_seconds(tier.seconds)
        status = "breached" if at >= due else "due_soon" if remaining <= soon else "due"
    return SlaClock(
        lead.lead_id, lead.tier, lead.owner_at(at), lead.mql_at, due, tier.seconds,
        "business" if tier.business else "calendar", status, remaining, stopped, handed,
    )  # fmt: skip


# -- speed to lead -----------------------------------------------------------------------
@dataclass(frozen=True)
class Touch:
    """One touched MQL: its wait split into the system's and the rep's (seconds)."""

    lead_id: str
    tier: str
    rep: str | None
    system_seconds: float
    rep_seconds: float

    @property
    def total_seconds(self) -> float:
        return self.system_seconds + self.rep_seconds


def touch_of(lead: _Lead) -> Touch | None:
    """The split of a touched lead: the touching rep (its owner at the touch) took it over
    at ``handed`` (their assignment, no earlier than the entry and no later than the
    touch); system = entry → handed, rep = handed → touch."""
    if lead.touched_at is None:
        return None
    touch = lead.touched_at
    owned = [(rep, at) for rep, at in lead.assignments if at <= touch]
    rep, assigned = owned[-1] if owned else (lead.imported_owner, lead.mql_at)
    if rep is None:
        assigned = touch  # nobody owned it: all the wait was the system's
    handed = max(lead.mql_at, min(assigned, touch))
    system = (handed - lead.mql_at).total_seconds()
    return Touch(lead.lead_id, lead.tier, rep, system, (touch - handed).total_seconds())


def quantile(values: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0.5: the median), None for no values.

    >>> quantile([4.0, 1.0, 3.0, 2.0], 0.5), quantile([4.0, 1.0, 3.0, 2.0], 0.9)
    (2.0, 4.0)
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True)
class Speed:
    """Speed to lead of one rep or tier: median and p90 of each part, in seconds."""

    by: str
    key: str
    leads: int
    system_p50: float | None
    system_p90: float | None
    rep_p50: float | None
    rep_p90: float | None
    total_p50: float | None
    total_p90: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def speed(touches: list[Touch], by: str) -> list[Speed]:
    """Per rep (``by="rep"``), per tier, or over them all (``by="all"``, one group):
    how many touched leads, and the quantiles."""
    groups: dict[str, list[Touch]] = defaultdict(list)
    for t in touches:
        key = {"rep": t.rep or "(no owner)", "all": "all"}.get(by, t.tier)
        groups[key].append(t)
    out = []
    for key in sorted(groups):
        items = groups[key]
        parts = {
            "system": [t.system_seconds for t in items],
            "rep": [t.rep_seconds for t in items],
            "total": [t.total_seconds for t in items],
        }
        quantiles = {f"{p}_p{int(q * 100)}": quantile(v, q) for p, v in parts.items()
                     for q in (0.5, 0.9)}  # fmt: skip
        out.append(Speed(by, key, len(items), **quantiles))
    return out


# -- the report --------------------------------------------------------------------------
@dataclass(frozen=True)
class SlaReport:
    """``leadgate sla``: the running clocks (breached, due soon, due), most urgent first,
    with counts, and speed to lead per rep and per tier."""

    at: dt.datetime
    clocks: list[SlaClock]
    counts: dict[str, int]
    speed_by_rep: list[Speed] = field(default_factory=list)
    speed_by_tier: list[Speed] = field(default_factory=list)
    tier: str | None = None
    owner: str | None = None
    #: Over every touched MQL (None when none was touched): the median speed to lead.
    speed_overall: Speed | None = None

    @property
    def compliance(self) -> float | None:
        """Share of the MQLs whose clock is decided (met, missed, breached) that were
        touched in time; None when none is decided yet."""
        decided = sum(self.counts.get(s, 0) for s in ("met", "missed", "breached"))
        return self.counts.get("met", 0) / decided if decided else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "tier": self.tier,
            "owner": self.owner,
            "counts": dict(self.counts),
            "clocks": [c.as_dict() for c in self.clocks],
            "speed_by_rep": [s.as_dict() for s in self.speed_by_rep],
            "speed_by_tier": [s.as_dict() for s in self.speed_by_tier],
            "speed_overall": self.speed_overall.as_dict() if self.speed_overall else None,
            "compliance": None if self.compliance is None else round(self.compliance, 6),
        }


def sla_report(
    store: Store,
    setup: SlaSetup,
    at: dt.datetime,
    *,
    tier: str | None = None,
    owner: str | None = None,
) -> SlaReport:
    """The clocks running at ``at`` and the speed to lead, for one tier or owner if given."""
    at = _aware(at)
    tiers = list(setup.tiers)
    if tier is not None:
        _check_name("tier", tier, tiers, "a sales tier with an sla")
        tiers = [tier]
    rep = _owner(setup, owner) if owner is not None else None
    periods = load_periods(store, tiers, at)
    clocks = [clock_of(lead, setup, at) for lead in periods]
    touches = [t for lead in periods if (t := touch_of(lead)) is not None]
    if rep is not None:
        clocks = [c for c in clocks if (c.owner or "").lower() == rep.lower()]
        touches = [t for t in touches if (t.rep or "").lower() == rep.lower()]
    running = sorted((c for c in clocks if c.running), key=lambda c: (c.due_at, c.lead_id))
    counts = {s: sum(c.status == s for c in clocks) for s in (*RUNNING, *STOPPED)}
    overall = speed(touches, "all")
    return SlaReport(
        at, running, counts, speed(touches, "rep"), speed(touches, "tier"), tier, rep or owner,
        overall[0] if overall else None,
    )  # fmt: skip


def _owner(setup: SlaSetup, owner: str) -> str:
    found = setup.routing.rep(owner)
    if found is None:
        _check_name("owner", owner, [r.name for r in setup.routing.reps], "a rep of [[reps]]")
    return found.name if found is not None else owner


def _check_name(what: str, name: str, known: list[str], kind: str) -> None:
    if name in known:
        return
    near = suggest(name, known)
    hint = f"did you mean '{near}'?" if near else f"known: {', '.join(known) or 'none'}"
    raise SlaFilterError(f"No {what} {name!r}: it must be {kind} ({hint}).")


__all__ = [
    "SlaClock",
    "SlaFilterError",
    "SlaReport",
    "SlaSetup",
    "Speed",
    "Touch",
    "clock_of",
    "Periods",
    "clocks_of",
    "load_periods",
    "read_periods",
    "quantile",
    "sla_report",
    "sla_setup",
    "speed",
    "touch_of",
]
