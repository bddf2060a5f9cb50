"""The funnel: lead → MQL → SAL → SQL → opportunity → won, counted within a window.

Why a window: a lead that became an MQL last week has not had the time to close, and
counting it as a failure makes every young cohort look bad. So conversion after MQL counts
what happened within a fixed window after the MQL entry (90 days unless told), among the
MQLs whose window has closed by the as-of time; the others are *censored*, counted and
shown, never counted as failures. ``won_any_time`` keeps the plain figure (every MQL won
by the as-of time, whenever), e.g. Olist's 842 / 8,000.

Each group (``by``: tier, source, cohort month, owner, definition version) is one
:class:`FunnelRow`; ``total`` is all leads. Times between stages are medians (and means)
in days, over the leads whose both times are recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..errors import LeadgateError
from ..expr.parser import parse_duration
from ..results import plain
from ..store import Store
from .journeys import STAGES_AFTER_MQL, build_journeys

#: What a funnel may be grouped by, and the ``journeys`` column (or expression) of each.
GROUPINGS = {
    "tier": "tier",
    "source": "source",
    "cohort": "cohort",
    "owner": "owner",
    "definition": "definition_hash",
}
DEFAULT_WINDOW = "90d"
NO_GROUP = "(none)"

#: The steps whose time is measured: (name, from column, to column).
STEPS = (
    ("lead→mql", "created_at", "mql_at"),
    ("mql→sal", "mql_at", "sal_at"),
    ("sal→sql", "sal_at", "sql_at"),
    ("sql→opportunity", "sql_at", "opportunity_at"),
    ("opportunity→won", "opportunity_at", "won_at"),
    ("mql→won", "mql_at", "won_at"),
)


class FunnelError(LeadgateError, ValueError):
    """A funnel asked for something that does not exist (a grouping, a window)."""

    code = "LG800"


class BadWindow(FunnelError):
    code = "LG801"


def window_micros(window: str | None) -> int | None:
    """``90d`` → microseconds; ``None`` or ``"none"``: no window (every win counts)."""
    if window is None or window.strip().lower() == "none":
        return None
    try:
        return parse_duration(window)
    except LeadgateError:
        raise BadWindow(
            f"--window {window!r} is not a duration: write 90d, 12w or 2160h, or 'none' "
            "to count every conversion whenever it happened."
        ) from None


@dataclass(frozen=True)
class FunnelRow:
    """One group's funnel. Counts after MQL are within the window, among ``eligible``
    MQLs (whose window has closed); ``censored`` MQLs are still inside theirs."""

    group: str
    leads: int
    mqls: int
    censored: int
    eligible: int
    sal: int
    sql: int
    opportunity: int
    won: int
    won_any_time: int
    median_days: dict[str, float | None] = field(default_factory=dict)
    mean_days: dict[str, float | None] = field(default_factory=dict)

    @property
    def counts(self) -> list[int]:
        """Lead, MQL, eligible MQL, SAL, SQL, opportunity, won: never increasing."""
        return [self.leads, self.mqls, self.eligible, self.sal, self.sql, self.opportunity,
                self.won]  # fmt: skip

    def rate(self, stage: str) -> float | None:
        """Share of eligible MQLs that reached ``stage`` within the window."""
        reached: int = getattr(self, stage)
        return reached / self.eligible if self.eligible else None

    @property
    def won_rate_any_time(self) -> float | None:
        return self.won_any_time / self.mqls if self.mqls else None

    def conversion(self) -> dict[str, float | None]:
        """Step by step and from MQL (within the window), plus won whenever."""
        steps = [("lead→mql", self.mqls, self.leads), ("mql→sal", self.sal, self.eligible),
                 ("sal→sql", self.sql, self.sal), ("sql→opportunity", self.opportunity, self.sql),
                 ("opportunity→won", self.won, self.opportunity)]  # fmt: skip
        out = {name: (a / b if b else None) for name, a, b in steps}
        out |= {f"mql→{s}": self.rate(s) for s in STAGES_AFTER_MQL[1:]}
        out["mql→won (any time)"] = self.won_rate_any_time
        return out

    def as_dict(self) -> dict[str, Any]:
        names = ("leads", "mqls", "censored", "eligible", *STAGES_AFTER_MQL, "won_any_time")
        counts = {name: getattr(self, name) for name in names}
        rounded = {k: None if v is None else round(v, 6) for k, v in self.conversion().items()}
        return {"group": self.group, **counts, "conversion": rounded,
                "median_days": self.median_days, "mean_days": self.mean_days}  # fmt: skip


@dataclass(frozen=True)
class Funnel:
    """What :meth:`Project.funnel` returns: the total, one row per group, and how it was
    counted (``window`` None: no window; ``basis``: the journeys' basis)."""

    total: FunnelRow
    rows: list[FunnelRow]
    by: str | None
    window: str | None
    as_of: dt.datetime
    basis: str
    recorded: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": plain(self.as_of),
            "window": self.window,
            "by": self.by,
            "basis": self.basis,
            "recorded": self.recorded,
            "total": self.total.as_dict(),
            "groups": [r.as_dict() for r in self.rows],
        }


