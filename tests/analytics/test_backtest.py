"""Backtest and compare on real DuckDB files: worked numbers, no leak, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from leadgate.analytics import carry, replay
from leadgate.analytics.backtest import backtest
from leadgate.analytics.compare import TIERS_ONLY, compare
from leadgate.analytics.replay import BacktestError, Grid, replay_path, replay_states
from leadgate.clock import FixedClock
from leadgate.definition import load_compiled
from leadgate.project import init_project
from leadgate.scoring import score_store
from leadgate.scoring.evaluate import from_micros
from leadgate.store import Store
from leadgate.testing import generate

from ..cli import leadgate

DEFINITION = """
name: demo-asks
version: '1'
fit:
  rules:
    - {name: big, when: company_size >= 100, points: 30}
engagement:
  events:
    - {type: demo_request, points: 30}
    - {type: pricing_page, points: 10}
tiers:
  - {name: hot, when: fit >= 30 and engagement >= 30}
  - {name: nurture, when: engagement >= 10, sales: false}
"""
START, END = dt.date(2025, 1, 1), dt.date(2025, 3, 31)


def at(day: int, hour: int = 12) -> dt.datetime:
    """Day ``day`` of the replay (0: START) at ``hour``."""
    return dt.datetime.combine(START, dt.time(hour)) + dt.timedelta(days=day)


def worked_store(path: Path) -> Store:
    """Five leads whose MQL days, conversions and misses are known by hand.

    a: big, demo on day 10, won on day 40           -> MQL day 10, converted, caught
    b: big, demo on day 20, never won               -> MQL day 20, not converted
    c: small, demo on day 5, won on day 30          -> never MQL (fit), missed
    d: big, demo on day 50 (created day 45), won day 50 at 09:00 -> MQL day 50, too late
    e: big, demo on day 80                          -> MQL day 80, window open: censored
    """
    store = Store(path)
    leads = [("a", 500, 0), ("b", 200, 0), ("c", 10, 0), ("d", 300, 45), ("e", 150, 2)]
    for lead_id, size, created in leads:
        store.execute(
            "INSERT INTO leads (lead_id, company_size, created_at) VALUES (?, ?, ?)",
            [lead_id, size, at(created, 0)],
        )
    events = [("a", 10), ("b", 20), ("c", 5), ("d", 50), ("e", 80)]
    for i, (lead_id, day) in enumerate(events):
        store.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, ?, 'demo_request', ?)",
            [f"e{i}", lead_id, at(day)],
        )
    won = [("a", at(40)), ("c", at(30)), ("d", at(50, 9)), ("b", at(200))]
    for i, (lead_id, ts) in enumerate(won):
        store.execute(
            "INSERT INTO outcomes (outcome_id, lead_id, outcome, ts) VALUES (?, ?, 'won', ?)",
            [f"o{i}", lead_id, ts],
        )
    return store


def test_worked_backtest(tmp_path: Path) -> None:
    store = worked_store(tmp_path / "store.duckdb")
    c = load_compiled(text=DEFINITION)
    r = backtest(store, c, START, END, window_days=30, observed_until=at(100))
    assert r.days == 90 and r.leads == 5
    assert r.mqls == 4  # a, b, d, e
    assert [(m.month, m.mqls) for m in r.months] == [("2025-01", 2), ("2025-02", 1), ("2025-03", 1)]
    # a: won 30 days after its MQL day (inside the window); b: won after 180 days;
    # d: won before its MQL instant (end of day 50); e: MQL day 80 + 30 > day 100: censored.
    assert (r.complete, r.converted, r.censored) == (3, 1, 1)
    assert r.precision == pytest.approx(1 / 3, abs=1e-4)
    assert sum(m.converted_before_mql for m in r.months) == 1
    # Converters in the span: a (caught), c (never MQL), d (MQL only after converting).
    assert (r.converters, r.caught) == (3, 1)
    assert (r.missed.count, r.missed.never_mql, r.missed.mql_after_converting) == (3 - 1, 1, 1)
    assert r.missed.sample == ["c", "d"]
    # Days from first touch (created at START's midnight, or the event) to the MQL day's end.
    # a: 11, b: 21, d: created day 45, MQL day 50: 6, e: created day 2, MQL day 80: 79.
    assert r.median_days_to_mql == pytest.approx((11 + 21) / 2, abs=0.01)
    assert r.end_tiers == {"hot": 4, "nurture": 1}
    assert json.loads(json.dumps(r.as_dict()))["missed"]["sample"] == ["c", "d"]


def test_first_touch_is_the_earliest_event_even_before_the_lead_was_created(
    tmp_path: Path,
) -> None:
    """f: big, a pricing page on day 12 (anonymous, joined when it was identified on day
    30) and a demo on day 40 -> touched on day 12 at noon, MQL day 40: 28.5 days. g: no
    event at all, still a lead of the backtest."""
    store = Store(tmp_path / "store.duckdb")
    for lead_id, created in (("f", 30), ("g", 0)):
        store.execute(
            "INSERT INTO leads (lead_id, company_size, created_at) VALUES (?, 500, ?)",
            [lead_id, at(created, 0)],
        )
    for i, (kind, day) in enumerate([("pricing_page", 12), ("demo_request", 40)]):
        store.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, 'f', ?, ?)",
            [f"e{i}", kind, at(day)],
        )
    r = backtest(store, load_compiled(text=DEFINITION), START, END, observed_until=at(100))
    assert (r.leads, r.mqls) == (2, 1)
    assert r.median_days_to_mql == pytest.approx(28.5, abs=0.01)


def test_weekly_replay_finds_mqls_on_the_first_replay_day_after(tmp_path: Path) -> None:
    store = worked_store(tmp_path / "store.duckdb")
    c = load_compiled(text=DEFINITION)
    r = backtest(store, c, START, END, step="week", window_days=30, observed_until=at(100))
    states = {
        (lead, k): t for lead, k, t in replay_states(store, c, Grid.between(START, END, "week"))
    }
    # a's demo (day 10) shows on week 2 (day 14); nothing of a changes on week 1: no pair.
    assert states[("a", 0)] == -1 and ("a", 1) not in states and states[("a", 2)] == 0
    assert r.mqls == 4 and r.step == "week" and r.days == 13


def test_future_events_outcomes_and_leads_change_nothing_up_to_the_day(tmp_path: Path) -> None:
    """The no-leak test: everything planted after day D leaves days up to D as they were."""
    data = generate(seed=3, accounts=40, leads=300)
    project = init_project(tmp_path / "p", clock=FixedClock(dt.datetime(2026, 1, 1)))
    paths = data.write(project.root / "data", "parquet")
    for kind in ("accounts", "leads", "events", "intent", "outcomes"):
        project.import_file(paths[kind], kind)
    c = project.compiled()
    start, day = dt.date(2025, 6, 1), dt.date(2025, 7, 15)
    grid = Grid.between(start, day)
    with project.store() as store:
        before = replay_states(store, c, grid)
        result = backtest(store, c, start, day, observed_until=dt.datetime(2026, 1, 1))
        assert result.mqls > 0
        after = dt.datetime.combine(day, dt.time()) + dt.timedelta(days=1, seconds=1)
        lead = before[0][0]
        store.execute(
            "INSERT INTO leads (lead_id, account_id, company_size, created_at)"
            " SELECT 'future', account_id, 1000, ? FROM leads WHERE lead_id = ?",
            [after, lead],
        )
        for i, kind in enumerate(["demo_request", "contact_sales", "pricing_page", "chat"]):
            for who in (lead, "future"):
                store.execute(
                    "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, ?, ?, ?)",
                    [f"planted-{who}-{i}", who, kind, after],
                )
        store.execute(
            "INSERT INTO intent_signals SELECT 'planted', account_id, 'accounts payable"
            " automation', 100, ? FROM leads WHERE lead_id = ? AND account_id IS NOT NULL",
            [after, lead],
        )
        store.execute(
            "INSERT INTO outcomes (outcome_id, lead_id, outcome, ts) VALUES ('p', ?, 'won', ?)",
            [lead, after],
        )
        assert replay_states(store, c, grid) == before
        again = backtest(store, c, start, day, observed_until=dt.datetime(2026, 1, 1))
        assert (again.mqls, again.months, again.end_tiers) == (
            result.mqls,
            result.months,
            result.end_tiers,
        )
        # The planted lead exists from the next day on: the replay reads it then.
        later = Grid.between(start, day + dt.timedelta(days=1))
        assert "future" in {lead_id for lead_id, _, _ in replay_states(store, c, later)}
        assert "future" not in {lead_id for lead_id, _, _ in before}


def test_compare_names_the_tier_changes_and_the_rule_that_moved_them(tmp_path: Path) -> None:
    store = worked_store(tmp_path / "store.duckdb")
    a = load_compiled(text=DEFINITION)
    b = load_compiled(text=DEFINITION.replace("company_size >= 100", "company_size >= 5"))
    same = compare(store, a, a, START, END, observed_until=at(100))
    assert (same.changed, same.changes, same.rules) == (0, [], [])
    r = compare(store, a, b, START, END, window_days=30, observed_until=at(100))
    assert (r.a.mqls, r.b.mqls) == (4, 5)
    assert (r.mql_only_a, r.mql_only_b) == (0, 1)
    assert [(ch.from_tier, ch.to_tier, ch.leads, ch.sample) for ch in r.changes] == [
        ("nurture", "hot", 1, ["c"])
    ]
    assert [(m.rule, m.leads) for m in r.rules] == [("fit:big", 1)]
    # A threshold alone moves leads with no rule scored differently.
    t = load_compiled(text=DEFINITION.replace("engagement >= 30}", "engagement >= 40}"))
    moved = compare(store, a, t, START, END, observed_until=at(100))
    assert [(m.rule, m.leads) for m in moved.rules] == [(TIERS_ONLY, 4)]


def test_bad_spans_are_clear_errors(tmp_path: Path) -> None:
    store = worked_store(tmp_path / "store.duckdb")
    c = load_compiled(text=DEFINITION)
    with pytest.raises(BacktestError, match="before --from"):
        backtest(store, c, END, START)
    with pytest.raises(BacktestError, match="step must be one of"):
        backtest(store, c, START, END, step="month")
    with pytest.raises(BacktestError, match="window_days"):
        backtest(store, c, START, END, window_days=0)


def test_cli_backtest_and_compare(tmp_path: Path) -> None:
    project = init_project(tmp_path / "p")
    store_path = project.store_path
    worked_store(store_path).close()
    (project.root / "definition.yaml").write_text(DEFINITION)
    wider = DEFINITION.replace("company_size >= 100", "company_size >= 5")
    (project.root / "wider.yaml").write_text(wider)
    span = ["--from", "2025-01-01", "--to", "2025-03-31"]
    out = leadgate("backtest", *span, "--window", "30", "--json", cwd=project.root)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["mqls"] == 4
    table = leadgate("backtest", *span, "--step", "week", cwd=project.root)
    assert table.returncode == 0, table.stderr
    assert "MQLs by month" in table.stdout and "Missed:" in table.stdout
    cmp = leadgate("compare", "definition.yaml", "wider.yaml", *span, "--json", cwd=project.root)
    assert cmp.returncode == 0, cmp.stderr
    body = json.loads(cmp.stdout)
    assert body["changes"][0]["sample"] == ["c"] and body["rules"][0]["rule"] == "fit:big"
    text = leadgate("compare", "definition.yaml", "wider.yaml", *span, cwd=project.root)
    assert "fit:big" in text.stdout and "side by side" in text.stdout
    bad = leadgate("backtest", "--from", "2025-13-01", cwd=project.root)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


TRUE_DEFINITION = """
name: truth
version: '1'
fit:
  rules:
    - {name: senior, when: "seniority in ['director', 'vp', 'cxo']", points: 20}
    - {name: manager, when: "seniority = 'manager'", points: 7}
    - {name: big, when: company_size >= 200, points: 10}
    - {name: personal, when: "email_domain_type = 'personal'", points: -10}
