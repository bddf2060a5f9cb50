"""Delta tables as Spark inputs, on a session without the Delta connector (this machine has
no Maven): the table's snapshot is resolved with ``deltalake`` and its live files read by
Spark (:mod:`leadgate.engines.sources`). Tables are written with ``deltalake`` the way a
pipeline leaves them: several commits, rows deleted by rewriting files, partitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from leadgate.definition import load_compiled
from leadgate.engines.sources import located, output_location, read_input
from leadgate.engines.spark import SparkSettings, score_on_spark
from leadgate.errors import ConfigError
from leadgate.testing.lake import LAKE_AS_OF, LAKE_DEFINITION

GHOSTS = 40


def scored(spark: Any, inputs: dict[str, str], out: Path) -> dict[str, tuple[Any, ...]]:
    settings = SparkSettings(inputs=inputs, master="local[2]", output=str(out))
    compiled = load_compiled(text=LAKE_DEFINITION)
    score_on_spark(spark, compiled, LAKE_AS_OF, settings, source=LAKE_DEFINITION)
    rows = spark.read.parquet(str(out)).collect()
    return {
        r["lead_id"]: (r["total"], r["fit"], r["tier"], r["disqualified"], r["contributions"])
        for r in rows
    }


def as_delta(small_lake: dict[str, str], folder: Path) -> dict[str, str]:
    """The lake's tables as Delta tables holding the same live rows, but not the same files:
    leads come in two commits plus ghost leads deleted later (their files rewritten, the old
    ones still on disk), events are partitioned by type."""
    tables = {}
    for name, path in small_lake.items():
        table = pq.read_table(path)
        target = str(folder / name)
        if name == "leads":
            half = table.num_rows // 2
            write_deltalake(target, table.slice(0, half))
            ghosts = table.slice(0, GHOSTS)
            ghost_ids = pa.array([f"ghost-{i}" for i in range(GHOSTS)])
            ghosts = ghosts.set_column(
                ghosts.schema.get_field_index("lead_id"), "lead_id", ghost_ids
            )
            write_deltalake(target, pa.concat_tables([table.slice(half), ghosts]), mode="append")
            DeltaTable(target).delete("lead_id LIKE 'ghost-%'")
        elif name == "events":
            write_deltalake(target, table, partition_by=["type"])
        else:
            write_deltalake(target, table)
        tables[name] = target
    return tables


def test_spark_scores_a_delta_lake_as_it_scores_the_same_rows_in_parquet(
    spark: Any, small_lake: dict[str, str], tmp_path: Path
) -> None:
    delta = as_delta(small_lake, tmp_path / "delta")
    leads_log = DeltaTable(delta["leads"])
    assert leads_log.version() == 2  # two writes and a delete
    on_disk = list(Path(delta["leads"]).glob("*.parquet"))
    assert len(on_disk) > len(leads_log.file_uris())  # removed files are still there

    from_parquet = scored(spark, small_lake, tmp_path / "parquet-scores")
    from_delta = scored(spark, delta, tmp_path / "delta-scores")
    assert not [k for k in from_delta if k.startswith("ghost-")]
    assert from_delta == from_parquet
    assert len(from_delta) == pq.read_metadata(small_lake["leads"]).num_rows


def test_partition_values_keep_the_tables_types_and_text(spark: Any, tmp_path: Path) -> None:
    """``007`` stays the text ``007``, a day stays a date, a number a number, a missing
    value null: the folder names are not guessed at."""
    target = str(tmp_path / "t")
    table = pa.table({
        "lead_id": ["a", "b", "c", "d"],
        "code": ["007", "010", "010", None],
        "day": [dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 2), None],
        "n": pa.array([1, 2, 3, 4], pa.int32()),
    })  # fmt: skip
    write_deltalake(target, table, partition_by=["code", "day"])
    frame = read_input(spark, "leads", target)
    types = dict(frame.dtypes)
    assert (types["code"], types["day"], types["n"]) == ("string", "date", "int")
    got = sorted((r["lead_id"], r["code"], r["day"], r["n"]) for r in frame.collect())
    assert got == [
        ("a", "007", dt.date(2026, 1, 1), 1),
        ("b", "010", dt.date(2026, 1, 2), 2),
        ("c", "010", dt.date(2026, 1, 2), 3),
        ("d", None, None, 4),
    ]


@pytest.mark.parametrize(
    ("configuration", "named"),
    [
        ({"delta.enableDeletionVectors": "true"}, "deletion vectors"),
        ({"delta.columnMapping.mode": "name"}, "column mapping"),
    ],
)
def test_a_table_whose_files_alone_mislead_is_refused_naming_the_feature(
    spark: Any, tmp_path: Path, configuration: dict[str, str], named: str
) -> None:
    target = str(tmp_path / "t")
    write_deltalake(target, pa.table({"lead_id": ["a", "b"]}), configuration=configuration)
    with pytest.raises(ConfigError) as refused:
        read_input(spark, "leads", target)
    message = str(refused.value)
    assert named in message and target in message and "delta-spark" in message


def test_an_empty_delta_table_reads_as_no_rows_with_its_columns(spark: Any, tmp_path: Path) -> None:
    target = str(tmp_path / "t")
    write_deltalake(target, pa.table({"lead_id": ["a"], "account_id": ["x"]}))
    DeltaTable(target).delete()
    frame = read_input(spark, "leads", target)
    assert frame.columns == ["lead_id", "account_id"] and frame.count() == 0


def test_uris_are_given_to_spark_as_they_are(spark: Any, small_lake: dict[str, str]) -> None:
    root = Path("/somewhere/project")
    for uri in ("s3a://lake/events", "abfss://c@acct.dfs.core.windows.net/leads", "hdfs://nn/x"):
        assert located(uri, root) == uri and output_location(uri, root) == uri
    assert located("lake/leads.parquet", root) == "/somewhere/project/lake/leads.parquet"
    assert located("crm.leads", root) == "crm.leads"  # a catalog table

    leads = small_lake["leads"]
    frame = read_input(spark, "leads", f"file://{leads}")
    assert frame.count() == pq.read_metadata(leads).num_rows
