"""The hidden truth behind synthetic outcomes: who would buy, and what sales recorded.

Each lead has a true log-odds of buying, a linear function of what a good MQL definition
should find (:data:`COEFFICIENTS`): seniority, company size, industry fit, recent demo and
pricing activity, account intent, the form answer, and the email kind (students and
throwaway addresses do not buy), plus noise nobody can observe.

Who reached sales is decided by the *old* process, a naive point score crossing a threshold
(the moment it crosses is ``mql_at``), as in most companies today. Each MQL then moves
through the funnel with independent steps, each a logistic function of the same log-odds
with its own intercept: accepted (else rejected with a reason), SQL, opportunity, won (with
a value) or lost. The intercepts are solved so the MQL cohort lands on the rates the
industry reports: MQL→SQL about 19 %, MQL→won about 4 %.

``propensity`` is the probability that the lead, handed to sales, ends up won: the product
of the four steps. Only MQLs handed over at least :data:`FOLLOW_UP_DAYS` before the end
of the data get outcomes, so every recorded funnel is complete (no censoring to trip on).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .generate import DAY_US, Columns

COEFFICIENTS: dict[str, float] = {
    "seniority[manager]": 0.35,
    "seniority[director]": 0.8,
    "seniority[vp]": 1.1,
    "seniority[cxo]": 1.0,
    "log10_company_size": 0.45,
    "industry_fit": 0.8,
    "recent_demo": 1.2,
    "recent_pricing_views": 0.35,
    "intent_strength_per_100": 0.9,
    "form_answer_effect": 1.0,
    "email_personal": -0.5,
    "email_student": -2.5,
    "email_disposable": -2.5,
    "noise_sd": 0.5,
}
#: Target rates over the MQL cohort; the step intercepts are solved to meet them.
TARGET_RATES = {"accepted": 0.62, "sql": 0.19, "opportunity": 0.09, "won": 0.04}
#: How strongly each step follows the log-odds: the close (won vs lost) follows it most,
#: since by then sales has qualified out the noise.
STEP_SLOPES = {"accepted": 1.0, "sql": 1.0, "opportunity": 1.0, "won": 1.8}
#: Points of the naive old MQL score, and its threshold.
OLD_SCORE = {
    "pricing_page": 5,
    "demo_request": 30,
    "contact_sales": 30,
    "content_download": 8,
    "webinar_attended": 10,
    "trial_signup": 20,
    "live_demo": 15,
    "case_study_view": 5,
    "form_submit": 10,
    "email_click": 2,
    "page_view": 1,
}
OLD_THRESHOLD = 40
RECENT_DAYS = 30
FOLLOW_UP_DAYS = 75
REJECT_REASONS = ("not a fit", "no budget", "bad timing", "wrong contact", "no response")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


def mql_times(leads: Columns, events: Columns) -> np.ndarray:
    """When each lead's old-process score first reached the threshold (epoch us), else -1.

    Vectorised: events sorted by (lead, time), cumulative points per lead, first crossing.
    """
    n = len(leads["lead_id"])
    names, codes = np.unique(events["type"], return_inverse=True)
    points = np.array([OLD_SCORE.get(t, 0) for t in names], dtype=float)[codes.ravel()]
    order = np.lexsort((events["ts"], events["lead_idx"]))
    lead, ts, pts = events["lead_idx"][order], events["ts"][order], points[order]
    total = np.cumsum(pts)
    starts = np.searchsorted(lead, np.arange(n))
    before = np.concatenate([[0.0], total])[starts]  # points of the leads sorted before
    crossed = (total - before[lead]) >= OLD_THRESHOLD
    out = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(crossed)
    first_rows = rows[np.unique(lead[rows], return_index=True)[1]]
    out[lead[first_rows]] = ts[first_rows]
    return out


def features(
    leads: Columns, accounts: Columns, events: Columns, intent: Columns, as_of: np.ndarray
) -> dict[str, np.ndarray]:
    """The inputs of the true model for each lead, as of ``as_of`` (epoch us per lead)."""
    n = len(leads["lead_id"])
    acc = leads["account_idx"]
    lead = events["lead_idx"]
    recent = (events["ts"] <= as_of[lead]) & (events["ts"] > as_of[lead] - RECENT_DAYS * DAY_US)
    demo = np.isin(events["type"], ["demo_request", "live_demo", "contact_sales"]) & recent
    pricing = (events["type"] == "pricing_page") & recent
    n_acc = len(accounts["account_id"])
    strongest = np.zeros(n_acc)
    np.maximum.at(strongest, intent["account_idx"], intent["strength"])
    kind = leads["email_kind"]
    feats = {
        f"seniority[{s}]": (leads["true_seniority"] == s).astype(float)
        for s in ("manager", "director", "vp", "cxo")
    }
    feats |= {
        "log10_company_size": np.log10(accounts["true_size"][acc].astype(float)),
        "industry_fit": accounts["industry_fit"][acc].astype(float),
        "recent_demo": (np.bincount(lead, weights=demo, minlength=n) > 0).astype(float),
        "recent_pricing_views": np.log1p(np.bincount(lead, weights=pricing, minlength=n)),
        "intent_strength_per_100": strongest[acc] / 100.0,
        "form_answer_effect": leads["form_effect"],
        "email_personal": (kind == "personal").astype(float),
        "email_student": (kind == "student").astype(float),
        "email_disposable": (kind == "disposable").astype(float),
    }
    return feats


def _solve(z: np.ndarray, target: float, given: np.ndarray) -> float:  # z already sloped
    """The intercept b with mean(given * sigmoid(z + b)) = target (bisection)."""
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(given * _sigmoid(z + mid)) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def outcomes(
    rng: np.random.Generator,
    leads: Columns,
    accounts: Columns,
    events: Columns,
    intent: Columns,
    stop: int,
) -> tuple[Columns, dict[str, Any]]:
    """Draw the funnel of every MQL; return (outcome rows, truth per lead and model)."""
    n = len(leads["lead_id"])
    mql_at = mql_times(leads, events)
    is_mql = (mql_at >= 0) & (mql_at <= stop - FOLLOW_UP_DAYS * DAY_US)
    as_of = np.where(mql_at >= 0, mql_at, stop)
    feats = features(leads, accounts, events, intent, as_of)
    noise = rng.normal(0, COEFFICIENTS["noise_sd"], n)
    z = sum(COEFFICIENTS[k] * v for k, v in feats.items()) + noise
    z = z - np.mean(z[is_mql]) if is_mql.any() else z
    intercepts, reached = {}, np.ones(int(is_mql.sum()))
    steps: dict[str, np.ndarray] = {}
    for step, rate in TARGET_RATES.items():
        zs = STEP_SLOPES[step] * z
        b = _solve(zs[is_mql], rate, reached)
        intercepts[step] = b
        steps[step] = _sigmoid(zs + b)
        reached = reached * steps[step][is_mql]
    propensity = np.prod(np.vstack(list(steps.values())), axis=0)
    draws = {s: rng.random(n) < p for s, p in steps.items()}
    stage = {"accepted": draws["accepted"] & is_mql}
    stage["sql"] = stage["accepted"] & draws["sql"]
    stage["opportunity"] = stage["sql"] & draws["opportunity"]
    stage["won"] = stage["opportunity"] & draws["won"]
    stage["lost"] = stage["opportunity"] & ~draws["won"]
    stage["rejected"] = is_mql & ~stage["accepted"]
    delays = {
        "accepted": (0.1, 2),
        "rejected": (0.1, 3),
        "sql": (3, 10),
        "opportunity": (10, 25),
        "won": (30, 70),
        "lost": (30, 70),
    }
    rows: dict[str, list[np.ndarray]] = {"lead_idx": [], "outcome": [], "ts": []}
    for name, (lo, hi) in delays.items():
        idx = np.flatnonzero(stage[name])
        rows["lead_idx"].append(idx)
        rows["outcome"].append(np.full(len(idx), name, dtype=object))
        rows["ts"].append(mql_at[idx] + (rng.uniform(lo, hi, len(idx)) * DAY_US).astype(np.int64))
    idx = np.concatenate(rows["lead_idx"])
    outcome = np.concatenate(rows["outcome"])
    reason = np.full(len(idx), None, dtype=object)
    rejected = outcome == "rejected"
    reason[rejected] = np.array(REJECT_REASONS, dtype=object)[
        rng.integers(0, len(REJECT_REASONS), int(rejected.sum()))
    ]
    student = rejected & np.isin(leads["email_kind"][idx], ["student", "disposable"])
    reason[student] = "student or fake"
    reason[outcome == "lost"] = np.array(["price", "competitor", "no decision"], dtype=object)[
        rng.integers(0, 3, int((outcome == "lost").sum()))
    ]
    size = accounts["true_size"][leads["account_idx"][idx]].astype(float)
    value = np.where(
        outcome == "won", (8000 * size**0.35 * rng.lognormal(0, 0.4, len(idx))).round(-2), np.nan
    )
    out = {
        "lead_id": leads["lead_id"][idx],
        "outcome": outcome,
        "reason": reason,
        "value": value,
        "ts": np.concatenate(rows["ts"]),
    }
    truth = {
        "propensity": propensity,
        "logit": z,
        "is_mql": is_mql,
        "mql_at": mql_at,
        "features": feats,
        "intercepts": intercepts,
    }
    return out, truth


def auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half).

    >>> auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True]))
    0.75
    """
    score, positive = np.asarray(score, float), np.asarray(positive, bool)
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    # average ranks for ties
    _, inv, counts = np.unique(score, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=ranks)
    ranks = (sums / counts)[inv]
    n_pos, n_neg = positive.sum(), (~positive).sum()
    if not n_pos or not n_neg:
        return float("nan")
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
