"""Live volume: thresholds are cut on each lead's peak before its decision, and the
comparison at the same volume takes a tie in part, never whole or not at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from leadgate.calibrate.features import Feature
from leadgate.calibrate.peaks import peak_points
from leadgate.calibrate.thresholds import at_threshold, at_volume
from leadgate.store import Store

AS_OF = dt.datetime(2026, 1, 1)
T = dt.datetime(2025, 10, 1, 12)
BURST = Feature("2+ pricing_page in 7d", "count(pricing_page, 7d) >= 2", None, "engagement",
                "events")  # fmt: skip
EVER = Feature("1+ webinar_attended", "count(webinar_attended) >= 1", None, "engagement",
               "events")  # fmt: skip


def _lead(store: Store, lead: str, events: list[tuple[str, dt.datetime]]) -> None:
    store.execute("INSERT INTO leads (lead_id, created_at) VALUES (?, ?)",
                  [lead, T - dt.timedelta(days=60)])  # fmt: skip
    for i, (kind, ts) in enumerate(events):
        store.execute("INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, ?, ?, ?)",
                      [f"{lead}{i}", lead, kind, ts])  # fmt: skip


def test_a_burst_that_passed_before_the_decision_still_counts_at_its_peak(tmp_path: Path):
    store = Store(tmp_path / "s.duckdb")
    day = dt.timedelta(days=1)
    # b: two pricing views 40 days before its decision (rejected at T): by then the 7-day
    # window is empty, but live it was an MQL that week. q: never a burst. w: a webinar
    # after its decision, which must not count.
    _lead(store, "b", [("pricing_page", T - 40 * day), ("pricing_page", T - 39 * day)])
    _lead(store, "q", [("pricing_page", T - 40 * day)])
    _lead(store, "w", [("webinar_attended", T + day)])
    for lead in "bqw":
        store.execute("INSERT INTO outcomes (outcome_id, lead_id, outcome, ts) VALUES "
                      "(?, ?, 'rejected', ?)", [f"o{lead}", lead, T])  # fmt: skip
    peak = peak_points(store, [BURST, EVER], np.array([30, 5]), {}, [], AS_OF, ["b", "q", "w"])
    assert peak is not None
    assert peak.tolist() == [30.0, 0.0, 0.0]


def test_no_events_and_no_intent_means_no_replay(tmp_path: Path):
    store = Store(tmp_path / "s.duckdb")
    store.execute("INSERT INTO leads (lead_id, created_at) VALUES ('a', ?)", [T])
    assert peak_points(store, [BURST], np.array([30]), {}, [], AS_OF, ["a"]) is None


@given(st.lists(st.tuples(st.integers(0, 4), st.booleans()), min_size=2, max_size=40),
       st.data())  # fmt: skip
def test_at_volume_takes_exactly_the_volume_and_a_tie_in_proportion(rows, data):
    score = np.array([s for s, _ in rows], dtype=float)
    y = np.array([c for _, c in rows], dtype=np.int8)
    n = data.draw(st.integers(1, len(rows)))
    got = at_volume(score, y, n)
    assert got["mqls"] == n
    # Without ties at the cut, it is the threshold's own figure; with them, the average over
    # every way of breaking the tie, which lies between taking the tie whole and leaving it.
    cut = np.sort(score)[::-1][n - 1]
    whole, none = at_threshold(score, y, cut), at_threshold(score, y, cut + 0.5)
    if whole["mqls"] == n:
        assert got["precision"] == whole["precision"]
    caught = got["precision"] * n
    assert (none["mqls"] * (none["precision"] or 0)) - 1e-3 <= caught
    assert caught <= whole["mqls"] * whole["precision"] + 1e-3


def test_half_a_tie_counts_half_its_conversions():
    # Two leads tied at 2 for one place: one of them converted, so the place is worth half.
    got = at_volume(np.array([3, 2, 2, 1]), np.array([1, 1, 0, 0]), 2)
    assert (got["mqls"], got["precision"], got["recall"]) == (2, 0.75, 0.75)
