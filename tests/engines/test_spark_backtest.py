"""``backtest --engine spark``: the replay on Spark measures what DuckDB's does, lead by lead."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from leadgate import cli
from leadgate.engines.backtest import spark_backtest
from leadgate.project import Project
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


@pytest.mark.parametrize("definition", [DECAYED, WINDOWED, ACCOUNT], ids=["decayed", "windowed",
                                                                         "account"])  # fmt: skip
def test_spark_backtest_equals_duckdb(
    spark: Any, history: tuple[Project, dict[str, str]], definition: str, tmp_path: Path
) -> None:
    project, lake = history
    path = tmp_path / "d.yaml"
    path.write_text(definition)
    compiled = project.compiled(path)
    end = project.clock.now().date()
    start = end - dt.timedelta(days=120)
    expected = project.backtest(path, start=start, end=end, outcomes=OUTCOMES)
    with project.store() as store:
        found = spark_backtest(spark, store, compiled, lake, start, end, outcomes=OUTCOMES)
    assert expected.mqls >= 20 and expected.converters >= 5  # enough to differ
    assert figures(found) == figures(expected)
    assert found.pairs >= expected.leads


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
