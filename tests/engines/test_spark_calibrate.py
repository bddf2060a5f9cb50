"""``calibrate --engine spark``: each lead's features as of its decision time, on Spark, equal
DuckDB's for every lead and column; the proposal is the same; nothing after a decision counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from leadgate.calibrate.dataset import load_table
from leadgate.calibrate.matrix import StoreExtraction, candidate_features
from leadgate.definition import CompiledDefinition
from leadgate.engines.features import SparkExtraction
from leadgate.project import Project
from leadgate.store import Store

OUTCOME = "sql"
#: Reads the account (engaged contacts, intent): Spark replays each account's other leads
#: beside a decided one, as DuckDB does.
ACCOUNT_RULES = """
    - {name: busy account, when: "engaged_contacts(30d) >= 2", points: 10}
    - {name: account intent, when: "intent('*', 30d) >= 40", points: 10}
"""


def feature_matrix_definition(
    store: Store, current: CompiledDefinition, as_of: dt.datetime
) -> tuple[CompiledDefinition, list[str]]:
    """The throw-away definition of the features calibration builds, and the lead ids."""
    table = load_table(store, OUTCOME, as_of)
    counts = StoreExtraction(store).event_counts(as_of)
    rows = np.arange(len(table.y))
    found = candidate_features(current, table, counts, rows, windows=(None, "30d"))
    return found.definition(), table.lead_ids


@pytest.fixture(scope="module")
def current(history: tuple[Project, dict[str, str]], tmp_path_factory: Any) -> CompiledDefinition:
    """The project's definition with two rules that read the account added."""
    project, _ = history
    text = (project.root / "definition.yaml").read_text()
    path = tmp_path_factory.mktemp("def") / "account.yaml"
    path.write_text(text.replace("  rules:\n", "  rules:\n" + ACCOUNT_RULES.lstrip("\n"), 1))
    return project.compiled(path)


@pytest.fixture(scope="module")
def matrices(
    spark: Any, history: tuple[Project, dict[str, str]], current: CompiledDefinition
) -> dict[str, Any]:
    """The features as of each lead's decision, by both engines (the current definition's
    scores are compared through the calibration's own comparison, below)."""
    project, lake = history
    as_of = project.clock.now()
    with project.store() as store:
        duck, on_spark = StoreExtraction(store), SparkExtraction(spark, lake, store)
        c, lead_ids = feature_matrix_definition(store, current, as_of)
        return {
            "c": c,
            "lead_ids": lead_ids,
            "counts": (duck.event_counts(as_of), on_spark.event_counts(as_of)),
            "verdicts": (duck.verdicts(c, as_of, lead_ids), on_spark.verdicts(c, as_of, lead_ids)),
            "decided": store.scalar("SELECT count(DISTINCT lead_id) FROM outcomes"),
        }


def test_decision_time_features_are_the_same_on_spark(matrices: dict[str, Any]) -> None:
    counts, found = matrices["counts"]
    assert found == counts
    assert matrices["decided"] >= 100  # many leads are read as of a decision, not the as-of time
    expected, found = matrices["verdicts"]
    assert expected.shape == found.shape and expected.shape[1] > 40
    assert set(np.unique(expected)) == {-1, 0, 1}
    differ = np.argwhere(found != expected)
    c, lead_ids = matrices["c"], matrices["lead_ids"]
    assert differ.size == 0, [(lead_ids[r], c.fit_rules[k].expr.text) for r, k in differ[:5]]


def test_calibrate_on_spark_proposes_the_same_points(
    spark: Any, history: tuple[Project, dict[str, str]]
) -> None:
    project, _ = history
    expected = project.calibrate(outcome=OUTCOME, folds=3).as_dict()
    found = project.calibrate(outcome=OUTCOME, folds=3, engine="spark", spark=spark)
    assert [r["points"] for r in expected["rules"]].count(0) < len(expected["rules"])
    assert expected["auc"]["current"] is not None  # the current scores were compared too
    assert found.as_dict() == expected


def planted(
    lake: dict[str, str], folder: Path, rows: list[tuple[str, str, dt.datetime]]
) -> dict[str, str]:
    """The lake with ``rows`` (lead_id, type, ts) added to its events."""
    path = folder / "events.parquet"
    con = duckdb.connect()
    con.execute("CREATE TABLE e AS SELECT * FROM read_parquet(?)", [lake["events"]])
    con.executemany("INSERT INTO e VALUES (?, ?, ?)", rows)
    con.execute(f"COPY e TO '{path}' (FORMAT parquet)")
    return {**lake, "events": str(path)}


def test_an_event_after_the_decision_changes_nothing_on_spark(
    spark: Any,
    history: tuple[Project, dict[str, str]],
    matrices: dict[str, Any],
    tmp_path: Path,
) -> None:
    """A burst of demo requests after a lead's first outcome (before the as-of time) leaves
    its features as they were; the same burst on a lead never decided is read."""
    project, lake = history
    as_of = project.clock.now()
    c, lead_ids = matrices["c"], matrices["lead_ids"]
    _, was = matrices["verdicts"]
    with project.store() as store:
        decided, at = store.execute(
            "SELECT lead_id, min(ts) FROM outcomes GROUP BY lead_id"
            " HAVING min(ts) < ? - INTERVAL 20 DAY ORDER BY lead_id LIMIT 1",
            [as_of],
        ).fetchone()
        undecided = store.scalar(
            "SELECT min(lead_id) FROM leads WHERE lead_id NOT IN (SELECT lead_id FROM outcomes)"
        )
        burst = [
            (lead, "demo_request", when + dt.timedelta(hours=h))
            for h in (1, 2, 3)
            for lead, when in ((decided, at), (undecided, as_of - dt.timedelta(days=2)))
        ]
        now = SparkExtraction(spark, planted(lake, tmp_path, burst), store).verdicts(
            c, as_of, lead_ids
        )
    rows = [lead_ids.index(decided), lead_ids.index(undecided)]
    assert np.array_equal(now[rows[0]], was[rows[0]])
    assert not np.array_equal(now[rows[1]], was[rows[1]])  # the plant is read where it may be
    assert np.array_equal(np.delete(now, rows[1], axis=0), np.delete(was, rows[1], axis=0))
