"""The feature matrix, computed by the scoring plan itself.

Why the plan and not a second evaluator: the features are put into a throw-away definition
as fit rules worth one point each, and the plan (with ``details``) returns each rule's
verdict per lead, met (100 hundredths), not met (0) or unknown (NULL). So a feature means
exactly what the same condition will mean in the proposed definition, events, dates and
missing values included, and calibration on a million leads costs one scoring run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..definition import CompiledDefinition, compile_definition
from ..definition.fields import LEAD_FIELDS
from ..definition.model import Definition, FieldType, FitGroup, FitRule
from ..errors import ExpressionError
from ..expr.check import Scope, check
from ..scoring.evaluate import to_micros
from ..store import Store
from ..vocabulary import STANDARD_EVENT_TYPES
from .dataset import LeadTable
from .decision import decided_scores, decisions
from .features import Feature, attribute_features, event_features, rule_features, unique_names


def declared_attributes(table: LeadTable, current: CompiledDefinition) -> dict[str, FieldType]:
    """The attributes a definition must declare to name the table's custom columns."""
    kinds: dict[str, FieldType] = {"number": "number", "text": "text", "bool": "bool"}
    declared = {n: kinds[k] for n, k in table.kinds.items() if n not in LEAD_FIELDS and k in kinds}
    return {**declared, **current.definition.attributes}


def custom_event_types(found: set[str], current: CompiledDefinition) -> list[str]:
    return sorted(set(current.definition.event_types) | (found - set(STANDARD_EVENT_TYPES)))


def usable(
    features: list[Feature], attributes: dict[str, FieldType], event_types: list[str]
) -> list[Feature]:
    """The features whose condition checks in the definition's language (a column named
    like a keyword cannot be named by a rule: it is left out rather than failing the run)."""
    base = compile_definition(
        Definition(name="features", version="1", attributes=attributes, event_types=event_types)
    )
    scope = Scope(base.fields, base.event_types)
    out = []
    for feature in features:
        try:
            check(feature.when, scope)
        except ExpressionError:
            continue
        out.append(feature)
    return out


@dataclass(frozen=True)
class FeatureSet:
    """The criteria calibration weighs, with what a definition must declare to name them."""

    features: list[Feature]
    attributes: dict[str, FieldType]
    event_types: list[str]

    def definition(self) -> CompiledDefinition:
        """The throw-away definition whose rule verdicts are the feature matrix."""
        return feature_definition(self.features, self.attributes, self.event_types)


def candidate_features(
    current: CompiledDefinition,
    table: LeadTable,
    counts: dict[str, list[int]],
    rows: np.ndarray[Any, Any],
    *,
    bins: int = 5,
    min_count: int = 30,
    windows: tuple[str | None, ...] = (None,),
    leave_out: frozenset[str] = frozenset(),
) -> FeatureSet:
    """Every criterion calibration weighs, in one place for every engine: the definition's
    own rules, the bins and levels of the table's attributes cut on ``rows`` (the training
    part; not of the columns in ``leave_out``, the ones that leak the outcome), and
    thresholds on each event type's count (``counts``, per lead), over all history
    (``None``) or each of ``windows``. Repeated conditions are dropped, names made unique,
    and conditions the language cannot name (a column named like a keyword) left out."""
    attributes = declared_attributes(table, current)
    event_types = custom_event_types(set(counts), current)
    found = rule_features(current) + attribute_features(
        table, rows, bins=bins, min_count=min_count, leave_out=leave_out
    )
    for window in windows:
        found += event_features(counts, window, min_count)
    return FeatureSet(usable(unique_names(found), attributes, event_types), attributes, event_types)


def feature_definition(
    features: list[Feature], attributes: dict[str, FieldType], event_types: list[str]
) -> CompiledDefinition:
    rules = [FitRule(name=f"f{i:05d}", when=f.when, points=1) for i, f in enumerate(features)]
    return compile_definition(
        Definition(
            name="calibration-features",
            version="1",
            attributes=attributes,
            event_types=event_types,
            fit=FitGroup(rules=rules),
        )
    )


def event_counts(store: Store, as_of: dt.datetime) -> dict[str, list[int]]:
    """Per event type, the event count of each lead that has one, before the lead's decision
    time (:mod:`.decision`): the thresholds are cut on what was known when it was decided."""
    with decisions(store, to_micros(as_of)) as table:
        rows = store.execute(
            "SELECT e.type, count(*) FROM lead_events e LEFT JOIN "
            f"{table} d USING (lead_id) WHERE e.ts <= ? AND "
            "(d.at_us IS NULL OR epoch_us(e.ts) < d.at_us) GROUP BY e.type, e.lead_id "
            "ORDER BY e.type, e.lead_id",
            [as_of],
        ).fetchall()
    out: dict[str, list[int]] = {}
    for kind, n in rows:
        out.setdefault(str(kind), []).append(int(n))
    return out


