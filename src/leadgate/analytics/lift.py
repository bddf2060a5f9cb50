"""Lift per criterion: which of the definition's criteria predict buying, and which are
folklore ("whitepaper download: 2.1 % vs 2.0 %, no lift").

For every fit rule, engagement (attribute) rule, event type, disqualifier and tier, the
leads fall in three groups: those that **met** it, those that **did not**, and those it
**could not judge** (a value it reads is missing): a lead without a known company size
neither met "company size >= 100" nor failed it, and counting it as "did not" would make
the rule look better than it is. The three groups partition the leads.

Who met what is not evaluated again here: it is read from the definition's own scoring
plan (:func:`leadgate.scoring.plan_sql`), the query ``leadgate score`` runs, whose columns
hold each rule's verdict (true, false, NULL), each engagement rule's points and each event
rule's count. Conversion is a lead's journey (:mod:`.journeys`) reaching the ``outcome``
stage (won unless told) by the as-of time.

Each rate carries its 95 % Wilson interval and the difference (met − did not) Newcombe's
interval; the verdict is "no lift" when that interval covers zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..definition.compile import CompiledDefinition
from ..results import plain
from ..scoring import names
from ..scoring.sql import plan_sql
from ..store import Store
from .funnel import FunnelError
from .intervals import Rate, difference, pct
from .journeys import STAGES_AFTER_MQL, build_journeys

#: The verdicts, plainly.
LIFT, NEGATIVE, NO_LIFT, CANNOT_TELL = "lift", "negative lift", "no lift", "cannot tell"


class UnknownOutcome(FunnelError):
    code = "LG802"


@dataclass(frozen=True)
class Criterion:
    """A criterion of the definition and the plan's SQL saying who met it and who did not
    (a lead in neither could not be judged)."""

    kind: str  # fit | engagement | event | disqualifier | tier
    name: str
    condition: str
    met: str
    not_met: str
    cents: int = 0  # the points it gives, in hundredths (0: none, e.g. a tier)


@dataclass(frozen=True)
class CriterionLift:
    """One criterion's conversion among the leads that met it, did not, could not be judged."""

    kind: str
    name: str
    condition: str
    met: Rate
    not_met: Rate
    not_judged: Rate

    @property
    def difference(self) -> tuple[float, float] | None:
        """The 95 % interval of (met − did not), in rate units; None when a group is empty."""
        return difference(self.met, self.not_met)

    @property
    def ratio(self) -> float | None:
        """How many times the rate of those who met it is that of those who did not."""
        a, b = self.met.rate, self.not_met.rate
        return a / b if a is not None and b else None

    @property
    def verdict(self) -> str:
        interval = self.difference
        if interval is None:
            return CANNOT_TELL
        low, high = interval
        return LIFT if low > 0 else NEGATIVE if high < 0 else NO_LIFT

    @property
    def summary(self) -> str:
        """``"pricing page: 9.1 % vs 2.0 %, lift"``."""
        return f"{self.name}: {pct(self.met.rate)} vs {pct(self.not_met.rate)}, {self.verdict}"

    def as_dict(self) -> dict[str, Any]:
        interval = self.difference
        return {
            "kind": self.kind,
            "name": self.name,
            "condition": self.condition,
            "met": self.met.as_dict(),
            "not_met": self.not_met.as_dict(),
            "not_judged": self.not_judged.as_dict(),
            "difference_ci": None if interval is None else [round(x, 6) for x in interval],
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class LiftReport:
    """What :meth:`Project.lift` returns."""

    criteria: list[CriterionLift]
    outcome: str
    leads: int
    converted: int
    as_of: dt.datetime
    definition_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "definition_hash": self.definition_hash,
            "as_of": plain(self.as_of),
            "outcome": self.outcome,
            "leads": self.leads,
            "converted": self.converted,
            "criteria": [c.as_dict() for c in self.criteria],
        }


def criteria(c: CompiledDefinition) -> list[Criterion]:
    """Every criterion of ``c`` in the definition's order, with the plan's columns."""
    out = []
    for i, r in enumerate(c.fit_rules):
        col = f"k.{names.fit_rule(i)}"
        out.append(Criterion("fit", r.name, r.expr.text, col, f"NOT {col}", r.cents))
    for i, e in enumerate(c.engagement_rules):
        text = " per ".join(x.text for x in (e.when, e.per) if x is not None) or "always"
        col = f"k.{names.engagement_rule(i)}"
        out.append(Criterion("engagement", e.name, text, f"{col} <> 0", f"{col} = 0", e.cents))
    for i, ev in enumerate(c.event_rules):
        col = f"coalesce(k.{names.event_count(i)}, 0)"  # no events: a count of none
        met, never = f"{col} > 0", f"{col} = 0"
        out.append(Criterion("event", ev.type, f"any {ev.type} event", met, never, ev.cents))
    for i, d in enumerate(c.disqualifiers):
        col = f"k.{names.disqualifier(i)}"
        out.append(Criterion("disqualifier", d.name, d.expr.text, col, f"NOT {col}"))
    for i, t in enumerate(c.tiers):
        tier = f"k.{names.TIER} = {i}"
        out.append(Criterion("tier", t.name, t.expr.text, tier, f"NOT ({tier})"))
    return out


