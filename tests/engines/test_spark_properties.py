"""The Hypothesis property "Python evaluator == SQL plan", against Spark (local mode).

Random definitions and random histories (the strategies of tests/scoring), on a smaller
sample than DuckDB's run: each case is a Spark job.
"""

from __future__ import annotations

import tempfile
from typing import Any

from hypothesis import HealthCheck, given, settings

from leadgate.engines.spark import VIEWS, register_inputs
from leadgate.scoring import Scorer
from leadgate.scoring.dialects import warehouse_sql
from leadgate.scoring.rollups import score_population
from leadgate.store import Store
from leadgate.testing.lake import export_store

from ..scoring.strategies import AS_OF, AS_OF_US, definitions, populations
from ..scoring.test_properties import load


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(definitions(), populations())
def test_python_evaluator_and_spark_agree(spark: Any, c, population) -> None:  # type: ignore[no-untyped-def]
    leads, accounts, events, intent = population
    scorer = Scorer(c)
    expected = score_population(scorer, leads, accounts, events, intent, AS_OF_US)
    store = Store(":memory:")
    load(store, leads, accounts, events, intent)
    with tempfile.TemporaryDirectory() as folder:
        inputs = export_store(store, folder)
        lead_columns, account_columns = register_inputs(spark, inputs)
        query = warehouse_sql(
            c, AS_OF, "spark", lead_columns=lead_columns, account_columns=account_columns,
            tables=VIEWS,
        )  # fmt: skip
        rows = {r["lead_id"]: r.asDict() for r in spark.sql(query).collect()}
    assert set(rows) == set(expected)
    for lead in leads:
        raw = expected[lead["lead_id"]]
        score = scorer.to_score(raw, lead, accounts.get(lead.get("account_id") or ""), AS_OF_US)
        row = rows[lead["lead_id"]]
        assert row["tier"] == score.tier, lead["lead_id"]
        assert row["disqualified"] == score.disqualified
        assert round(row["total"] * 100) == score.total_cents
        assert round(row["fit"] * 100) == score.fit_cents
        by_key = {x.key: x for x in score.contributions}
        for key, cents in zip(c.rule_keys, row["contributions"], strict=True):
            judged = by_key[key].status != "not judged"
            assert (by_key[key].cents if judged else None) == cents, (lead["lead_id"], key)
