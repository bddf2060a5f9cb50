"""``leadgate calibrate`` from end to end: one function that chooses, named steps that work.

The steps: load the lead table (:mod:`.dataset`), split it (:mod:`.evaluate`), flag leaking
columns (:mod:`.leakage`), build the features and compute them with the scoring plan
(:mod:`.features`, :mod:`.matrix`), fit the points model and the boosting reference
(:mod:`.models`), choose thresholds for the goal (:mod:`.thresholds`), measure drift
(:mod:`.drift`), and write the proposal (:mod:`.proposal`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..definition import CompiledDefinition, validate
from ..definition.model import FieldType
from ..store import Store
from . import drift, leakage
from .dataset import LeadTable, load_table
from .errors import BAD_GOAL, NO_FEATURES, CalibrationError
from .evaluate import Split, auc, brier, make_split, reliability
from .features import Feature
from .matrix import Extraction, StoreExtraction, candidate_features
from .models import Scored, boosting_matrix, fit_folds, fit_time
from .peaks import ever_in_sales, peak_points, scores_move
from .points import PointsModel
from .proposal import build, diff, to_yaml
from .result import Calibration, PointsRule, TierOutcome
from .thresholds import (
    assign_tiers,
    at_threshold,
    at_volume,
    parse_capacity,
    share_for_capacity,
    share_for_rate,
    threshold_at_share,
    tier_shares,
)

BACKTEST_NOTE = (
    "The holdout comparison above scores both definitions once, as of the calibration's "
    "as-of time; replay both day by day, as if each had been live, with "
    "`leadgate compare CURRENT PROPOSED` before activating the proposal."
)


@dataclass(frozen=True)
class Options:
    """What calibration was asked: see :meth:`leadgate.project.Project.calibrate`."""

    outcome: str = "won"
    split_by: str | None = None
    exclude: tuple[str, ...] = ()
    folds: int | None = None
    capacity: str | None = None
    target_rate: float | None = None
    penalty: str = "l2"
    C: float = 0.1
    min_age_days: int | None = None
    bins: int = 10  # quantile bins of a number: 10 lets UCI reach boosting within 0.01
    min_count: int = 30


@dataclass
class _Learned:
    table: LeadTable
    split: Split
    features: list[Feature]
    met: np.ndarray[Any, Any]
    raw: np.ndarray[Any, Any]
    leaks: list[leakage.Leak]
    scored: Scored
    attributes: dict[str, FieldType]
    event_types: list[str]


def calibrate(
    store: Store,
    current: CompiledDefinition,
    current_text: str,
    as_of: dt.datetime,
    o: Options,
    extraction: Extraction | None = None,
) -> Calibration:
    """Learn from the outcomes in ``store`` and propose the next version of ``current``.

    ``extraction``: where the features are computed (default: in ``store`` by DuckDB;
    :class:`leadgate.engines.features.SparkExtraction` on Spark); the lead table, the
    outcomes and the fitting always come from ``store`` and run here."""
    _check_goal(o)  # before any work: a typo must not cost a whole fit
    extract = extraction if extraction is not None else StoreExtraction(store)
    learned = _learn(store, extract, current, as_of, o)
    table, scored, y = learned.table, learned.scored, learned.table.y
    totals, tiers_now = extract.current_scores(current, as_of, table.lead_ids)
    y_eval = y[scored.rows]
    share, goal = _goal(store, learned, current, tiers_now, as_of, o)
    nurture = any(not t.sales for t in current.definition.tiers)
    shares = tier_shares(share, nurture)
    live = _live_points(store, learned, as_of)
    cutoffs = _distinct([threshold_at_share(live, s) for s in shares])
    proposal, text = _proposal(learned, current, cutoffs, as_of, o)
    goal.update(_goal_figures(learned, float(cutoffs[1] or 0), share))
    return Calibration(
        outcome=o.outcome,
        split=_split_words(learned),
        as_of=as_of,
        leads=len(y),
        conversions=int(y.sum()),
        unlabelled=table.unlabelled,
        excluded=sorted(o.exclude),
        leaks=learned.leaks,
        rules=_rules(learned),
        scale=round(scored.model.scale_, 4),
        auc={
            "points": auc(y_eval, scored.points),
            "unrounded": auc(y_eval, scored.unrounded),
            "boosting": auc(y_eval, scored.boosting),
            "current": auc(y_eval, totals[scored.rows]),
        },
        brier=brier(scored.probability, y_eval),
        reliability=reliability(scored.probability, y_eval),
        probability=scored.probability_table,
        goal=goal,
        tiers=_tier_outcomes(learned, proposal.tiers, cutoffs, shares),
        comparison=_comparison(learned, totals, tiers_now, current, share, cutoffs[1] or 0.0),
        shifts=_shifts(learned),
        conversion_by_period=drift.periods(table),
        drift=_drift_words(learned),
        current_version=current.definition.version,
        proposed_version=proposal.version,
        proposed_hash=_hash(text),
        proposed_yaml=text,
        diff=diff(current_text, text, f"v{current.definition.version}", f"v{proposal.version}"),
        backtest=BACKTEST_NOTE,
        warnings=[f"{leak.column}: {leak.reason}; left out." for leak in learned.leaks],
    )


# -- learning ---------------------------------------------------------------------------------
def _learn(
    store: Store, extract: Extraction, current: CompiledDefinition, as_of: dt.datetime, o: Options
) -> _Learned:
    table = load_table(
        store, o.outcome, as_of, split_by=o.split_by, exclude=o.exclude,
        min_age_days=o.min_age_days,
    )  # fmt: skip
    split = make_split(table, o.folds)
    fit_rows = split.train if split.mode == "time" else np.arange(len(table.y))
    leaks, aucs = leakage.scan(table, fit_rows)
    flagged = {leak.column for leak in leaks}
    # Events counted over all history to the as-of time, not the definition's window: one
    # as-of time for every lead would leave the older leads' windows empty.
    found = candidate_features(
        current, table, extract.event_counts(as_of), fit_rows, bins=o.bins,
        min_count=o.min_count, leave_out=frozenset(flagged),
    )  # fmt: skip
    features, attributes, event_types = found.features, found.attributes, found.event_types
    raw = extract.verdicts(found.definition(), as_of, table.lead_ids)
    met = (raw == 1).astype(np.float64)
    make = PointsModel(o.penalty, o.C)
    for column in leakage.suspects(aucs, flagged):
        lift = _lift(met, features, column, table.y, split, make)
        if lift >= leakage.LIFT:
            leaks.append(leakage.lift_leak(column, lift, table, fit_rows))
    dropped = {leak.column for leak in leaks}
    keep = [j for j, f in enumerate(features) if f.column not in dropped]
    if not keep:
        raise CalibrationError(
            "No criterion is left to learn from once the leaking columns are out.",
            code=NO_FEATURES,
        )
    features, met, raw = [features[j] for j in keep], met[:, keep], raw[:, keep]
    B = boosting_matrix(table, raw, features, o.min_count)
    fit = fit_time if split.mode == "time" else fit_folds
    scored = fit(met, B, table.y, split, make)
    return _Learned(table, split, features, met, raw, leaks, scored, attributes, event_types)


def _lift(
    met: np.ndarray[Any, Any],
    features: list[Feature],
    column: str,
    y: np.ndarray[Any, Any],
    split: Split,
    make: PointsModel,
) -> float:
    """How much validation AUC the model loses without ``column``'s features."""
    if split.mode == "time":
        train, valid = split.train, split.valid
    else:
        valid = split.folds[0]
        train = np.setdiff1d(np.arange(len(y)), valid)
    others = [j for j, f in enumerate(features) if f.column != column]
    if len(others) == len(features) or not others:
        return 0.0
    full = make.fit(met[train], y[train]).decision_function(met[valid])
    part = make.fit(met[train][:, others], y[train]).decision_function(met[valid][:, others])
    return float((auc(y[valid], full) or 0.5) - (auc(y[valid], part) or 0.5))