engagement:
  window: 30d
  events:
    - {type: demo_request, points: 25}
    - {type: contact_sales, points: 25}
    - {type: live_demo, points: 25}
    - {type: pricing_page, points: 7, cap: 21}
disqualifiers:
  - {name: student, when: "email_domain_type in ['student', 'disposable']", reason: student}
tiers:
  - {name: mql, when: score >= 45}
"""
#: Points on what the generator makes every active lead do, whoever buys: folklore.
RANDOM_DEFINITION = """
name: folklore
version: '1'
engagement:
  window: 30d
  events:
    - {type: blog_view, points: 10}
    - {type: careers_page, points: 10}
    - {type: email_open, points: 5}
tiers:
  - {name: mql, when: score >= 25}
"""


def test_the_true_definition_beats_a_random_one(tmp_path: Path) -> None:
    """On generated data whose buyers are known, the definition built from the true drivers
    (seniority, size, demo and pricing activity) converts far better than one scoring
    background activity (recall is not compared: the two make different volumes)."""
    data = generate(seed=11, accounts=150, leads=1_200)
    project = init_project(tmp_path / "p", clock=FixedClock(data.end))
    for kind, path in data.write(tmp_path / "data", "parquet").items():
        project.import_file(path, kind)
    (project.root / "truth.yaml").write_text(TRUE_DEFINITION)
    (project.root / "folklore.yaml").write_text(RANDOM_DEFINITION)
    end = data.end.date()
    found = project.compare(
        project.root / "folklore.yaml", project.root / "truth.yaml",
        start=end - dt.timedelta(days=364), end=end, step="week",
        outcomes=("sql", "opportunity", "won"), window_days=60,
    )  # fmt: skip
    folk, truth = found.a, found.b
    assert folk.complete >= 30 and truth.complete >= 30  # enough MQLs to judge either
    assert truth.precision is not None and folk.precision is not None
    assert truth.precision > 1.5 * folk.precision


WINDOWED = """
name: windowed
version: '1'
engagement:
  events:
    - {type: demo_request, points: 30, window: 10d}
