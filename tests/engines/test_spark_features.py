"""The calibration's feature matrix on Spark equals the one DuckDB computes, lead by lead, on
the lake (no lead decided: one scoring as of the as-of time)."""

from __future__ import annotations

from typing import Any

import numpy as np

from leadgate.calibrate.features import (
    event_features,
    number_bins,
    rule_features,
    text_levels,
    unique_names,
)
from leadgate.calibrate.matrix import (
    StoreExtraction,
    custom_event_types,
    feature_definition,
    usable,
)
from leadgate.definition import load_compiled
from leadgate.engines.features import SparkExtraction
from leadgate.store import Store
from leadgate.testing.lake import LAKE_AS_OF, LAKE_DEFINITION, load_lake


def test_the_feature_matrix_is_the_same_on_spark(spark: Any, small_lake: dict[str, str]) -> None:
    store = Store(":memory:")
    load_lake(store, small_lake)
    current = load_compiled(text=LAKE_DEFINITION)
    duck, on_spark = StoreExtraction(store), SparkExtraction(spark, small_lake, store)
    counts = duck.event_counts(LAKE_AS_OF)
    assert on_spark.event_counts(LAKE_AS_OF) == counts

    leads = store.execute(
        "SELECT lead_id, company_size, seniority FROM leads ORDER BY lead_id"
    ).fetchnumpy()
    sizes = np.ma.filled(np.ma.asarray(leads["company_size"]).astype(float), np.nan)
    candidates = rule_features(current) + event_features(counts, "30d", 30)
    candidates += number_bins("company_size", sizes, 5)
    candidates += text_levels("seniority", np.asarray(leads["seniority"], dtype=object), 30)
    attributes = dict(current.definition.attributes)
    event_types = custom_event_types(set(counts), current)
    features = usable(unique_names(candidates), attributes, event_types)
    c = feature_definition(features, attributes, event_types)
    lead_ids = [str(v) for v in leads["lead_id"]]

    expected = duck.verdicts(c, LAKE_AS_OF, lead_ids)
    found = on_spark.verdicts(c, LAKE_AS_OF, lead_ids)
    assert found.shape == expected.shape == (len(lead_ids), len(features))
    assert len(features) > 30
    assert set(np.unique(expected)) == {-1, 0, 1}
    differ = np.argwhere(found != expected)
    assert differ.size == 0, [(lead_ids[r], features[k].when) for r, k in differ[:5]]
