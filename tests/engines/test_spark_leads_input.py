"""A lake's leads input in which a lead id repeats or is missing is refused by every Spark
entry (scoring, the backtest's replay, calibration's features) before any work, naming the
leads: the store's key keeps a lead to one row, but a lake is read as it is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from leadgate.analytics.replay import Grid
from leadgate.definition import load_compiled
from leadgate.engines.features import SparkExtraction
from leadgate.engines.replay import indexed
from leadgate.engines.spark import SparkSettings, score_on_spark
from leadgate.errors import ConfigError
from leadgate.store import Store
from leadgate.testing.lake import LAKE_AS_OF, LAKE_DEFINITION

COMPILED = load_compiled(text=LAKE_DEFINITION)


def with_leads(lake: dict[str, str], folder: Path, extra: str) -> dict[str, str]:
    """The lake with its leads file rewritten as the leads ``UNION ALL`` the ``extra`` rows."""
    path = folder / "leads.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM '{lake['leads']}' UNION ALL ({extra})) TO '{path}' (FORMAT parquet)"
    )
    return {**lake, "leads": str(path)}


def score(spark: Any, inputs: dict[str, str], out: Path) -> None:
    score_on_spark(spark, COMPILED, LAKE_AS_OF, SparkSettings(inputs, output=str(out)), source="")


def replay(spark: Any, inputs: dict[str, str], out: Path) -> None:
    day = LAKE_AS_OF.date()
    indexed(spark, inputs, Grid.between(day - dt.timedelta(days=30), day), every_lead=True)


def features(spark: Any, inputs: dict[str, str], out: Path) -> None:
    SparkExtraction(spark, inputs, Store(":memory:")).verdicts(COMPILED, LAKE_AS_OF, [])


ENTRIES: list[Callable[[Any, dict[str, str], Path], None]] = [score, replay, features]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda f: f.__name__)
def test_a_repeated_lead_is_refused_naming_it(
    spark: Any, small_lake: dict[str, str], tmp_path: Path, entry: Any
) -> None:
    [first] = duckdb.sql(f"SELECT min(lead_id) FROM '{small_lake['leads']}'").fetchall()
    repeated = f"SELECT * FROM '{small_lake['leads']}' WHERE lead_id = '{first[0]}'"
    inputs = with_leads(small_lake, tmp_path, f"{repeated} UNION ALL {repeated}")
    with pytest.raises(ConfigError) as refused:
        entry(spark, inputs, tmp_path / "out")
    message = str(refused.value)
    assert f"'{first[0]}' (3 rows)" in message and inputs["leads"] in message
    assert not (tmp_path / "out").exists()


def test_a_lead_without_an_id_is_refused(
    spark: Any, small_lake: dict[str, str], tmp_path: Path
) -> None:
    missing = f"SELECT * REPLACE (NULL AS lead_id) FROM '{small_lake['leads']}' LIMIT 1"
    inputs = with_leads(small_lake, tmp_path, missing)
    with pytest.raises(ConfigError, match=r"a missing lead_id \(1 row\)"):
        score(spark, inputs, tmp_path / "out")


def test_the_lake_as_written_is_accepted(
    spark: Any, small_lake: dict[str, str], tmp_path: Path
) -> None:
    run = score_on_spark(
        spark, COMPILED, LAKE_AS_OF, SparkSettings(small_lake, output=str(tmp_path)), source=""
    )
    assert [(run.leads,)] == duckdb.sql(f"SELECT count(*) FROM '{small_lake['leads']}'").fetchall()
