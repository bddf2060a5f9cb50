"""``compare``: two definitions backtested side by side, the leads that move and why.

Both are replayed over the same days (:func:`leadgate.analytics.backtest.backtest`'s
numbers for each). A lead *changes tier* when its tier on the last day differs between
the two. For each rule (by its key, e.g. ``fit:finance buyer`` or
``engagement:demo_request``) the comparison counts the changed leads it scored
differently on that day, from each score's per-rule points; a changed lead no rule scored
differently moved because of the tier conditions or thresholds alone.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ..definition.compile import CompiledDefinition
from ..results import plain
from ..store import Store
from .backtest import (
    DEFAULT_OUTCOMES,
    DEFAULT_WINDOW_DAYS,
    SAMPLE,
    BacktestResult,
    check_options,
    measure,
    summarize,
)
from .replay import Grid, replayed

NO_TIER = "(none)"
TIERS_ONLY = "(tier conditions and thresholds)"


@dataclass
class TierChange:
    """Leads whose last-day tier is ``from_tier`` under A and ``to_tier`` under B."""

    from_tier: str
    to_tier: str
    leads: int
    sample: list[str] = field(default_factory=list)


@dataclass
class RuleMove:
    """A rule that scored some of the changed leads differently (points in A vs B)."""

    rule: str
    leads: int  # changed leads it scored differently
    in_a: bool
    in_b: bool


@dataclass
class CompareResult:
    a: BacktestResult
    b: BacktestResult
    changed: int  # leads whose last-day tier differs
    changes: list[TierChange]
    rules: list[RuleMove]
    mql_only_a: int  # MQL at some day of the replay under A, never under B
    mql_only_b: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return plain(asdict(self))  # type: ignore[no-any-return]


def compare(
    store: Store,
    a: CompiledDefinition,
    b: CompiledDefinition,
    start: dt.date,
    end: dt.date,
    *,
    step: str = "day",
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
    window_days: int = DEFAULT_WINDOW_DAYS,
    observed_until: dt.datetime | None = None,
    sample: int = SAMPLE,
) -> CompareResult:
    """Backtest ``a`` and ``b`` over the same days; the leads that change tier and why."""
    started = time.perf_counter()
    grid = Grid.between(start, end, step)
    check_options(outcomes, window_days)
    results = []
    try:
        for c, name in ((a, "bt_res_a"), (b, "bt_res_b")):
            with replayed(store, c, grid, first_sales=True):
                summarize(store, c, grid, name)
                pairs = int(store.scalar("SELECT count(*) FROM bt_states") or 0)
            result = measure(
                store, c, grid, name, outcomes=outcomes, window_days=window_days,
                observed_until=observed_until, sample=sample,
            )  # fmt: skip
            result.pairs = pairs
            results.append(result)
        changes = _tier_changes(store, a, b, sample)
        only = store.execute(
            "SELECT count(*) FILTER (WHERE x.mql_k IS NOT NULL AND y.mql_k IS NULL),"
            " count(*) FILTER (WHERE x.mql_k IS NULL AND y.mql_k IS NOT NULL)"
            " FROM bt_res_a x JOIN bt_res_b y USING (lead_id)"
        ).fetchall()[0]
        rules = _rules_moved(store, a, b, grid)
    finally:
        for name in ("bt_res_a", "bt_res_b", "bt_det_a", "bt_det_b"):
            store.execute(f"DROP TABLE IF EXISTS temp.{name}")
    return CompareResult(
        a=results[0],
        b=results[1],
        changed=sum(ch.leads for ch in changes),
        changes=changes,
        rules=rules,
        mql_only_a=int(only[0]),
        mql_only_b=int(only[1]),
        seconds=time.perf_counter() - started,
    )


def _name(c: CompiledDefinition, tier: int) -> str:
    return c.tiers[tier].name if tier >= 0 else NO_TIER


def _tier_changes(
    store: Store, a: CompiledDefinition, b: CompiledDefinition, sample: int
) -> list[TierChange]:
    rows = store.execute(
        f"""
        SELECT x.end_tier, y.end_tier, count(*) AS leads,
               list(lead_id ORDER BY lead_id)[1:{sample}]
        FROM bt_res_a x JOIN bt_res_b y USING (lead_id)
        WHERE x.end_tier <> y.end_tier GROUP BY 1, 2 ORDER BY leads DESC, 1, 2
        """
    ).fetchall()
    return [TierChange(_name(a, r[0]), _name(b, r[1]), int(r[2]), list(r[3])) for r in rows]


def _rules_moved(
    store: Store, a: CompiledDefinition, b: CompiledDefinition, grid: Grid
) -> list[RuleMove]:
    """Per rule, the changed leads it scored differently on the last day."""
    last = Grid(grid.day(grid.count - 1), 1, 1)
    for c, name in ((a, "bt_det_a"), (b, "bt_det_b")):
        with replayed(store, c, last, details=True):
            store.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT i.lead_id, s.contributions"
                " FROM bt_states s JOIN bt_lead_ix i USING (ix)"
            )
    rows = store.execute(
        """
        SELECT x.contributions, y.contributions
        FROM bt_res_a ra JOIN bt_res_b rb USING (lead_id)
        JOIN bt_det_a x USING (lead_id) JOIN bt_det_b y USING (lead_id)
        WHERE ra.end_tier <> rb.end_tier
        """
    ).fetchall()
    keys_a, keys_b = a.rule_keys, b.rule_keys
    counts = dict.fromkeys([*keys_a, *(k for k in keys_b if k not in keys_a)], 0)
    alone = 0
    for points_a, points_b in rows:
        pa = dict(zip(keys_a, points_a or [], strict=False))
        pb = dict(zip(keys_b, points_b or [], strict=False))
        moved = [k for k in counts if (pa.get(k) or 0) != (pb.get(k) or 0)]
        for k in moved:
            counts[k] += 1
        alone += not moved
    moves = [RuleMove(k, n, k in keys_a, k in keys_b) for k, n in counts.items() if n]
    moves.sort(key=lambda m: (-m.leads, m.rule))
    if alone:
        moves.append(RuleMove(TIERS_ONLY, alone, True, True))
    return moves