tiers:
  - {name: hot, when: 'engagement >= 30 and count(pricing_page, 5d) >= 1'}
  - {name: warm, when: engagement >= 30, sales: false}
"""


def test_a_window_without_decay_is_evaluated_on_the_days_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No half-life: a lead's inputs change only on an event's day and on the day after a
    window that holds it ends. The carried replay evaluates a lead on its creation day and
    on the days one of its counts changes: an event entering, or leaving the window of the
    rule or count that reads its type (the demo the rule's 10 days, the pricing page the
    count's 5). The general path takes every window's exit for every event. On each of
    those days, and on the days between, the tier is the one a scoring as of that day gives."""
    store = worked_store(tmp_path / "store.duckdb")
    store.execute("INSERT INTO events (event_id, lead_id, type, ts) VALUES "
                  "('p1', 'a', 'pricing_page', ?)", [at(12)])  # fmt: skip
    c = load_compiled(text=WINDOWED)
    grid = Grid.between(START, END)
    assert replay_path(c) == "carried"
    general = replay_states(store, c, grid, general=True)
    days = {lead: [k for i, k, _ in general if i == lead] for lead in "abcde"}
    # a: created on day 0; the demo (day 10) leaves the 5- and 10-day windows on days 15
    # and 20, the pricing page (day 12) on days 17 and 22.
    assert days["a"] == [0, 10, 12, 15, 17, 20, 22]
    assert days["e"] == [2, 80, 85]  # its 10-day exit (day 90) is past the last day (89)
    states = replay_states(store, c, grid)
    days = {lead: [k for i, k, _ in states if i == lead] for lead in "abcde"}
    assert days["a"] == [0, 10, 12, 17, 20]  # the page leaves count(pricing_page, 5d) on 17
    assert days["e"] == [2, 80]
    # Carried a lead at a time and evaluated a pair at a time: the same states.
    monkeypatch.setattr(carry, "CARRY_ROWS", 1)
    monkeypatch.setattr(replay, "CARRIED_CHUNK_PAIRS", 1)
    assert replay_states(store, c, grid) == states
    # One part, summed in slices of one lead, then of two (the last slice of one): the same.
    monkeypatch.setattr(carry, "CARRY_ROWS", 10**9)
    for rows in (1, 10):
        monkeypatch.setattr(carry, "SLICE_ROWS", rows)
        assert replay_states(store, c, grid) == states
    held = dict.fromkeys(range(grid.count), -1)
    for lead, k, tier in states:
        if lead == "a":
            for later in range(k, grid.count):
                held[later] = tier
    for k in range(9, 24):
        as_of = from_micros(grid.instant(k)).replace(tzinfo=None)
        score_store(store, c, as_of)
        got = store.execute(
            "SELECT tier FROM scores WHERE lead_id = 'a' AND as_of = ?", [as_of]
        ).fetchone()
        assert got is not None
        assert got[0] == (c.tiers[held[k]].name if held[k] >= 0 else None), k
    assert {held[12], held[17]} == {0, 1}  # hot on day 12, warm once the page left


