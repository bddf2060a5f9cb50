"""Benchmark of the pure per-lead evaluator and of one-event-at-a-time rescoring (issue #2).

What is measured, on one core, in one run:

* **batch evaluator**: leads scored per second, each lead with 20 events, by the function
  leadgate generates from a definition (``Scorer.raw``: every number of the score, the
  explanation's inputs included) and by ``Scorer.score`` (the full Score object with its
  explanation). Target: at least 25,000 leads/s.
* **incremental**: the latency of ``LeadState.apply`` (add one event to a lead holding ~20
  and rescore it), as percentiles. Target: median under 20 µs.
* **baseline**: a plain Python loop doing the same arithmetic, written the way one would
  without a compiler: rules as a list of (predicate, points), events looked up in a dict of
  (points, window, half-life), decay with ``0.5 ** x``. It is checked to give the same
  totals, then timed on the same leads.

Usage: python bench/bench_evaluator.py [--leads 50000] [--events 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import time

from leadgate.definition import load_compiled
from leadgate.scoring import Scorer
from leadgate.scoring.incremental import LeadState

DAY = 86_400_000_000
AS_OF = 1_767_225_600_000_000  # 2026-01-01 UTC in µs

DEFINITION = """
name: bench
version: "1"
fit:
  cap: 60
  rules:
    - {name: senior, when: "seniority in ['director', 'vp', 'cxo']", points: 15}
    - {name: size, when: "company_size >= 100 and company_size <= 5000", points: 10}
    - {name: industry, when: "industry in ['software', 'saas', 'fintech']", points: 10}
    - {name: geography, when: "country in ['US', 'CA', 'GB']", points: 5}
    - {name: personal email, when: "email_domain_type = 'personal'", points: -10}
    - {name: job seeker, when: "title_flag = 'job_seeker'", points: -30}
engagement:
  cap: 60
  half_life: 30d
  window: 90d
  events:
    - {type: demo_request, points: 30, half_life: none}
    - {type: pricing_page, points: 20, cap: 40}
    - {type: webinar_attended, points: 10, cap: 20}
    - {type: content_download, points: 5, cap: 15}
    - {type: blog_view, points: 2, cap: 10}
    - {type: email_open, points: 1, cap: 5}
    - {type: unsubscribe, points: -20, half_life: none}
tiers:
  - {name: hot, when: "fit >= 25 and has(demo_request, 14d)", sla: 1h}
  - {name: mql, when: "fit >= 25 and score >= 50 and count(*, 30d) >= 3", sla: 24h}
  - {name: mql-light, when: "engagement >= 20", sales: false}
