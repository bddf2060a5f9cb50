"""Where a Spark run's inputs live, and how each is read: Parquet, Delta, or a catalog table.

A location in ``[engine.tables]`` is one of:

* a URI with a scheme (``s3a://lake/events``, ``abfss://...``, ``hdfs://...``,
  ``file:///data/leads``): given to Spark as is, never joined to the project's folder;
* a path (it has a slash, ends in ``.parquet`` or exists beside ``leadgate.toml``),
  relative to the project's folder;
* anything else: a table of the Spark session's catalog (``crm.leads``).

A folder holding a ``_delta_log`` is a Delta table. It is read through the Delta Lake
connector (``delta-spark``) when the session has it, as on a cluster set up for Delta. When
the session lacks the connector and the table is on this machine, the table's current
snapshot is resolved with ``deltalake`` (delta-rs, the other maintained Delta
implementation): the log says which Parquet files are live (added and not removed since), and
Spark reads exactly those, with the partition values of their paths typed as the table's
schema says. Some Delta features change what a file's rows mean and cannot be read that
way: deletion vectors (rows deleted without rewriting the file), column mapping (physical
column names differ from the table's), type widening. A table using one of them, or a
reader feature not known here to be safe (:data:`PLAIN`), is refused, naming the feature
and the connector to install, never read with deleted rows back in or columns lost.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError

#: ``scheme://``: a location Spark resolves itself (object stores, HDFS, ``file://``).
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
#: Delta reader features whose tables still read right as their live Parquet files.
PLAIN = {"timestampNtz", "v2Checkpoint", "vacuumProtocolCheck", "variantType"}
#: Why some others do not (any other feature is refused too, by its name).
UNREADABLE = {
    "deletionVectors": "deletion vectors (rows deleted without rewriting their file)",
    "columnMapping": "column mapping (the files' column names are not the table's)",
    "typeWidening": "type widening (older files hold a column in a narrower type)",
}
CONNECTOR = (
    "start Spark with the Delta Lake connector (pip install delta-spark; "
    "spark.jars.packages io.delta:delta-spark_2.13:<version for your Spark>, "
    "spark.sql.extensions io.delta.sql.DeltaSparkSessionExtension, "
    "spark.sql.catalog.spark_catalog org.apache.spark.sql.delta.catalog.DeltaCatalog "
    "under [engine.conf])"
)


def is_uri(location: str) -> bool:
    return bool(URI.match(location))


def located(value: str, root: Path) -> str:
    """A URI as is; a path relative to the project's folder; a table name (no slash, no
    suffix, nothing of that name beside ``leadgate.toml``) as is."""
    if is_uri(value):
        return value
    if "/" in value or value.endswith(".parquet") or (root / value).exists():
        return str((root / value).resolve())
    return value


def output_location(value: str, root: Path) -> str:
    """Where scores go: a URI as is, else a folder relative to the project's."""
    return value if is_uri(value) else str((root / value).resolve())


def write_text(spark: Any, location: str, text: str) -> None:
    """Write ``text`` (UTF-8) to a file: on this machine directly, at a URI through Spark's
    own file system (Hadoop), with the session's credentials, as the scores were."""
    if not is_uri(location) or location.startswith("file://"):
        Path(location.removeprefix("file://")).write_text(text, "utf-8")
        return
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(location)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def read_input(spark: Any, name: str, location: str) -> Any:
    """The ``name`` input at ``location`` as a Spark DataFrame (see the module)."""
    if is_uri(location):
        if _remote_delta(spark, location):
            return _delta_connector(spark, name, location, fallback=None)
        return spark.read.parquet(location)
    path = Path(location)
    if (path / "_delta_log").is_dir():
        return _delta_connector(spark, name, location, fallback=path)
    if path.exists():
        return spark.read.parquet(location)
    if "/" in location or location.endswith(".parquet"):
        raise ConfigError(f"The {name} input {location} does not exist.")
    return spark.table(location)


def _delta_connector(spark: Any, name: str, location: str, *, fallback: Path | None) -> Any:
    """The table through the connector; without it, a local table's snapshot (or a clear
    refusal for a remote one)."""
    try:
        return spark.read.format("delta").load(location)
    except Exception as exc:  # py4j/pyspark raise their own classes; only one case is ours
        if not _no_data_source(exc):
            raise
    if fallback is None:
        raise ConfigError(
            f"The {name} input {location} is a Delta table and this Spark session has no "
            f"Delta connector: {CONNECTOR}."
        )
    return read_delta_snapshot(spark, name, fallback)


def _no_data_source(exc: Exception) -> bool:
    text = str(exc)
    return "DATA_SOURCE_NOT_FOUND" in text or "Failed to find data source: delta" in text


def _remote_delta(spark: Any, location: str) -> bool:
    """Whether ``location``/_delta_log exists, asked of Spark's own file system (Hadoop),
    so object stores answer with the session's credentials; False when it cannot ask."""
    try:
        jvm = spark.sparkContext._jvm
        log = jvm.org.apache.hadoop.fs.Path(location.rstrip("/") + "/_delta_log")
        fs = log.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        return bool(fs.exists(log))
    except Exception:  # Spark Connect has no JVM here: read it as Parquet (or name format)
        return False


def read_delta_snapshot(spark: Any, name: str, table: Path) -> Any:
    """The live files of the Delta table's current version, read by Spark (see the module)."""
    try:
        from deltalake import DeltaTable
    except ImportError as exc:
        raise ConfigError(
            f"The {name} input {table} is a Delta table. To read it, either {CONNECTOR}, or "
            "pip install deltalake (leadgate then reads the table's current snapshot)."
        ) from exc
    delta = DeltaTable(str(table))
    features = set(delta.protocol().reader_features or [])
    mapping = delta.metadata().configuration.get("delta.columnMapping.mode", "none")
    if mapping != "none":
        features.add("columnMapping")
    refused = [UNREADABLE.get(f, f"the reader feature {f}") for f in sorted(features - PLAIN)]
    if refused:
        raise ConfigError(
            f"The {name} input {table} (Delta version {delta.version()}) uses "
            f"{' and '.join(refused)}, which only the Delta connector reads correctly: "
            f"{CONNECTOR}."
        )
    files = delta.file_uris()
    schema = _spark_schema(delta)
    if not files:
        return spark.createDataFrame([], schema)
    partitions = list(delta.metadata().partition_columns)
    frame = _parquet_untyped_partitions(spark, str(table), files)
    missing = [c for c in partitions if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"The {name} input {table} is partitioned by {', '.join(missing)} but its files' "
            f"paths do not say the values (not col=value folders): {CONNECTOR}."
        )
    # Partition values come from the paths as text; the table's schema says their type.
    return frame.select([frame[f.name].cast(f.dataType).alias(f.name) for f in schema.fields])


def _spark_schema(delta: Any) -> Any:
    """The table's schema as Spark's, from the log (an empty table has no file to ask):
    Delta writes its schema in Spark's own JSON form."""
    from pyspark.sql.types import StructType

    return StructType.fromJson(json.loads(delta.schema().to_json()))


INFERENCE = "spark.sql.sources.partitionColumnTypeInference.enabled"


def _parquet_untyped_partitions(spark: Any, base: str, files: list[str]) -> Any:
    """``files`` read with their ``col=value`` folders as text columns: Spark would
    otherwise guess each value's type (``007`` as the integer 7), changing it."""
    before = spark.conf.get(INFERENCE, "true")
    spark.conf.set(INFERENCE, "false")
    try:
        return spark.read.option("basePath", base).parquet(*files)
    finally:
        spark.conf.set(INFERENCE, before)