def test_an_event_on_a_days_last_microsecond_leaves_its_window_a_day_later(
    tmp_path: Path,
) -> None:
    """A day is replayed as of its last microsecond, and a window of 5 days holds an event
    up to exactly 5 days before that instant. So a page at 23:59:59.999999 on day 12 is
    still inside ``count(pricing_page, 5d)`` as of day 17 and leaves on day 18, while one a
    microsecond earlier leaves on day 17. Both paths of the replay, held between their
    evaluated days, give the tier a scoring as of each day gives."""
    store = Store(tmp_path / "store.duckdb")
    last = at(13, 0) - dt.timedelta(microseconds=1)  # day 12's as-of instant
    for lead_id, page in (("a", last), ("b", last - dt.timedelta(microseconds=1))):
        store.execute("INSERT INTO leads (lead_id, created_at) VALUES (?, ?)", [lead_id, at(0, 0)])
        store.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, ?, 'demo_request', ?),"
            " (?, ?, 'pricing_page', ?)",
            [f"d{lead_id}", lead_id, at(10), f"p{lead_id}", lead_id, page],
        )
    c = load_compiled(text=WINDOWED)
    grid = Grid.between(START, END)
    assert replay_path(c) == "carried"
    expected = {"a": ["hot"] * 6 + ["warm"], "b": ["hot"] * 5 + ["warm"] * 2}  # days 12-18
    for general in (False, True):
        held: dict[str, list[str | None]] = {"a": [], "b": []}
        states = replay_states(store, c, grid, general=general)
        for lead_id in held:
            days = {k: tier for i, k, tier in states if i == lead_id}
            for k in range(12, 19):
                tier = days[max(d for d in days if d <= k)]
                held[lead_id].append(c.tiers[tier].name if tier >= 0 else None)
        assert held == expected, general
    for k in range(12, 19):
        as_of = from_micros(grid.instant(k)).replace(tzinfo=None)
        score_store(store, c, as_of)
        got = dict(
            store.execute(
                "SELECT lead_id, tier FROM scores WHERE as_of = ? ORDER BY 1", [as_of]
            ).fetchall()
        )
        assert got == {lead_id: tiers[k - 12] for lead_id, tiers in expected.items()}, k
