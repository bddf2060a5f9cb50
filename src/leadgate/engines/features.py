"""The calibration's feature extraction on Spark: the same matrix as on DuckDB.

Calibration computes its features with the scoring plan (:mod:`leadgate.calibrate.matrix`):
every criterion is a fit rule of a throw-away definition, and each lead's verdict on it is
that rule's points (met, not met, unknown). So the matrix runs on Spark exactly as scoring
does, through the dialect layer (:func:`~leadgate.scoring.dialects.warehouse_sql`), with no
second copy of the logic; only the extraction of the verdicts from each lead's list of
points is written here, in Spark's spelling of :func:`~leadgate.calibrate.matrix.verdicts`.
The event counts the features' thresholds are cut on come from the same inputs.

What stays on DuckDB: the lead table with the outcomes and the model fitting (numpy and
scikit-learn on one machine; a million leads by a few hundred features fits in memory), and
the backtest's daily replay (:mod:`leadgate.analytics.replay`), whose pair expansion is
written in DuckDB's own SQL (see the README's "Running at scale").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..definition.compile import CompiledDefinition
from ..scoring.dialects import check_engine, warehouse_sql
from ..scoring.evaluate import from_micros, to_micros
from .spark import VIEWS, register_inputs


def spark_event_counts(
    spark: Any, inputs: Mapping[str, str], as_of: dt.datetime
) -> dict[str, list[int]]:
    """Per event type, the event count of each lead that has one, as of ``as_of`` (as
    :func:`leadgate.calibrate.matrix.event_counts` reads them from a store)."""
    register_inputs(spark, inputs)
    until = from_micros(to_micros(as_of)).replace(tzinfo=None)
    rows = spark.sql(
        f"SELECT type, count(*) AS n FROM {VIEWS.events} WHERE ts <= TIMESTAMP "
        f"'{until:%Y-%m-%d %H:%M:%S.%f}' GROUP BY type, lead_id ORDER BY type, lead_id"
    ).collect()
    out: dict[str, list[int]] = {}
    for row in rows:
        out.setdefault(str(row["type"]), []).append(int(row["n"]))
    return out


def spark_verdicts(
    spark: Any,
    c: CompiledDefinition,
    inputs: Mapping[str, str],
    as_of: dt.datetime,
    lead_ids: list[str],
) -> np.ndarray[Any, Any]:
    """Each feature's verdict per lead on Spark: 1 met, 0 not met, -1 unknown (rows as
    ``lead_ids``), the same matrix :func:`leadgate.calibrate.matrix.verdicts` returns."""
    n = len(c.fit_rules)
    if n == 0:
        return np.zeros((len(lead_ids), 0), dtype=np.int8)
    check_engine(c, "spark")
    lead_columns, account_columns = register_inputs(spark, inputs)
    plan = warehouse_sql(
        c, as_of, "spark", lead_columns=lead_columns, account_columns=account_columns,
        tables=VIEWS, details=True,
    )  # fmt: skip
    # element_at is 1-based, like DuckDB's list index in the store's query.
    cols = ", ".join(
        f"CAST(coalesce(sign(element_at(contributions, {i + 1})), -1) AS TINYINT) AS f{i}"
        for i in range(n)
    )
    table = spark.sql(f"SELECT lead_id, {cols} FROM ({plan}) p").toArrow()
    where = {str(v): i for i, v in enumerate(table.column("lead_id").to_pylist())}
    rows = np.fromiter((where[i] for i in lead_ids), dtype=np.int64, count=len(lead_ids))
    out = np.empty((len(lead_ids), n), dtype=np.int8)
    for i in range(n):
        out[:, i] = table.column(f"f{i}").to_numpy()[rows]
    return out
