"""The criteria calibration weighs, each a yes/no condition in the definition's language.

Every feature is a rule expression (``age >= 30 and age < 40``, ``job = 'admin.'``,
``count(pricing_page, 90d) >= 3``), so the proposal writes the learned points next to the
very condition that earned them, and scoring the proposal gives each lead exactly the
points the model gave it. Three sources:

- the current definition's own fit and engagement rules (met / not met / unknown);
- each attribute's bins: numeric quantile bins and categorical levels seen at least
  ``min_count`` times (rarer levels are left as the baseline), plus "unknown" when a value
  is often missing;
- event counts per type, as thresholds (1+, the median, the 90th percentile).

Bins are cut on the training part only, so nothing of the later periods shapes them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..definition.compile import CompiledDefinition
from .dataset import LeadTable

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_LEVELS = 30


@dataclass(frozen=True)
class Feature:
    """One yes/no criterion: ``name`` (the proposal's rule name), ``when`` (its condition),
    ``column`` (the attribute it reads, None for a rule or events), ``section`` (fit or
    engagement), ``source`` (rule, bin, level, unknown, events)."""

    name: str
    when: str
    column: str | None
    section: str
    source: str


def quote_text(value: str) -> str:
    """A text literal in the rule language.

    >>> quote_text("it's")
    "'it\\\\'s'"
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def number_text(value: float) -> str:
    """A bin edge as written in a rule: integers without a decimal point."""
    if float(value).is_integer():
        return str(int(value))
    return repr(round(float(value), 6))


def rule_features(c: CompiledDefinition) -> list[Feature]:
    """The current definition's fit rules and ``when`` engagement rules, as they are."""
    d = c.definition
    out = [Feature(r.name, r.when, None, "fit", "rule") for r in d.fit.rules]
    for rule in d.engagement.rules:
        if rule.when is not None and rule.per is None:
            out.append(Feature(rule.name, rule.when, None, "engagement", "rule"))
    return out


def number_bins(name: str, values: np.ndarray[Any, Any], bins: int) -> list[Feature]:
    """Quantile bins of a number (few distinct values: one level each)."""
    known = values[~np.isnan(values)]
    if known.size == 0:
        return []
    distinct = np.unique(known)
    if distinct.size <= bins:
        return [
            Feature(
                f"{name} = {number_text(v)}", f"{name} = {number_text(v)}", name, "fit", "level"
            )
            for v in distinct
        ]
    qs = np.quantile(known, [i / bins for i in range(1, bins)], method="lower")
    edges = sorted({float(q) for q in qs if q > distinct[0]})
    out = []
    lows: list[float | None] = [None, *edges]
    highs: list[float | None] = [*edges, None]
    for low, high in zip(lows, highs, strict=True):
        parts, label = [], []
        if low is not None:
            parts.append(f"{name} >= {number_text(low)}")
            label.append(f"from {number_text(low)}")
        if high is not None:
            parts.append(f"{name} < {number_text(high)}")
            label.append(f"under {number_text(high)}")
        out.append(Feature(f"{name} {' '.join(label)}", " and ".join(parts), name, "fit", "bin"))
    return out


def text_levels(name: str, values: np.ndarray[Any, Any], min_count: int) -> list[Feature]:
    """Each level seen at least ``min_count`` times (compared as the language does: case
    folded), the most frequent first, at most :data:`MAX_LEVELS`."""
    counts = Counter(str(v).strip().lower() for v in values if v is not None and str(v).strip())
    kept = sorted((v for v, n in counts.items() if n >= min_count), key=lambda v: (-counts[v], v))
    return [
        Feature(f"{name} is {v}"[:120], f"{name} = {quote_text(v)}", name, "fit", "level")
        for v in kept[:MAX_LEVELS]
    ]


def bool_levels(name: str, values: np.ndarray[Any, Any]) -> list[Feature]:
    known = values[~np.isnan(values)]
    return [
        Feature(f"{name} is {word}", f"{name} = {word}", name, "fit", "level")
        for word, v in (("true", 1.0), ("false", 0.0))
        if (known == v).any()
    ]


def attribute_features(
    table: LeadTable,
    rows: np.ndarray[Any, Any],
    *,
    bins: int = 5,
    min_count: int = 30,
    leave_out: frozenset[str] = frozenset(),
) -> list[Feature]:
    """Bins and levels of every attribute but those in ``leave_out``, cut on ``rows`` (the
    training part)."""
    out: list[Feature] = []
    for name in sorted(table.kinds):
        if name in leave_out or not NAME.match(name) or table.kinds[name] == "date":
            continue  # a rule cannot name it; a date's age depends on the as-of time
        kind, values = table.kinds[name], table.values[name][rows]
        if kind == "number":
            found = number_bins(name, values, bins)
            missing = int(np.isnan(values).sum())
        elif kind == "bool":
            found = bool_levels(name, values)
            missing = int(np.isnan(values).sum())
        else:
            found = text_levels(name, values, min_count)
            missing = sum(1 for v in values if v is None)
        if missing >= min_count and found:
            found.append(Feature(f"{name} unknown", f"{name} is null", name, "fit", "unknown"))
        out += found
    return out


def event_features(
    counts: dict[str, list[int]], window: str | None, min_count: int
) -> list[Feature]:
    """Thresholds on each event type's count per lead: 1+, its median, its 90th percentile.

    ``counts``: event type → the counts of the leads that have at least one.
    """
    out = []
    span = f", {window}" if window else ""
    for kind in sorted(counts):
        seen = counts[kind]
        if len(seen) < min_count or not NAME.match(kind):
            continue
        steps = sorted({1, *(int(math.ceil(np.quantile(seen, q))) for q in (0.5, 0.9))})
        for k in steps:
            out.append(
                Feature(
                    f"{k}+ {kind}" + (f" in {window}" if window else ""),
                    f"count({kind}{span}) >= {k}",
                    None,
                    "engagement",
                    "events",
                )
            )
    return out


def unique_names(features: list[Feature]) -> list[Feature]:
    """Drop repeated conditions; make names unique (a definition's rule names must be)."""
    seen_when: set[str] = set()
    seen_name: set[str] = set()
    out = []
    for f in features:
        if f.when in seen_when:
            continue
        seen_when.add(f.when)
        name, n = f.name, 2
        while name.lower() in seen_name:
            name, n = f"{f.name} ({n})", n + 1
        seen_name.add(name.lower())
        out.append(Feature(name, f.when, f.column, f.section, f.source))
    return out