def _aligned(lead_ids: list[str], ids: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    where = {str(v): i for i, v in enumerate(ids)}
    return np.fromiter((where[i] for i in lead_ids), dtype=np.int64, count=len(lead_ids))


def verdicts(
    store: Store, c: CompiledDefinition, as_of: dt.datetime, lead_ids: list[str]
) -> np.ndarray[Any, Any]:
    """Each feature's verdict per lead: 1 met, 0 not met, -1 unknown (rows as ``lead_ids``),
    as of the lead's decision time (:mod:`.decision`)."""
    n = len(c.fit_rules)
    if n == 0:
        return np.zeros((len(lead_ids), 0), dtype=np.int8)
    data = decided_scores(store, c, as_of, f"lead_id, {verdict_columns(n)}", details=True)
    return verdict_matrix(data, lead_ids, n)


def verdict_columns(n: int, dialect: str = "duckdb") -> str:
    """SQL: each rule's verdict ``f0``... from a score's ``contributions`` (1-based both)."""
    item = "element_at(contributions, {})" if dialect == "spark" else "contributions[{}]"
    return ", ".join(
        f"CAST(coalesce(sign({item.format(i + 1)}), -1) AS TINYINT) AS f{i}" for i in range(n)
    )


def verdict_matrix(data: Any, lead_ids: list[str], n: int) -> np.ndarray[Any, Any]:
    """The ``n`` verdict columns of ``data`` (arrays by name) as a matrix, rows as ``lead_ids``."""
    rows = _aligned(lead_ids, np.asarray(data["lead_id"], dtype=object))
    out = np.empty((len(lead_ids), n), dtype=np.int8)
    for i in range(n):
        out[:, i] = np.asarray(data[f"f{i}"], dtype=np.int8)[rows]
    return out


def current_scores(
    store: Store, c: CompiledDefinition, as_of: dt.datetime, lead_ids: list[str]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The current definition's total per lead and its tier ('' for none or disqualified),
    as of the lead's decision time (:mod:`.decision`): the proposal is compared with what
    the current definition said then, not with what it says after the deal."""
    data = decided_scores(store, c, as_of, CURRENT_COLUMNS, details=False)
    return current_matrix(data, lead_ids)


#: The current definition's total and tier ('' for none or disqualified), in either dialect.
CURRENT_COLUMNS = "lead_id, total, CASE WHEN disqualified THEN '' ELSE coalesce(tier, '') END AS t"


def current_matrix(
    data: Any, lead_ids: list[str]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """:data:`CURRENT_COLUMNS` (arrays by name) as totals and tiers, rows as ``lead_ids``."""
    rows = _aligned(lead_ids, np.asarray(data["lead_id"], dtype=object))
    totals = np.asarray(np.ma.filled(np.ma.asarray(data["total"]).astype(float), 0.0))[rows]
    tiers = np.asarray(np.ma.filled(data["t"], ""), dtype=object)[rows]
    return totals, tiers


class Extraction(Protocol):
    """Where the features are extracted: the store (:class:`StoreExtraction`) or Spark
    (:class:`leadgate.engines.features.SparkExtraction`); each method answers as the
    function of this module of the same name."""

    def event_counts(self, as_of: dt.datetime) -> dict[str, list[int]]: ...

    def verdicts(
        self, c: CompiledDefinition, as_of: dt.datetime, lead_ids: list[str]
    ) -> np.ndarray[Any, Any]: ...

    def current_scores(
        self, c: CompiledDefinition, as_of: dt.datetime, lead_ids: list[str]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]: ...


@dataclass(frozen=True)
class StoreExtraction:
    """The features computed in the project's store by DuckDB (the default)."""

    store: Store

    def event_counts(self, as_of: dt.datetime) -> dict[str, list[int]]:
        return event_counts(self.store, as_of)

    def verdicts(
        self, c: CompiledDefinition, as_of: dt.datetime, lead_ids: list[str]
    ) -> np.ndarray[Any, Any]:
        return verdicts(self.store, c, as_of, lead_ids)

    def current_scores(
        self, c: CompiledDefinition, as_of: dt.datetime, lead_ids: list[str]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        return current_scores(self.store, c, as_of, lead_ids)
