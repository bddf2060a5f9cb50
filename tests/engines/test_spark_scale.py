"""Spark (local mode) and DuckDB score 100,000 leads with 5,000,000 events identically.

Every lead is compared, not a sample: its fit, engagement and total as stored (DOUBLE,
compared exactly), grade, band, tier, disqualification and its reason, SLA due time, route,
and every rule's points (the explanation's parts). The data come from
:func:`leadgate.testing.lake.write_lake` (DuckDB SQL straight to Parquet, seconds) and the
definition is :data:`~leadgate.testing.lake.LAKE_DEFINITION`: decay and no decay, windows
per rule and per group, caps per rule and per group, floors, negative points,
disqualifiers, fit rules on lead and account attributes, intent, engaged contacts, account
engagement, per-unit rules and a date field. The test also checks the data reach every
rule, tier and disqualifier, so a generator change cannot make the comparison vacuous.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from leadgate.definition import load_compiled
from leadgate.engines.spark import SparkSettings, score_on_spark
from leadgate.scoring.batch import score_store
from leadgate.store import Store
from leadgate.testing.lake import LAKE_AS_OF, LAKE_DEFINITION, load_lake, write_lake

LEADS, EVENTS = 100_000, 5_000_000
#: Every column of a stored score but the lead's id.
COLUMNS = (
    "definition_hash",
    "as_of",
    "fit",
    "engagement",
    "total",
    "grade",
    "band",
    "tier",
    "disqualified",
    "dq_reason",
    "sla_due",
    "route",
    "contributions",
)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return write_lake(tmp_path_factory.mktemp("lake"), leads=LEADS, events=EVENTS)


def mismatches(store: Store, folder: Path) -> list[tuple[Any, ...]]:
    """The first leads whose stored score differs from the Spark run's (or is missing)."""
    differs = " OR ".join(f"d.{c} IS DISTINCT FROM s.{c}" for c in COLUMNS)
    pairs = ", ".join(f"d.{c}, s.{c}" for c in COLUMNS)
    return store.execute(
        f"SELECT coalesce(d.lead_id, s.lead_id), {pairs} FROM scores d"
        " FULL JOIN read_parquet(?) s ON s.lead_id = d.lead_id"
        f" WHERE d.lead_id IS NULL OR s.lead_id IS NULL OR {differs} ORDER BY 1 LIMIT 5",
        [str(folder / "*.parquet")],
    ).fetchall()


def reached(store: Store, rules: int) -> dict[str, Any]:
    """What the scores show of the definition: rules that moved some lead, tiers, reasons."""
    moved = [
        i
        for i in range(rules)
        if store.scalar(f"SELECT count(*) FROM scores WHERE contributions[{i + 1}] <> 0")
    ]
    tiers = {r[0] for r in store.execute("SELECT DISTINCT tier FROM scores").fetchall()}
    reasons = {r[0] for r in store.execute("SELECT DISTINCT dq_reason FROM scores").fetchall()}
    return {"moved": moved, "tiers": tiers, "reasons": reasons}


def test_spark_and_duckdb_agree_on_every_lead(
    spark: Any, lake: dict[str, str], tmp_path: Path
) -> None:
    c = load_compiled(text=LAKE_DEFINITION)
    store = Store(":memory:")
    load_lake(store, lake)
    report = score_store(store, c, LAKE_AS_OF, source=LAKE_DEFINITION, details=True)
    settings = SparkSettings(inputs=lake, output=str(tmp_path / "scores"))
    run = score_on_spark(spark, c, LAKE_AS_OF, settings, source=LAKE_DEFINITION)

    assert report.leads == run.leads == LEADS
    assert store.scalar("SELECT count(*) FROM lead_events") > EVENTS * 0.98
    found = mismatches(store, tmp_path / "scores")
    assert not found, "first leads that differ (DuckDB, Spark per column):\n" + "\n".join(
        str(row) for row in found
    )
    seen = reached(store, len(c.rule_keys))
    assert seen["moved"] == list(range(len(c.rule_keys)))
    assert seen["tiers"] == {None, *(t.name for t in c.tiers)}
    assert seen["reasons"] == {None, *(d.reason for d in c.disqualifiers)}
    assert run.tiers == report.tiers and run.disqualified == report.disqualified
