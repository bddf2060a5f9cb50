"""``backtest --engine spark``: the replay on Spark measures what DuckDB's does, lead by lead."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from leadgate import cli
from leadgate.analytics.backtest import SAMPLE, summarize
from leadgate.analytics.replay import Grid, replayed
from leadgate.engines.backtest import (
    converters,
    converters_view,
    measured,
    spark_backtest,
    summarized,
)
from leadgate.project import Project, init_project
from leadgate.scoring.dialects import UnsupportedOnEngine

OUTCOMES = ("accepted", "sql", "won")

#: Decay, windows, a cap and a date field: the DuckDB replay takes its pairs path.
DECAYED = """
name: decayed
version: '1'
fit:
  rules:
    - {name: senior, when: "seniority in ['vp', 'cxo', 'director']", points: 20}
    - {name: big, when: company_size >= 200, points: 15}
engagement:
  half_life: 21d
  window: 60d
  events:
    - {type: demo_request, points: 30, half_life: none, window: 14d}
    - {type: pricing_page, points: 10, cap: 30}
    - {type: webinar_attended, points: 5}
tiers:
  - {name: hot, when: 'score >= 60 and has(demo_request, 14d)', sla: 1h}
  - {name: mql, when: score >= 45, sla: 1d}
  - {name: warm, when: score >= 25, sales: false}
"""
#: Windows without decay: the DuckDB replay carries its counts (another path, same tiers).
WINDOWED = """
name: windowed
version: '1'
fit:
  rules:
    - {name: senior, when: "seniority in ['vp', 'cxo', 'director']", points: 20}
engagement:
  events:
    - {type: demo_request, points: 30, window: 30d}
    - {type: pricing_page, points: 10, window: 7d, cap: 20}
tiers:
  - {name: mql, when: 'score >= 40 and count(pricing_page, 7d) >= 1', sla: 1d}
"""
#: Reads the account: its engaged contacts and intent (every lead of an account replayed).
ACCOUNT = """
name: account
version: '1'
fit:
  rules:
    - {name: intent, when: "intent('*', 30d) >= 50", points: 20}
engagement:
  events:
    - {type: pricing_page, points: 15, window: 30d}
    - {type: demo_request, points: 30, window: 30d}
tiers:
  - {name: mql, when: 'score >= 30 and engaged_contacts(30d) >= 2', sla: 1d}