"""

TYPES = [
    "page_view",
    "pricing_page",
    "blog_view",
    "email_open",
    "email_click",
    "webinar_attended",
    "content_download",
    "demo_request",
    "unsubscribe",
]
TYPE_WEIGHTS = [30, 6, 20, 25, 8, 3, 4, 1, 0.3]


def make_leads(n: int, per_lead: int, seed: int) -> list[tuple[dict, list[tuple[str, int]]]]:
    rnd = random.Random(seed)
    leads = []
    for i in range(n):
        lead = {
            "lead_id": f"L{i}",
            "seniority": rnd.choice(["ic", "manager", "director", "vp", "cxo", None]),
            "company_size": rnd.choice([None, rnd.randint(5, 20_000)]),
            "industry": rnd.choice(["software", "retail", "fintech", "health", None]),
            "country": rnd.choice(["US", "DE", "GB", "BR", None]),
            "email_domain_type": rnd.choice(["business", "business", "personal", None]),
            "title_flag": rnd.choice(["none", "none", "none", "job_seeker", None]),
        }
        events = [
            (rnd.choices(TYPES, TYPE_WEIGHTS)[0], AS_OF - rnd.randint(0, 180 * DAY))
            for _ in range(per_lead)
        ]
        leads.append((lead, events))
    return leads


# -- the baseline: a plain loop over rule data, no code generation ----------------------------
def _in(field, values):  # type: ignore[no-untyped-def]
    return lambda lead: None if lead.get(field) is None else lead[field].lower() in values


FIT = [
    (_in("seniority", {"director", "vp", "cxo"}), 1500),
    (
        lambda lead: (
            None if lead.get("company_size") is None else 100 <= lead["company_size"] <= 5000
        ),
        1000,
    ),
    (_in("industry", {"software", "saas", "fintech"}), 1000),
    (_in("country", {"us", "ca", "gb"}), 500),
    (_in("email_domain_type", {"personal"}), -1000),
    (_in("title_flag", {"job_seeker"}), -3000),
]
# type: (cents, window µs or None, half-life µs or None, cap cents or None)
EVENTS = {
    "demo_request": (3000, 90 * DAY, None, None),
    "pricing_page": (2000, 90 * DAY, 30 * DAY, 4000),
    "webinar_attended": (1000, 90 * DAY, 30 * DAY, 2000),
    "content_download": (500, 90 * DAY, 30 * DAY, 1500),
    "blog_view": (200, 90 * DAY, 30 * DAY, 1000),
    "email_open": (100, 90 * DAY, 30 * DAY, 500),
    "unsubscribe": (-2000, 90 * DAY, None, None),
}


def baseline(
    lead: dict, events: list[tuple[str, int]], as_of: int
) -> tuple[int, int, int, str | None]:
    fit = 0
    for predicate, cents in FIT:
        if predicate(lead):
            fit += cents
    fit = min(fit, 6000)
    sums: dict[str, int] = {}
    recent = demo_recent = 0
    for etype, ts in events:
        if ts > as_of:
            continue
        age = as_of - ts
        if age <= 30 * DAY:
            recent += 1
        if etype == "demo_request" and age <= 14 * DAY:
            demo_recent += 1
        rule = EVENTS.get(etype)
        if rule is None:
            continue
        cents, window, half_life, _cap = rule
        if window is not None and age > window:
            continue
        amount = (
            abs(cents)
            if half_life is None
            else math.floor(abs(cents) * 0.5 ** (age / half_life) + 0.5)
        )
        sums[etype] = sums.get(etype, 0) + (amount if cents > 0 else -amount)
    engagement = 0
    for etype, total in sums.items():
        cap = EVENTS[etype][3]
        engagement += total if cap is None else min(total, cap)
    engagement = min(engagement, 6000)
    score = fit + engagement
    tier = None
    if fit >= 2500 and demo_recent > 0:
        tier = "hot"
    elif fit >= 2500 and score >= 5000 and recent >= 3:
        tier = "mql"
    elif engagement >= 2000:
        tier = "mql-light"
    return fit, engagement, score, tier


def rate(fn, leads) -> float:  # type: ignore[no-untyped-def]
    gc.collect()
    gc.disable()
    started = time.perf_counter()
    for lead, events in leads:
        fn(lead, events, AS_OF)
    elapsed = time.perf_counter() - started
    gc.enable()
    return len(leads) / elapsed


def percentiles(samples: list[int]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000  # noqa: E731
    return {
        "p50": pick(0.5),
        "p90": pick(0.9),
        "p99": pick(0.99),
        "mean": statistics.fmean(ordered) / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    compiled = load_compiled(text=DEFINITION)
    scorer = Scorer(compiled)
    leads = make_leads(args.leads, args.events, args.seed)

    # The baseline must compute the same thing, or the comparison means nothing.
    tiers = [t.name for t in compiled.tiers]
    for lead, events in leads[:5000]:
        raw = scorer.raw(lead, events, AS_OF)
        ours = (raw.fit, raw.engagement, raw.total, tiers[raw.tier] if raw.tier >= 0 else None)
        assert ours == baseline(lead, events, AS_OF), (lead, ours, baseline(lead, events, AS_OF))

    generated = rate(scorer.raw, leads)
    full = rate(
        lambda lead, events, as_of: scorer.score(lead, events, as_of=as_of),
        leads[: max(1, len(leads) // 5)],
    )
    plain = rate(baseline, leads)

    # Incremental: states that already hold ~N events, then one more event each, timed.
    states = []
    for lead, events in leads[: min(len(leads), 20_000)]:
        state = LeadState(scorer, lead)
        for etype, ts in sorted(events, key=lambda e: e[1])[:-1]:
            state.add(etype, ts)
        states.append((state, events[-1]))
    samples = []
    clock = time.perf_counter_ns
    gc.collect()
    gc.disable()
    for state, (etype, ts) in states:
        at = max(ts, state.newest or ts)
        started = clock()
        state.add(etype, at)
        state.rescore_raw(at)
        samples.append(clock() - started)
    gc.enable()
    inc = percentiles(samples)
    rescratch = []
    for lead, events in leads[: len(states)]:
        started = clock()
        baseline(lead, events, AS_OF)
        rescratch.append(clock() - started)
    base_inc = percentiles(rescratch)

    print(f"leadgate evaluator benchmark: {args.leads:,} leads x {args.events} events, one core")
    print(f"{'figure':48} {'leadgate':>12} {'baseline':>12} {'ratio':>7} {'target':>14}")
    rows = [
        (
            "batch: leads/s (generated function, raw)",
            generated,
            plain,
            generated / plain,
            ">= 25,000/s",
            generated >= 25_000,
        ),
        ("batch: leads/s (Score with explanation)", full, plain, full / plain, "(info)", True),
        (
            "incremental: apply one event, p50 µs",
            inc["p50"],
            base_inc["p50"],
            base_inc["p50"] / inc["p50"],
            "< 20 µs",
            inc["p50"] < 20,
        ),
        (
            "incremental: p90 µs",
            inc["p90"],
            base_inc["p90"],
            base_inc["p90"] / inc["p90"],
            "(info)",
            True,
        ),
        (
            "incremental: p99 µs",
            inc["p99"],
            base_inc["p99"],
            base_inc["p99"] / inc["p99"],
            "(info)",
            True,
        ),
    ]
    for name, ours, base, ratio, target, ok in rows:
        verdict = "" if target == "(info)" else ("PASS" if ok else "FAIL")
        print(f"{name:48} {ours:>12,.1f} {base:>12,.1f} {ratio:>6.2f}x {target:>14} {verdict}")
    print(
        "baseline: a plain Python loop over rule data doing the same arithmetic "
        "(checked equal on 5,000 leads); ratio > 1 means leadgate is faster"
    )


if __name__ == "__main__":
    main()
