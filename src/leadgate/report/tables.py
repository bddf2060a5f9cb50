"""The report's tables: computed here from the analyses' results, drawn elsewhere.

Each :class:`Table` holds plain rows (what ``--json`` prints) and, when it has one, a
:class:`Chart`: which columns a chart shows and how, not how to draw it. :mod:`.svg` and
:mod:`.html` draw; nothing here knows about SVG or HTML (scikit-learn's
``calibration_curve`` beside ``CalibrationDisplay``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from ..analytics.compare import CompareResult
from ..analytics.funnel import Funnel
from ..analytics.intervals import Rate, pct
from ..analytics.lift import LiftReport
from ..calibrate import Calibration
from ..results import plain
from ..store import Store

#: Charts: horizontal ``bars`` (one per row and value column, 0 to the largest value),
#: ``intervals`` (values: low, middle, high around a zero line), ``curve`` (x, y points on
#: [0, 1] with the diagonal of perfect calibration).
CHART_KINDS = ("bars", "intervals", "curve")


@dataclass(frozen=True)
class Chart:
    kind: str
    label: str  # the column of the labels (bars, intervals) or of x (curve)
    values: tuple[str, ...]
    percent: bool = True  # values are shares, shown as percentages


@dataclass(frozen=True)
class Table:
    """One section of the report: a title, rows, notes, and perhaps a chart of them."""

    key: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    chart: Chart | None = None

    def as_dict(self) -> dict[str, Any]:
        return plain(asdict(self))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ReportData:
    """Every table of a report, in the order it shows them."""

    title: str
    as_of: dt.datetime
    tables: list[Table]

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "as_of": plain(self.as_of),
                "tables": [t.as_dict() for t in self.tables]}  # fmt: skip


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def funnel_table(found: Funnel) -> Table:
    """Leads → won in total: each stage's count and its share of the MQLs."""
    t = found.total
    stages = [
        ("leads", t.leads),
        ("MQLs", t.mqls),
        ("MQLs, window closed", t.eligible),
        ("SAL", t.sal),
        ("SQL", t.sql),
        ("opportunity", t.opportunity),
        ("won", t.won),
    ]
    rows = [{"stage": name, "count": n,
             "of eligible MQLs": pct(n / t.eligible) if t.eligible and i >= 2 else ""}
            for i, (name, n) in enumerate(stages)]  # fmt: skip
    window = f"within {found.window} of the MQL entry" if found.window else "whenever"
    notes = [f"Stages after MQL count what happened {window}; basis: {found.basis}.",
             f"{t.censored:,} MQL(s) censored (window still open), {t.won_any_time:,} won any "
             "time."]  # fmt: skip
    chart = Chart("bars", "stage", ("count",), percent=False)
    return Table("funnel", "Funnel", ["stage", "count", "of eligible MQLs"], rows, notes, chart)


def source_table(found: Funnel) -> Table:
    """The funnel per source (``found`` grouped by source)."""
    rows = [
        {"source": r.group, "leads": r.leads, "MQLs": r.mqls, "won": r.won,
         "MQL→won": _share(r.rate("won")), "won any time": r.won_any_time}
        for r in found.rows
    ]  # fmt: skip
    columns = ["source", "leads", "MQLs", "won", "MQL→won", "won any time"]
    return Table("sources", "Conversion by source", columns, rows,
                 chart=Chart("bars", "source", ("MQL→won",)))  # fmt: skip


def cohort_table(found: Funnel) -> Table:
    """MQL → won within the window per cohort month; a month all censored has no rate."""
    rows = [
        {"cohort": r.group, "MQLs": r.mqls, "censored": r.censored, "eligible": r.eligible,
         "won": r.won, "MQL→won": _share(r.rate("won"))}
        for r in found.rows
    ]  # fmt: skip
    notes = ["A cohort is the month of the MQL entry. Censored MQLs are not failures: a "
             "month whose MQLs are all censored has no rate yet."]  # fmt: skip
    return Table("cohorts", "Cohort conversion", ["cohort", "MQLs", "censored", "eligible",
                 "won", "MQL→won"], rows, notes, Chart("bars", "cohort", ("MQL→won",)))  # fmt: skip