# -- goal, tiers and comparison -----------------------------------------------------------------
def _goal(
    store: Store,
    learned: _Learned,
    current: CompiledDefinition,
    tiers_now: np.ndarray[Any, Any],
    as_of: dt.datetime,
    o: Options,
) -> tuple[float, dict[str, Any]]:
    """The MQL share the goal asks for, and how it was set."""
    scored, y = learned.scored, learned.table.y
    ref = scored.reference
    if o.capacity is not None:
        per_month = parse_capacity(o.capacity)
        months = learned.table.months
        count = len(set(months[ref].tolist())) if months is not None else 0
        share = share_for_capacity(per_month, count, len(ref))
        return share, {"kind": "capacity", "per_month": per_month, "share": round(share, 4)}
    if o.target_rate is not None:
        share = share_for_rate(scored.reference_points, y[ref], o.target_rate)
        return share, {"kind": "target_rate", "rate": o.target_rate, "share": round(share, 4)}
    sales = {t.name for t in current.tiers if t.sales}
    now = float(np.isin(tiers_now[ref], list(sales)).mean()) if sales else 0.0
    if sales and scores_move(store):  # live, as the proposal's are cut (:mod:`.peaks`)
        ids = [learned.table.lead_ids[i] for i in ref]
        ever = ever_in_sales(store, current, as_of, ids)
        now = float(np.where(np.isnan(ever), np.isin(tiers_now[ref], list(sales)), ever).mean())
    share = now if now > 0 else 0.1
    return share, {"kind": "current_volume", "share": round(share, 4)}