def unruled_event_types(store: Store, c: CompiledDefinition, as_of: dt.datetime) -> list[str]:
    """Event types the leads have by ``as_of`` that no event rule gives points for: their
    lift says whether a rule for them would be worth writing."""
    ruled = {r.type for r in c.event_rules}
    seen = store.execute(
        "SELECT DISTINCT type FROM lead_events WHERE ts <= ? ORDER BY type", [as_of]
    ).fetchall()
    return [str(t) for (t,) in seen if t not in ruled]


def _literal(text: str) -> str:
    """``text`` as a single-quoted SQL literal (an event type is the data's own text)."""
    return "'" + text.replace("'", "''") + "'"


def unruled_criteria(types: list[str]) -> list[Criterion]:
    """A criterion per event type no rule covers (the columns :func:`build_criteria_table`
    adds for ``types``)."""
    out = []
    for i, t in enumerate(types):
        col = f"k.unruled_{i}"
        out.append(Criterion("event", t, f"any {t} event (no rule)", f"{col} > 0", f"{col} = 0"))
    return out


def build_criteria_table(
    store: Store, c: CompiledDefinition, as_of: dt.datetime, unruled: list[str] | None = None
) -> None:
    """Create the temporary table ``criteria``: the scoring plan's per-lead columns, and
    per event type in ``unruled`` its count of events by ``as_of`` (``unruled_i``)."""
    plan = plan_sql(
        c,
        as_of,
        lead_columns=store.table_columns("leads"),
        account_columns=store.table_columns("accounts"),
    )
    types = unruled or []
    counts = "".join(
        f", count(*) FILTER (WHERE type = {_literal(t)}) AS unruled_{i}"
        for i, t in enumerate(types)
    )
    columns = "".join(f", coalesce(x.unruled_{i}, 0) AS unruled_{i}" for i in range(len(types)))
    extra = (
        f"LEFT JOIN (SELECT lead_id{counts} FROM lead_events WHERE ts <= $1 GROUP BY lead_id) x "
        "USING (lead_id)"
        if types
        else ""
    )
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE criteria AS SELECT p.*{columns} FROM ({plan}) p {extra}",
        [as_of] if types else None,
    )


def _counts(store: Store, found: list[Criterion], converted: str) -> list[list[int]]:
    """Per criterion: n and converted among met, not met, not judged."""
    parts = []
    for k in found:
        judged = f"coalesce(({k.met}) OR ({k.not_met}), FALSE)"
        for group in (
            f"coalesce({k.met}, FALSE)",
            f"coalesce({k.not_met}, FALSE)",
            f"NOT {judged}",
        ):
            parts += [f"count(*) FILTER (WHERE {group})",
                      f"count(*) FILTER (WHERE {group} AND {converted})"]  # fmt: skip
    if not parts:
        return []
    row = store.execute(
        f"SELECT {', '.join(parts)} FROM criteria k JOIN journeys j USING (lead_id)"
    ).fetchall()[0]
    values = [int(v) for v in row]
    return [values[6 * i : 6 * i + 6] for i in range(len(found))]


def compute_lift(
    store: Store,
    c: CompiledDefinition,
    as_of: dt.datetime,
    *,
    outcome: str = "won",
    timezone: str = "UTC",
) -> LiftReport:
    """The lift of every criterion of ``c`` as of ``as_of`` (naive UTC) for ``outcome``
    (a stage after MQL: sal, sql, opportunity or won)."""
    if outcome not in STAGES_AFTER_MQL:
        raise UnknownOutcome(
            f"Cannot measure lift on {outcome!r}; use one of {', '.join(STAGES_AFTER_MQL)}."
        )
    build_journeys(store, as_of, None, timezone)
    unruled = unruled_event_types(store, c, as_of)
    build_criteria_table(store, c, as_of, unruled)
    converted = f"j.reach_{outcome} IS NOT NULL"
    found = criteria(c) + unruled_criteria(unruled)
    lifts = [
        CriterionLift(
            k.kind, k.name, k.condition, Rate(n[1], n[0]), Rate(n[3], n[2]), Rate(n[5], n[4])
        )  # fmt: skip
        for k, n in zip(found, _counts(store, found, converted), strict=True)
    ]
    leads, won = store.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {converted}) FROM journeys j"
    ).fetchall()[0]
    return LiftReport(lifts, outcome, int(leads), int(won), as_of, c.hash)