def lift_table(found: LiftReport) -> Table:
    """Per criterion: conversion of those who met it vs did not, the difference's interval."""
    rows = []
    for k in found.criteria:
        interval = k.difference
        rows.append({
            "criterion": k.name, "kind": k.kind, "met": k.met.n, "rate met": _share(k.met.rate),
            "not met": k.not_met.n, "rate not met": _share(k.not_met.rate),
            "difference": None if interval is None else _share(
                (k.met.rate or 0.0) - (k.not_met.rate or 0.0)),
            "low": None if interval is None else _share(interval[0]),
            "high": None if interval is None else _share(interval[1]),
            "verdict": k.verdict,
        })  # fmt: skip
    notes = [f"Outcome {found.outcome}: {found.converted:,} of {found.leads:,} leads. The "
             "interval is the 95 % (Newcombe) interval of the difference; one that covers "
             "zero is no lift."]  # fmt: skip
    columns = ["criterion", "kind", "met", "rate met", "not met", "rate not met",
               "difference", "low", "high", "verdict"]  # fmt: skip
    chart = Chart("intervals", "criterion", ("low", "difference", "high"))
    return Table("lift", "Lift per criterion", columns, rows, notes, chart)


def score_deciles(store: Store, outcome_column: str = "reach_won") -> list[tuple[int, ...]]:
    """(decile, leads, converted, lowest, highest score) of the latest score run, tenth
    1 the highest scores; reads the ``journeys`` table (built by the funnel)."""
    rows = store.execute(
        f"""
        WITH ranked AS (
            SELECT s.total, j.{outcome_column} IS NOT NULL AS converted,
                   ntile(10) OVER (ORDER BY s.total DESC, s.lead_id) AS decile
            FROM current_scores s JOIN journeys j USING (lead_id))
        SELECT decile, count(*), count(*) FILTER (WHERE converted), min(total), max(total)
        FROM ranked GROUP BY decile ORDER BY decile
        """
    ).fetchall()
    return [tuple(r) for r in rows]


def decile_table(deciles: list[tuple[Any, ...]]) -> Table:
    """Conversion by score decile (tenth 1: the highest scores)."""
    rows = [
        {"decile": f"tenth {d}", "leads": n, "won": k, "rate": _share(Rate(k, n).rate),
         "scores": f"{lo:g} to {hi:g}"}
        for d, n, k, lo, hi in deciles
    ]  # fmt: skip
    notes = ["Leads of the latest `leadgate score` run, in ten equal groups by total score; "
             "won any time up to the report's as-of time."]  # fmt: skip
    if not rows:
        notes = ["No score run in the store: run `leadgate score` to see conversion by score."]
    return Table("deciles", "Conversion by score decile", ["decile", "leads", "won", "rate",
                 "scores"], rows, notes, Chart("bars", "decile", ("rate",)))  # fmt: skip


def reliability_table(found: Calibration) -> Table:
    """Predicted vs observed conversion of the calibrated probability, per bin."""
    rows = [{"bin": f"{r['low']:.1f}–{r['high']:.1f}", **r} for r in found.reliability]
    notes = [
        f"Calibration on '{found.outcome}' ({found.split}); Brier score {found.brier}. "
        f"ROC AUC of the points {found.auc.get('points')}, boosting reference "
        f"{found.auc.get('boosting')}, current definition {found.auc.get('current')}."
    ]
    columns = ["bin", "leads", "predicted", "observed"]
    chart = Chart("curve", "predicted", ("observed",))
    return Table("reliability", "Reliability of the calibrated probability", columns, rows,
                 notes + found.drift, chart)  # fmt: skip


def comparison_table(found: CompareResult) -> Table:
    """Two definitions backtested side by side."""
    rows = []
    for r in (found.a, found.b):
        name = f"{r.definition_name} v{r.definition_version}"
        rows.append({
            "definition": name, "MQLs": r.mqls, "converted": r.converted,
            "censored": r.censored, "precision": _share(r.precision),
            "recall": _share(r.recall), "missed": r.missed.count,
            "median days to MQL": r.median_days_to_mql,
        })  # fmt: skip
    a, b = found.a, found.b
    notes = [
        f"Replayed {a.start} to {a.end} ({a.step}); converted within {a.window_days} "
        f"days of the MQL day ({', '.join(a.outcomes)}). {found.changed:,} lead(s) end "
        f"in another tier; {found.mql_only_a:,} MQL only under the first, "
        f"{found.mql_only_b:,} only under the second ({b.definition_name})."
    ]
    columns = ["definition", "MQLs", "converted", "censored", "precision", "recall",
               "missed", "median days to MQL"]  # fmt: skip
    chart = Chart("bars", "definition", ("precision", "recall"))
    return Table("comparison", "Backtest comparison", columns, rows, notes, chart)


def note_table(key: str, title: str, note: str) -> Table:
    """A section that could not be computed, saying why."""
    return Table(key, title, [], [], [note])