def _live_points(store: Store, learned: _Learned, as_of: dt.datetime) -> np.ndarray[Any, Any]:
    """The final points of the rows thresholds are cut on, each lead at its peak before its
    decision (:mod:`.peaks`): a share of these is the share of leads that would have become
    MQLs live, not only the share above the threshold when each was decided."""
    scored = learned.scored
    ids = [learned.table.lead_ids[i] for i in scored.reference]
    peak = peak_points(store, learned.features, scored.model.points_, learned.attributes,
                       learned.event_types, as_of, ids)  # fmt: skip
    decided = scored.final_points.astype(float)
    if peak is None:
        return decided
    return np.where(np.isnan(peak), decided, np.fmax(peak, decided))


def _check_goal(o: Options) -> None:
    if o.capacity is not None:
        parse_capacity(o.capacity)
    if o.target_rate is not None and not 0 < o.target_rate < 1:
        raise CalibrationError(
            f"--target-rate {o.target_rate!r}: give a rate between 0 and 1, e.g. 0.3.",
            code=BAD_GOAL,
        )


def _goal_figures(learned: _Learned, threshold: float, share: float) -> dict[str, Any]:
    scored, y = learned.scored, learned.table.y
    out = at_threshold(scored.reference_points, y[scored.reference], threshold)
    if learned.split.mode == "cv":  # the folds' scales differ: read the same share
        local = threshold_at_share(scored.reference_points, share)
        out = at_threshold(scored.reference_points, y[scored.reference], local)
        out["threshold"] = threshold
    return {"validation": out}


def _distinct(cutoffs: list[float]) -> list[float | None]:
    """The tiers' cutoffs with a tier that would equal the MQL tier left out (None): ties
    in the points can make two shares land on one score."""
    out: list[float | None] = list(cutoffs)
    mql = cutoffs[1]
    for i in (0, 2):
        if i < len(cutoffs) and cutoffs[i] == mql:
            out[i] = None
    return out


def _eval_cutoffs(
    learned: _Learned, cutoffs: list[float | None], shares: list[float]
) -> list[float]:
    """The cutoffs of the kept tiers on the evaluation scores (by share across folds)."""
    kept = [(c, s) for c, s in zip(cutoffs, shares, strict=True) if c is not None]
    if learned.split.mode == "time":
        return [c for c, _ in kept]
    return [threshold_at_share(learned.scored.points, s) for _, s in kept]


def _tier_outcomes(
    learned: _Learned, tiers: list[Any], cutoffs: list[float | None], shares: list[float]
) -> list[TierOutcome]:
    scored, y = learned.scored, learned.table.y[learned.scored.rows]
    which = assign_tiers(scored.points, _eval_cutoffs(learned, cutoffs, shares))
    out = []
    names = [t.name for t in tiers] + ["(no tier)"]
    kept = [c for c in cutoffs if c is not None]
    for i, name in enumerate(names):
        mask = which == i
        n, k = int(mask.sum()), int(y[mask].sum())
        threshold = kept[i] if i < len(kept) else None
        out.append(TierOutcome(name, threshold, n, k, round(k / n, 4) if n else None))
    return out


