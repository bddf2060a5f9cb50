"""Calibration on generated leads whose true effects are known, and its as-of discipline.

The truth: log-odds = -3 + 1.6·[enterprise] + 0.8·[pro] + 0.7·log10(size) + 1.0·[3+ pricing
page views], and the region has no effect. Calibration must find the signs and the order;
events and outcomes dated after the as-of time must change nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from leadgate.clock import FixedClock
from leadgate.project import init_project

AS_OF = dt.datetime(2026, 1, 1)
START = dt.datetime(2025, 1, 1)


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _generate(root: Path, n: int = 4000, seed: int = 7) -> dict[str, Path]:
    rng = np.random.default_rng(seed)
    plan = rng.choice(["free", "pro", "enterprise"], n, p=[0.5, 0.3, 0.2])
    size = np.round(10 ** rng.uniform(0.5, 4.0, n))
    region = rng.choice(["north", "south", "east", "west"], n)
    views = rng.poisson(1.5, n)
    created = [START + dt.timedelta(days=int(d)) for d in rng.integers(0, 330, n)]
    logit = -3 + 1.6 * (plan == "enterprise") + 0.8 * (plan == "pro")
    logit = logit + 0.7 * np.log10(size) + 1.0 * (views >= 3)
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    ids = [f"L{i:05d}" for i in range(n)]
    leads = [[i, p, int(s), r, c.isoformat()] for i, p, s, r, c in
             zip(ids, plan, size, region, created, strict=True)]  # fmt: skip
    events = [
        [f"{i}-{k}", i, "pricing_page", (c + dt.timedelta(days=1 + k)).isoformat()]
        for i, v, c in zip(ids, views, created, strict=True)
        for k in range(int(v))
    ]
    outcomes = [[i, "won", (c + dt.timedelta(days=30)).isoformat()]
                for i, w, c in zip(ids, won, created, strict=True) if w]  # fmt: skip
    return {
        "leads": _write(
            root / "leads.csv", ["lead_id", "plan", "size", "region", "created_at"], leads
        ),  # fmt: skip
        "events": _write(root / "events.csv", ["event_id", "lead_id", "type", "ts"], events),
        "outcomes": _write(root / "outcomes.csv", ["lead_id", "outcome", "ts"], outcomes),
    }


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    files = _generate(root)
    project = init_project(root / "p", clock=FixedClock(AS_OF))
    for kind, path in files.items():
        report = project.import_file(path, kind, timezone="UTC")
        assert report.rows_rejected == 0, report.rejects[:3]
    return project, project.calibrate(outcome="won", capacity="40/month")


def test_the_sign_and_order_of_the_true_effects_are_recovered(synthetic):
    _, result = synthetic
    points = {r.when: r.points for r in result.rules}
    assert points["plan = 'enterprise'"] > points["plan = 'pro'"] > points["plan = 'free'"]
    size_bins = [r for r in result.rules if r.column == "size"]
    assert size_bins[0].points != size_bins[-1].points
    by_size = sorted(size_bins, key=lambda r: float(r.when.split(">= ")[-1].split()[0])
                     if ">=" in r.when else -1.0)  # fmt: skip
    assert by_size[-1].points > by_size[0].points  # bigger companies buy more
    pricing = [r for r in result.rules if "count(pricing_page" in r.when]
    assert pricing and max(r.points for r in pricing) > 0
    strongest = max(abs(p) for p in points.values())
    region = [abs(r.points) for r in result.rules if r.column == "region"]
    assert max(region) < strongest / 3  # the region has no effect
    assert result.auc["points"] > 0.7
    assert result.auc["points"] >= result.auc["boosting"] - 0.05  # gives up little, if any


def test_events_and_outcomes_after_the_as_of_time_change_nothing(synthetic, tmp_path):
    project, before = synthetic
    later = AS_OF + dt.timedelta(days=3)
    with project.store() as store:
        ids = [r[0] for r in store.execute(
            "SELECT lead_id FROM leads WHERE lead_id NOT IN (SELECT lead_id FROM outcomes) "
            "ORDER BY lead_id LIMIT 300").fetchall()]  # fmt: skip
    events = [[f"future-{i}-{k}", i, "pricing_page", later.isoformat()]
              for i in ids for k in range(5)]  # fmt: skip
    won = [[i, "won", later.isoformat()] for i in ids]
    project.import_file(_write(tmp_path / "e.csv", ["event_id", "lead_id", "type", "ts"], events),
                        "events", timezone="UTC")  # fmt: skip
    project.import_file(_write(tmp_path / "o.csv", ["lead_id", "outcome", "ts"], won),
                        "outcomes", timezone="UTC")  # fmt: skip
    after = project.calibrate(outcome="won", capacity="40/month")
    assert after.as_dict() == before.as_dict()
    # ... and they do count once the as-of time passes them (the plant is real)
    moved = project.calibrate(outcome="won", capacity="40/month", as_of=later)
    assert moved.conversions == before.conversions + 300


def test_the_calibrated_auc_is_close_to_the_truths(synthetic):
    """On the latest fifth of the leads (the holdout), the points rank the buyers almost as
    well as the true log-odds that drew them: the truth's AUC is the ceiling."""
    from sklearn.metrics import roc_auc_score

    project, result = synthetic
    folder = project.root.parent
    with (folder / "leads.csv").open() as f:
        leads = list(csv.DictReader(f))
    with (folder / "events.csv").open() as f:
        views: dict[str, int] = {}
        for row in csv.DictReader(f):
            views[row["lead_id"]] = views.get(row["lead_id"], 0) + 1
    with (folder / "outcomes.csv").open() as f:
        won = {row["lead_id"] for row in csv.DictReader(f)}
    leads.sort(key=lambda r: (r["created_at"], r["lead_id"]))
    holdout = leads[int(len(leads) * 0.8) :]
    plan = np.array([r["plan"] for r in holdout])
    logit = (1.6 * (plan == "enterprise") + 0.8 * (plan == "pro")
             + 0.7 * np.log10([float(r["size"]) for r in holdout])
             + 1.0 * (np.array([views.get(r["lead_id"], 0) for r in holdout]) >= 3))  # fmt: skip
    truth = roc_auc_score([r["lead_id"] in won for r in holdout], logit)
    assert 0.7 < truth < 0.9
    assert result.auc["points"] >= truth - 0.03
    assert result.auc["points"] <= truth + 0.02  # nothing beats the truth by more than noise