def _aggregates() -> str:
    stage_counts = ", ".join(
        f"count(*) FILTER (WHERE eligible AND reach_{s} <= window_end) AS {s}"
        for s in STAGES_AFTER_MQL
    )
    days = []
    for i, (_, a, b) in enumerate(STEPS):
        gap = f"(epoch({b}) - epoch({a})) / 86400.0"
        both = f"FILTER (WHERE mql AND {a} IS NOT NULL AND {b} IS NOT NULL)"
        days.append(f"median({gap}) {both} AS median_{i}, avg({gap}) {both} AS mean_{i}")
    return (
        "count(*) AS leads, count(*) FILTER (WHERE mql) AS mqls, "
        "count(*) FILTER (WHERE censored) AS censored, "
        "count(*) FILTER (WHERE eligible) AS eligible, "
        f"{stage_counts}, count(*) FILTER (WHERE mql AND reach_won IS NOT NULL) AS won_any, "
        + ", ".join(days)
    )


def _row(group: str, values: tuple[Any, ...]) -> FunnelRow:
    leads, mqls, censored, eligible, sal, sql, opportunity, won, won_any = (
        int(v or 0) for v in values[:9]
    )
    times = values[9:]

    def days(v: Any) -> float | None:
        return None if v is None else round(float(v), 2)

    median = {name: days(times[2 * i]) for i, (name, _, _) in enumerate(STEPS)}
    mean = {name: days(times[2 * i + 1]) for i, (name, _, _) in enumerate(STEPS)}
    return FunnelRow(
        group, leads, mqls, censored, eligible, sal, sql, opportunity, won, won_any,
        median_days=median, mean_days=mean,
    )  # fmt: skip


def funnel_rows(store: Store, by: str | None) -> tuple[FunnelRow, list[FunnelRow]]:
    """The total and the groups of the ``journeys`` table (see :func:`build_journeys`)."""
    aggregates = _aggregates()
    total = _row("all", store.execute(f"SELECT {aggregates} FROM journeys").fetchall()[0])
    if by is None:
        return total, []
    key = GROUPINGS[by]
    if by == "definition":  # a version people recognise, not a hash
        key = (
            "coalesce((SELECT d.name || ' v' || d.version || ' (' || left(d.definition_hash, 12)"
            " || ')' FROM definitions d WHERE d.definition_hash = journeys.definition_hash), "
            "left(definition_hash, 12))"
        )
    found = store.execute(
        f"SELECT coalesce(CAST({key} AS VARCHAR), '{NO_GROUP}') AS g, {aggregates} "
        "FROM journeys GROUP BY g ORDER BY g"
    ).fetchall()
    return total, [_row(str(r[0]), r[1:]) for r in found]


def recorded_stages(store: Store) -> dict[str, int]:
    """How many MQLs have each stage's own time recorded (not implied by a later stage):
    a diagnostic about SQLs needs SQLs on record."""
    names = ("mql", *STAGES_AFTER_MQL)
    counts = ", ".join(f"count({s}_at) FILTER (WHERE mql)" for s in names)
    row = store.execute(f"SELECT {counts} FROM journeys").fetchall()[0]
    return {s: int(v) for s, v in zip(names, row, strict=True)}


def compute_funnel(
    store: Store,
    as_of: dt.datetime,
    *,
    by: str | None = None,
    window: str | None = DEFAULT_WINDOW,
    timezone: str = "UTC",
    tier_order: list[str] | None = None,
) -> Funnel:
    """The funnel as of ``as_of`` (naive UTC), grouped ``by`` one of :data:`GROUPINGS`."""
    if by is not None and by not in GROUPINGS:
        raise FunnelError(f"Cannot group a funnel by {by!r}; use one of {', '.join(GROUPINGS)}.")
    basis = build_journeys(store, as_of, window_micros(window), timezone)
    total, rows = funnel_rows(store, by)
    if by == "tier" and tier_order:
        rank = {name: i for i, name in enumerate(tier_order)}
        rows.sort(key=lambda r: (rank.get(r.group, len(rank)), r.group))
    shown = None if window_micros(window) is None else window
    return Funnel(total, rows, by, shown, as_of, basis, recorded_stages(store))
