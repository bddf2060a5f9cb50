"""The calibration's feature extraction on Spark: the same matrix as on DuckDB.

Calibration computes its features with the scoring plan (:mod:`leadgate.calibrate.matrix`):
every criterion is a fit rule of a throw-away definition, and each lead's verdict on it is
that rule's points (met, not met, unknown), each lead read as of its **decision time**
(:mod:`leadgate.calibrate.decision`: its MQL entry or first outcome; nothing after it).
On Spark the leads are replayed the same way (:mod:`.replay`): each lead on the last
24-hour day before its decision, beside its account's other leads when the definition
reads the account, through the one plan in Spark's dialect. Only the decision times come
from the project's store (its handoff and outcome records: one row per decided lead); the
leads, accounts, events and intent are read from ``[engine.tables]``, as
``score --engine spark`` reads them.

What stays in Python: the lead table with the outcomes (:func:`leadgate.calibrate.dataset.
load_table`) and the model fitting (numpy and scikit-learn on one machine: a million leads by
a few hundred features fits in memory).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..calibrate.decision import decision_day, decision_grid, decision_times
from ..calibrate.matrix import (
    CURRENT_COLUMNS,
    current_matrix,
    verdict_columns,
    verdict_matrix,
)
from ..definition.compile import CompiledDefinition
from ..scoring.dialects import check_engine, warehouse_sql
from ..scoring.evaluate import from_micros, to_micros
from ..scoring.event_steps import lit
from ..store import Store
from .replay import chosen_pairs, evaluate, indexed
from .spark import VIEWS, refuse_repeated_leads, register_inputs

DECIDED = "lg_decided_at"
WANTED = "lg_decided_day"


class SparkExtraction:
    """The features of :mod:`leadgate.calibrate` on Spark (see the module): the
    :class:`~leadgate.calibrate.matrix.Extraction` calibration reads."""

    def __init__(self, spark: Any, inputs: Mapping[str, str], store: Store) -> None:
        self.spark, self.inputs, self.store = spark, inputs, store

    def event_counts(self, as_of: dt.datetime) -> dict[str, list[int]]:
        """Per event type, the event count of each lead that has one before its decision."""
        self._decisions(as_of)
        until = from_micros(to_micros(as_of)).replace(tzinfo=None)
        rows = self.spark.sql(
            f"SELECT e.type, count(*) AS n FROM {VIEWS.events} e LEFT JOIN {DECIDED} d"
            f" ON d.lead_id = e.lead_id WHERE e.ts <= TIMESTAMP '{until:%Y-%m-%d %H:%M:%S.%f}'"
            " AND (d.at_us IS NULL OR unix_micros(e.ts) < d.at_us)"
            " GROUP BY e.type, e.lead_id ORDER BY e.type, e.lead_id"
        ).collect()
        out: dict[str, list[int]] = {}
        for row in rows:
            out.setdefault(str(row["type"]), []).append(int(row["n"]))
        return out

    def verdicts(
        self, c: CompiledDefinition, as_of: dt.datetime, lead_ids: list[str]
    ) -> np.ndarray[Any, Any]:
        """Each feature's verdict per lead: 1 met, 0 not met, -1 unknown (rows as
        ``lead_ids``), as of the lead's decision time."""
        n = len(c.fit_rules)
        if n == 0:
            return np.zeros((len(lead_ids), 0), dtype=np.int8)
        columns = f"lead_id, {verdict_columns(n, 'spark')}"
        return verdict_matrix(self._decided(c, as_of, columns, details=True), lead_ids, n)

    def current_scores(
        self, c: CompiledDefinition, as_of: dt.datetime, lead_ids: list[str]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """The current definition's total and tier per lead as of its decision time."""
        return current_matrix(self._decided(c, as_of, CURRENT_COLUMNS, details=False), lead_ids)

    def _decisions(self, as_of: dt.datetime) -> int:
        """Register the inputs and the store's decision times (:data:`DECIDED`); how many
        days back the earliest decision reaches."""
        register_inputs(self.spark, self.inputs)
        times, back = decision_times(self.store, to_micros(as_of))
        frame = self.spark.createDataFrame(times) if times.num_rows else self.spark.sql(
            "SELECT CAST(NULL AS STRING) AS lead_id, CAST(NULL AS BIGINT) AS at_us WHERE false"
        )  # fmt: skip
        frame.createOrReplaceTempView(DECIDED)
        return back

    def _decided(
        self, c: CompiledDefinition, as_of: dt.datetime, columns: str, *, details: bool
    ) -> dict[str, Any]:
        """``SELECT columns`` over each lead's score as of its decision time, as
        :func:`leadgate.calibrate.decision.decided_scores` (arrays by name)."""
        check_engine(c, "spark")
        back = self._decisions(as_of)
        as_of_us = to_micros(as_of)
        if back == 0:  # nobody decided before the as-of time: one scoring as of it
            lead_columns, account_columns = register_inputs(self.spark, self.inputs)
            refuse_repeated_leads(self.spark, self.inputs)
            relation = warehouse_sql(
                c, as_of, "spark", lead_columns=lead_columns, account_columns=account_columns,
                tables=VIEWS, details=details,
            )  # fmt: skip
        else:
            grid = decision_grid(as_of_us, back)
            indexed(self.spark, self.inputs, grid, every_lead=True)
            self.spark.sql(
                f"SELECT i.lead_id, {decision_day(grid, 'd.at_us', 'div')} AS k"
                f" FROM lg_r_ix i LEFT JOIN {DECIDED} d ON d.lead_id = i.lead_id"
            ).createOrReplaceTempView(WANTED)
            chosen_pairs(self.spark, c, WANTED)
            evaluate(self.spark, c, grid, details=details).createOrReplaceTempView("lg_r_states")
            names = " ".join(f"WHEN {i} THEN {lit(t.name, 'spark')}" for i, t in enumerate(c.tiers))
            tier = f"CASE s.tier {names} END" if names else "CAST(NULL AS STRING)"
            relation = (
                f"SELECT s.lead_id, s.total, {tier} AS tier, FALSE AS disqualified,"
                f" s.contributions FROM lg_r_states s"
                f" JOIN {WANTED} w ON w.lead_id = s.lead_id AND w.k = s.k"
            )
        table = self.spark.sql(f"SELECT {columns} FROM ({relation}) p").toArrow()
        return {name: _array(table.column(name)) for name in table.column_names}


def _array(column: Any) -> np.ndarray[Any, Any]:
    """An Arrow column as NumPy, its nulls masked (as DuckDB's ``fetchnumpy`` gives them)."""
    values = np.asarray(column.to_numpy(zero_copy_only=False))
    mask = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return np.ma.masked_array(values, mask=mask) if mask.any() else values