def test_events_after_a_leads_decision_time_change_nothing(tmp_path):
    """Each converted lead gets five pricing-page views a day after its outcome (before the
    as-of time): had the features been read as of the as-of time, ``count(pricing_page)``
    would now all but name the buyers. Read as of each lead's decision time (its first
    outcome), the calibration is the same to the last figure."""
    files = _generate(tmp_path, n=1500, seed=3)
    project = init_project(tmp_path / "p", clock=FixedClock(AS_OF))
    for kind, path in files.items():
        project.import_file(path, kind, timezone="UTC")
    before = project.calibrate(outcome="won", capacity="40/month")
    with project.store() as store:
        decided = store.execute(
            "SELECT lead_id, min(ts) FROM outcomes GROUP BY lead_id ORDER BY lead_id"
        ).fetchall()
    events = [[f"after-{i}-{k}", i, "pricing_page", (ts + dt.timedelta(days=1)).isoformat()]
              for i, ts in decided if ts + dt.timedelta(days=1) < AS_OF
              for k in range(5)]  # fmt: skip
    assert len(events) > 500
    report = project.import_file(
        _write(tmp_path / "after.csv", ["event_id", "lead_id", "type", "ts"], events),
        "events", timezone="UTC",
    )  # fmt: skip
    assert report.rows_loaded == len(events)
    after = project.calibrate(outcome="won", capacity="40/month")
    assert after.as_dict() == before.as_dict()
    # The plant is real: as of the as-of time it is there, and the buyers hold nearly all of
    # the leads with 5+ views.
    with project.store() as store:
        share = store.scalar(
            "SELECT avg((lead_id IN (SELECT lead_id FROM outcomes))::INT) FROM (SELECT lead_id "
            "FROM lead_events WHERE type = 'pricing_page' AND ts <= ? GROUP BY lead_id "
            "HAVING count(*) >= 5)",
            [AS_OF],
        )
    assert share > 0.9
