"""Each lead is read as of its decision time: its MQL entry (events up to it count), else
its first outcome (events before it count), else the as-of time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from leadgate.calibrate.decision import decided_scores
from leadgate.definition import load_compiled
from leadgate.store import Store

AS_OF = dt.datetime(2026, 1, 1, 12)
T = dt.datetime(2025, 10, 1, 15, 30)
COUNTS = """
name: counts
version: '1'
fit:
  rules:
    - {name: one, when: count(pricing_page) >= 1, points: 1}
    - {name: two, when: count(pricing_page) >= 2, points: 1}
    - {name: three, when: count(pricing_page) >= 3, points: 1}
"""


def test_events_count_up_to_the_decision_and_never_after(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    hour = dt.timedelta(hours=1)
    # m: MQL entry at T; o: first outcome (rejected) at T, won later; n: neither.
    for lead in "mon":
        created = T - dt.timedelta(days=40)
        store.execute("INSERT INTO leads (lead_id, created_at) VALUES (?, ?)", [lead, created])
        for i, ts in enumerate([T - 30 * hour, T - 2 * hour, T + hour, AS_OF - hour]):
            store.execute(
                "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, ?, 'pricing_page', ?)",
                [f"{lead}{i}", lead, ts],
            )
    store.execute("INSERT INTO events (event_id, lead_id, type, ts) VALUES "
                  "('after', 'n', 'pricing_page', ?)", [AS_OF + hour])  # fmt: skip
    store.execute("INSERT INTO lead_handoff (lead_id, mql_at) VALUES ('m', ?)", [T])
    for i, (kind, ts) in enumerate([("rejected", T), ("won", T + 50 * hour)]):
        store.execute(
            "INSERT INTO outcomes (outcome_id, lead_id, outcome, ts) VALUES (?, 'o', ?, ?)",
            [f"x{i}", kind, ts],
        )
    c = load_compiled(text=COUNTS)
    data = decided_scores(store, c, AS_OF, "lead_id, total", details=True)
    total = dict(zip(data["lead_id"].tolist(), data["total"].tolist(), strict=True))
    # Read to the second: the events 30 hours and 2 hours before T count (the one 2 hours
    # before, on T's own day, made the lead an MQL: a day's grid lost it), the one after T
    # never does. A lead never decided is read as of AS_OF.
    assert total == {"m": 2.0, "o": 2.0, "n": 3.0}


def test_the_event_a_second_before_the_decision_counts_the_one_at_it_does_not(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "s.duckdb")
    second = dt.timedelta(seconds=1)
    store.execute("INSERT INTO leads (lead_id, created_at) VALUES ('o', ?)", [T - 40 * second])
    for i, ts in enumerate([T - second, T]):
        store.execute("INSERT INTO events (event_id, lead_id, type, ts) VALUES "
                      "(?, 'o', 'pricing_page', ?)", [f"e{i}", ts])  # fmt: skip
    store.execute("INSERT INTO outcomes (outcome_id, lead_id, outcome, ts) VALUES "
                  "('x', 'o', 'rejected', ?)", [T])  # fmt: skip
    data = decided_scores(store, load_compiled(text=COUNTS), AS_OF, "total", details=True)
    assert data["total"].tolist() == [1.0]