"""


def figures(result: Any) -> dict[str, Any]:
    """Everything a backtest reports but its timings, pair count and replay path."""
    out = result.as_dict()
    for key in ("seconds", "phases", "pairs", "replay"):
        out.pop(key)
    return out


def written(project: Project, definition: str, folder: Path) -> tuple[Path, dt.date, dt.date]:
    """The definition's file, and the 120 days up to the history's end to replay it on."""
    path = folder / "d.yaml"
    path.write_text(definition)
    end = project.clock.now().date()
    return path, end - dt.timedelta(days=120), end


@pytest.mark.parametrize("definition", [DECAYED, WINDOWED, ACCOUNT], ids=["decayed", "windowed",
                                                                         "account"])  # fmt: skip
def test_spark_backtest_equals_duckdb(
    spark: Any, history: tuple[Project, dict[str, str]], definition: str, tmp_path: Path
) -> None:
    project, lake = history
    path, start, end = written(project, definition, tmp_path)
    compiled = project.compiled(path)
    expected = project.backtest(path, start=start, end=end, outcomes=OUTCOMES)
    with project.store() as store:
        found = spark_backtest(spark, store, compiled, lake, start, end, outcomes=OUTCOMES)
    assert expected.mqls >= 20 and expected.converters >= 5  # enough to differ
    assert figures(found) == figures(expected)
    assert found.pairs >= expected.leads


def test_only_the_mqls_and_converters_rows_reach_the_driver(
    spark: Any, history: tuple[Project, dict[str, str]], tmp_path: Path
) -> None:
    """Spark brings back the rows of the leads with a sales-tier day or a conversion, the
    others as counts per end tier (DuckDB's replay of every lead says which are which),
    and the backtest measured from them is DuckDB's."""
    project, lake = history
    path, start, end = written(project, DECAYED, tmp_path)
    compiled = project.compiled(path)
    grid = Grid.between(start, end, "day")
    marks = ", ".join("?" for _ in OUTCOMES)
    with project.store() as store:
        with replayed(store, compiled, grid, first_sales=True):
            summarize(store, compiled, grid, "everyone")
        store.execute(
            "CREATE TEMP TABLE kept AS SELECT *, mql_k IS NOT NULL OR lead_id IN (SELECT"
            f" lead_id FROM lead_outcomes WHERE outcome IN ({marks})) AS kept FROM everyone",
            list(OUTCOMES),
        )
        wanted = [r[0] for r in store.execute("FROM kept WHERE kept ORDER BY 1").fetchall()]
        others = dict(
            store.execute(
                "SELECT end_tier, count(*) FROM kept WHERE NOT kept GROUP BY 1"
            ).fetchall()
        )
        everyone = int(store.scalar("SELECT count(*) FROM everyone"))
        converters_view(spark, converters(store, OUTCOMES))
        summary = summarized(spark, compiled, lake, grid)
        found = measured(store, compiled, grid, summary, OUTCOMES, 90, None, SAMPLE)
    assert sorted(summary.rows.column("lead_id").to_pylist()) == wanted
    assert summary.others == others
    assert len(wanted) + sum(others.values()) == everyone
    assert 0 < len(wanted) < everyone / 2 and len(others) >= 2  # most leads stay on Spark
    expected = project.backtest(path, start=start, end=end, outcomes=OUTCOMES)
    assert figures(found) == figures(expected)


def test_the_lakes_outcomes_measure_a_backtest_without_the_stores(
    spark: Any, history: tuple[Project, dict[str, str]], tmp_path: Path
) -> None:
    """With ``outcomes`` in ``[engine.tables]``, a project whose store holds nothing
    measures the backtest that the store holding the same outcomes measures on DuckDB:
    converters, conversions and how far the outcomes reach all come from the lake."""
    project, lake = history
    path, start, end = written(project, ACCOUNT, tmp_path)
    outcomes = tmp_path / "outcomes.parquet"
    with project.store() as store:
        store.execute(f"COPY (FROM lead_outcomes) TO '{outcomes}' (FORMAT parquet)")
    empty = init_project(tmp_path / "empty", clock=project.clock)
    with empty.store() as store:
        assert store.scalar("SELECT count(*) FROM lead_outcomes") == 0
        found = spark_backtest(
            spark, store, project.compiled(path), {**lake, "outcomes": str(outcomes)},
            start, end, outcomes=OUTCOMES,
        )  # fmt: skip
    expected = project.backtest(path, start=start, end=end, outcomes=OUTCOMES)
    assert expected.converters >= 5 and expected.complete >= 5
    assert figures(found) == figures(expected)


def test_a_rule_spark_cannot_run_alike_is_refused_before_the_replay(
    spark: Any, history: tuple[Project, dict[str, str]], tmp_path: Path
) -> None:
    project, lake = history
    path = tmp_path / "re2.yaml"
    path.write_text(WINDOWED.replace(
        "tiers:", "  rules:\n    - {name: named group, when: \"title matches '(?P<t>vp)'\", "
        "points: 5}\ntiers:"))  # fmt: skip
    end = project.clock.now().date()
    with project.store() as store, pytest.raises(UnsupportedOnEngine) as refused:
        # A leads path that does not exist: reading anything would fail on it instead.
        missing = {**lake, "leads": str(tmp_path / "missing.parquet")}
        spark_backtest(spark, store, project.compiled(path), missing, end, end)
    assert "Cannot score on spark" in str(refused.value)
    assert "'named group'" in str(refused.value)


def test_backtest_engine_spark_on_the_command_line(
    spark: Any, history: tuple[Project, dict[str, str]]
) -> None:
    """``leadgate backtest --engine spark`` reads ``[engine.tables]``; its JSON is DuckDB's."""
    project, _ = history
    end = project.clock.now().date()
    args = ["-C", str(project.root), "backtest", "--from", str(end - dt.timedelta(days=30)),
            "--to", str(end), "--json"]  # fmt: skip
    runs = {
        engine: CliRunner().invoke(cli.main, [*args, "--engine", engine])
        for engine in ("duckdb", "spark")
    }
    assert all(r.exit_code == 0 for r in runs.values()), [r.output for r in runs.values()]
    duck, on_spark = (json.loads(runs[e].stdout) for e in ("duckdb", "spark"))
    assert on_spark["replay"].startswith("pairs on spark") and duck["leads"] > 0
    for found in (duck, on_spark):
        for key in ("seconds", "phases", "pairs", "replay"):
            found.pop(key)
    assert on_spark == duck
