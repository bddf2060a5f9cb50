"""Scoring on Apache Spark: the same plan, over tables in a lake, on a cluster or ``local[*]``.

The definition compiles to the one scoring plan (:mod:`leadgate.scoring.sql`), in Spark's
dialect; this module reads the inputs named in ``[engine]`` of ``leadgate.toml`` (Parquet
files or folders, Delta tables, or tables of the session's catalog, at a path or a URI:
:mod:`.sources`), runs the plan with ``spark.sql`` and writes the scores with their
explanations' parts and the definition hash to Parquet, beside a manifest
(:data:`MANIFEST`) that ``leadgate import scores`` reads to load them back into a project
store for the handoff.

Spark runs with its session zone set to UTC: the plan reads timestamps as naive UTC, as the
store keeps them, and a session in another zone would shift every event's age.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..definition.compile import CompiledDefinition
from ..errors import ConfigError
from ..scoring.dialects import warehouse_sql
from ..scoring.evaluate import from_micros, to_micros
from ..scoring.plans import Tables
from .sources import located, output_location, read_input, write_text

MANIFEST = "_leadgate.json"
#: The relations the plan reads, as the Spark run names them.
VIEWS = Tables(
    leads="lg_leads", accounts="lg_accounts", events="lg_lead_events", intent="lg_intent"
)
#: ``outcomes`` only a backtest reads (:mod:`.backtest`); scoring checks its columns alone.
INPUTS = ("leads", "accounts", "events", "intent", "visitor_links", "outcomes")
#: The columns each input must have (others are fields rules may read).
REQUIRED = {
    "leads": ("lead_id", "account_id"),
    "accounts": ("account_id",),
    "events": ("lead_id", "type", "ts"),
    "intent": ("account_id", "topic", "strength", "ts"),
    "visitor_links": ("visitor_id", "lead_id"),
    "outcomes": ("lead_id", "outcome", "ts"),
}
#: What an input that is not given reads as: no rows, the columns the plan needs.
EMPTY = {
    "accounts": "SELECT CAST(NULL AS STRING) AS account_id WHERE false",
    "events": "SELECT CAST(NULL AS STRING) AS lead_id, CAST(NULL AS STRING) AS visitor_id, "
    "CAST(NULL AS STRING) AS type, CAST(NULL AS TIMESTAMP) AS ts WHERE false",
    "intent": "SELECT CAST(NULL AS STRING) AS account_id, CAST(NULL AS STRING) AS topic, "
    "CAST(NULL AS DOUBLE) AS strength, CAST(NULL AS TIMESTAMP) AS ts WHERE false",
}


@dataclass(frozen=True)
class SparkSettings:
    """``[engine]`` of ``leadgate.toml`` when it names Spark."""

    inputs: dict[str, str]
    master: str = "local[*]"
    output: str = "scores_spark"
    conf: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, table: Mapping[str, Any], root: Path) -> SparkSettings:
        inputs = {k: located(str(v), root) for k, v in dict(table.get("tables", {})).items()}
        if "leads" not in inputs:
            raise ConfigError(
                "[engine.tables] must name `leads` (a Parquet path, a Delta folder or a table) "
                "for leadgate score --engine spark."
            )
        return cls(
            inputs,
            str(table.get("master", "local[*]")),
            output_location(str(table.get("output", "scores_spark")), root),
            {str(k): str(v) for k, v in dict(table.get("conf", {})).items()},
        )


@dataclass(frozen=True)
class SparkRun:
    """What a Spark scoring run wrote, and its count of leads per tier."""

    definition_hash: str
    as_of: dt.datetime
    output: str
    leads: int
    seconds: float
    tiers: dict[str, int]
    disqualified: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": "spark",
            "definition_hash": self.definition_hash,
            "as_of": self.as_of.isoformat(),
            "output": self.output,
            "leads": self.leads,
            "seconds": round(self.seconds, 3),
            "tiers": self.tiers,
            "disqualified": self.disqualified,
        }


def session(settings: SparkSettings) -> Any:
    """A Spark session for ``settings`` (the active one if there is one), zone UTC."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise ConfigError(
            "Spark scoring needs PySpark and a Java runtime: pip install 'leadgate[spark]' "
            "(and Java 17 or later)."
        ) from exc
    builder = SparkSession.builder.master(settings.master).appName("leadgate")
    defaults = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
    if settings.master.startswith("local"):
        # 200 shuffle partitions (Spark's default, sized for clusters) turn each of the
        # plan's joins into 200 tiny tasks on one machine: 7x slower on 2,000 leads.
        defaults["spark.sql.shuffle.partitions"] = "8"
    for key, value in {**defaults, **settings.conf}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark


def score_on_spark(
    spark: Any,
    c: CompiledDefinition,
    as_of: dt.datetime | int,
    settings: SparkSettings,
    *,
    source: str,
) -> SparkRun:
    """Score every lead of the inputs as of ``as_of``; write Parquet and the manifest."""
    started = time.perf_counter()
    lead_columns, account_columns = register_inputs(spark, settings.inputs)
    refuse_repeated_leads(spark, settings.inputs)
    query = warehouse_sql(
        c,
        as_of,
        "spark",
        lead_columns=lead_columns,
        account_columns=account_columns,
        tables=VIEWS,
        details=True,
    )
    scores = spark.sql(query)
    scores.write.mode("overwrite").parquet(settings.output)
    written = spark.read.parquet(settings.output)
    counts = written.groupBy("tier", "disqualified").count().collect()
    tiers: dict[str, int] = {}
    for row in counts:
        key = row["tier"] if row["tier"] is not None else "(none)"
        tiers[key] = tiers.get(key, 0) + int(row["count"])
    run = SparkRun(
        c.hash,
        from_micros(to_micros(as_of)).replace(tzinfo=None),
        settings.output,
        sum(tiers.values()),
        time.perf_counter() - started,
        dict(sorted(tiers.items(), key=lambda kv: -kv[1])),
        sum(int(r["count"]) for r in counts if r["disqualified"]),
    )
    manifest = {
        **run.as_dict(),
        "name": c.definition.name,
        "version": c.definition.version,
        "rule_keys": c.rule_keys,
        "source": source,
    }
    write_text(spark, f"{settings.output.rstrip('/')}/{MANIFEST}", json.dumps(manifest, indent=2))
    return run


def register_inputs(spark: Any, inputs: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Register the inputs as the plan's views; return the leads' and accounts' column types
    (in the type names the plan builder reads)."""
    unknown = sorted(set(inputs) - set(INPUTS))
    if unknown:
        raise ConfigError(
            f"[engine.tables] has {', '.join(unknown)}: the inputs are {', '.join(INPUTS)}."
        )
    frames = {name: read_input(spark, name, location) for name, location in inputs.items()}
    for name, sql in EMPTY.items():
        frames.setdefault(name, spark.sql(sql))
    for name, frame in frames.items():
        missing = [c for c in REQUIRED[name] if c not in frame.columns]
        if missing:
            raise ConfigError(
                f"The {name} input ({inputs.get(name, 'empty')}) lacks the column(s) "
                f"{', '.join(missing)}; it has {', '.join(frame.columns)}."
            )
    frames["leads"].createOrReplaceTempView(VIEWS.leads)
    frames["accounts"].createOrReplaceTempView(VIEWS.accounts)
    frames["intent"].createOrReplaceTempView(VIEWS.intent)
    _lead_events(spark, frames)
    return column_types(frames["leads"]), column_types(frames["accounts"])


def refuse_repeated_leads(spark: Any, inputs: Mapping[str, str]) -> None:
    """Refuse a leads input (registered) in which a lead id repeats or is missing, naming the
    first few, before any work.

    A lead is one row. The store cannot hold two (``leads.lead_id`` is its key), but a
    lake is read as it is: a repeated lead would be scored
    twice, counted twice among its account's engaged contacts, and replayed twice in a
    backtest, so the numbers of the other leads of its account would be wrong too. One
    grouped pass over the leads, small beside the events'.
    """
    rows = spark.sql(
        f"SELECT lead_id, count(*) AS n FROM {VIEWS.leads} GROUP BY lead_id "
        "HAVING count(*) > 1 OR lead_id IS NULL ORDER BY lead_id NULLS FIRST LIMIT 5"
    ).collect()
    if not rows:
        return
    named = ", ".join(
        f"{'a missing lead_id' if r['lead_id'] is None else repr(r['lead_id'])} "
        f"({r['n']} row{'' if r['n'] == 1 else 's'})"
        for r in rows
    )
    raise ConfigError(
        f"The leads input ({inputs.get('leads')}) has lead ids that are not one row each: "
        f"{named}{' and more' if len(rows) == 5 else ''}. A lead is one row: deduplicate the "
        "input and run again."
    )


def _lead_events(spark: Any, frames: dict[str, Any]) -> None:
    """Events resolved to leads, as the store's ``lead_events`` view does: an event naming
    its lead keeps it; an event of a visitor takes the lead its visitor is linked to.

    One scan of the events with an outer join probing the links only for visitors' events
    (the links are small: Spark broadcasts them), not the store view's union of two
    scans: on Spark each scan decodes every event's Parquet again. The same rows: an event
    with its lead, once; a visitor's event once per link of its visitor.
    """
    frames["events"].createOrReplaceTempView("lg_events")
    direct = "SELECT lead_id, type, ts FROM lg_events WHERE lead_id IS NOT NULL"
    if "visitor_links" not in frames or "visitor_id" not in frames["events"].columns:
        spark.sql(direct).createOrReplaceTempView(VIEWS.events)
        return
    frames["visitor_links"].createOrReplaceTempView("lg_visitor_links")
    spark.sql(
        "SELECT CASE WHEN e.lead_id IS NULL THEN v.lead_id ELSE e.lead_id END AS lead_id,"
        " e.type, e.ts FROM lg_events e LEFT JOIN lg_visitor_links v"
        " ON e.lead_id IS NULL AND v.visitor_id = e.visitor_id"
        " WHERE e.lead_id IS NOT NULL OR v.visitor_id IS NOT NULL"
    ).createOrReplaceTempView(VIEWS.events)


def column_types(frame: Any) -> dict[str, str]:
    return {f.name: f.dataType.simpleString().upper() for f in frame.schema.fields}