def _comparison(
    learned: _Learned,
    totals: np.ndarray[Any, Any],
    tiers_now: np.ndarray[Any, Any],
    current: CompiledDefinition,
    share: float,
    threshold: float,
) -> dict[str, dict[str, Any]]:
    """Current vs proposed on the holdout: AUC, and precision/recall at the same volume."""
    scored = learned.scored
    y = learned.table.y[scored.rows]
    now = totals[scored.rows]
    mine = scored.points
    cut = threshold if learned.split.mode == "time" else threshold_at_share(mine, share)
    sales = [t.name for t in current.tiers if t.sales]
    in_tiers = np.isin(tiers_now[scored.rows], sales).astype(float)
    return {
        "proposed": {"auc": auc(y, mine), **at_threshold(mine, y, cut)},
        "current_same_volume": {"auc": auc(y, now), **at_volume(now, y, int((mine >= cut).sum()))},
        "current_tiers": {"auc": auc(y, now), **at_threshold(in_tiers, y, 1.0)},
    }


# -- drift ------------------------------------------------------------------------------------
def _periods(learned: _Learned) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None:
    """The training and the latest period's rows, when the leads are ordered in time."""
    table, split = learned.table, learned.split
    if split.mode == "time":
        return split.train, split.test
    if table.order is None:
        return None
    order = np.argsort(table.order, kind="stable")
    n = len(order)
    return order[: int(n * 0.6)], order[int(n * 0.8) :]


def _shifts(learned: _Learned) -> list[drift.Shift]:
    parts = _periods(learned)
    if parts is None:
        return []
    return drift.feature_shifts(learned.raw, learned.features, *parts)


def _drift_words(learned: _Learned) -> list[str]:
    parts = _periods(learned)
    if parts is None:
        return ["No dates: drift was not measured (pass --split-by a date or order column)."]
    y = learned.table.y
    rows = drift.periods(learned.table)
    words = [drift.conversion_words(rows, float(y[parts[0]].mean()), float(y[parts[1]].mean()))]
    return words + drift.shift_words(_shifts(learned))


# -- the proposal -----------------------------------------------------------------------------
def _rules(learned: _Learned) -> list[PointsRule]:
    model, fit_rows = learned.scored.model, learned.split.train
    if learned.split.mode == "cv":
        fit_rows = np.arange(len(learned.table.y))
    shares = learned.met[fit_rows].mean(axis=0)
    out = [
        PointsRule(
            f.name, f.when, f.section, f.column, round(float(c), 4), int(p), round(float(s), 4)
        )  # fmt: skip
        for f, c, p, s in zip(learned.features, model.coef_, model.points_, shares, strict=True)
    ]
    return sorted(out, key=lambda r: (-abs(r.points), r.name))


def _split_words(learned: _Learned) -> str:
    split, table = learned.split, learned.table
    if split.mode == "time":
        return (
            f"time-ordered by {table.split_by}: train {len(split.train):,}, validation "
            f"{len(split.valid):,}, holdout (latest) {len(split.test):,}"
        )
    return f"stratified {len(split.folds)}-fold cross-validation (out-of-fold figures)"


def _proposal(
    learned: _Learned,
    current: CompiledDefinition,
    cutoffs: list[float | None],
    as_of: dt.datetime,
    o: Options,
) -> tuple[Any, str]:
    model = learned.scored.model
    note = (
        f"Calibrated by leadgate on the outcome '{o.outcome}' as of {as_of:%Y-%m-%d}: "
        f"points from a {o.penalty}-regularised logistic regression, the strongest criterion "
        f"{model.top} points; thresholds for {o.capacity or o.target_rate or 'the current volume'}."
    )
    proposal = build(
        current.definition,
        learned.features,
        [int(p) for p in model.points_],
        cutoffs,
        learned.attributes,
        learned.event_types,
        as_of=as_of,
        note=note,
    )
    header = (
        f"Proposed by `leadgate calibrate` from version {current.definition.version}.\n"
        "Review it with both teams before activating it."
    )
    text = to_yaml(proposal, header)
    checked = validate(text=text)
    if not checked.ok:
        problems = "; ".join(p.format() for p in checked.errors)
        raise CalibrationError(f"The proposal does not validate: {problems}", code=NO_FEATURES)
    return proposal, text


def _hash(text: str) -> str:
    from ..definition import definition_hash, load_definition

    return definition_hash(load_definition(text=text))
