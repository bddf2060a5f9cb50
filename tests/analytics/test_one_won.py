"""A deal won is one fact, wherever it was recorded: sales marking a lead won here (with
its amount) or a won outcome imported from the CRM (its lead named by an alias). The
funnel, the backtest, the calibration's labels and the forecast's deal size all count it
(they read the one ``lead_outcomes`` relation)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from leadgate.project import Project

from ..api.sample import T0, Clock, make_sample

LATER = T0 + dt.timedelta(days=3)


def won_project(tmp_path: Path) -> Project:
    clock = Clock(T0 + dt.timedelta(hours=1))
    project = make_sample(tmp_path / "p", clock)
    for action in ("accept", "sql", "opportunity"):
        project.act("l1", action, actor="user:ana")
    clock.at = LATER
    project.act("l1", "won", actor="user:ana", amount=12_000.5)
    with project.store() as store:
        store.execute("INSERT INTO lead_aliases (alias, lead_id) VALUES ('crm-5', 'l5')")
        store.execute(
            "INSERT INTO outcomes (outcome_id, lead_id, outcome, value, ts) VALUES "
            "('o1', 'crm-5', 'won', 500, ?), ('o2', 'l2', 'won', -3, ?)",
            [LATER, LATER],
        )
    return project


def test_won_here_and_won_imported_count_alike_everywhere(tmp_path: Path) -> None:
    project = won_project(tmp_path)
    as_of = (LATER + dt.timedelta(days=1)).replace(tzinfo=dt.timezone.utc)
    with project.store() as store:
        won = store.execute(
            "SELECT lead_id, value, recorded_by FROM lead_outcomes WHERE outcome = 'won' "
            "ORDER BY lead_id"
        ).fetchall()
    assert won == [("l1", 12_000.5, "stage"), ("l2", -3.0, "import"), ("l5", 500.0, "import")]

    funnel = project.funnel(window=None, as_of=as_of)
    assert funnel.total.won == 3

    forecast = project.forecast(plan={"2026-04": 100}, as_of=as_of)
    assert forecast.deal_size == (12_000.5 + 500) / 2  # -3 is left out, and said so
    assert any("zero or less" in w for w in forecast.warnings)

    result = project.backtest(start=T0.date(), end=LATER.date() + dt.timedelta(days=1))
    # every deal was won within its 90-day window, which is still open: censored, but
    # each is a converter the definition caught
    assert (result.converters, result.caught, result.censored) == (3, 3, 4)


def test_the_calibration_labels_read_the_same_wins(tmp_path: Path) -> None:
    from leadgate.calibrate.dataset import _label_sql

    project = won_project(tmp_path)
    sql, params = _label_sql("won", {}, LATER + dt.timedelta(days=1))
    with project.store() as store:
        labels = dict(
            store.execute(f"SELECT l.lead_id, {sql} FROM leads l ORDER BY 1", params).fetchall()
        )
    assert labels == {"l1": 1, "l2": 1, "l3": 0, "l4": 0, "l5": 1, "l6": 0}
