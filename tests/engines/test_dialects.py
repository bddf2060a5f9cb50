"""The plan in every dialect: it parses there, runs alike on DuckDB and Spark, and a
construct an engine cannot express fails at compile time, naming the rule and the engine.

Parsing is checked strictly: SQLGlot reads the text in the dialect with errors raised, and
every function it does not know in that dialect (an ``Anonymous`` node) must be one the
dialect really has (:data:`NATIVE_FUNCTIONS`); a DuckDB spelling left in a warehouse's SQL
(``epoch_us``, ``list_value``, ``regexp_matches``) fails the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

import leadgate.definition
from leadgate.definition import load_compiled
from leadgate.engines.spark import VIEWS, register_inputs
from leadgate.scoring.dialects import DIALECTS, UnsupportedOnEngine, check_engine, warehouse_sql
from leadgate.store import Store
from leadgate.testing.lake import LAKE_AS_OF, LAKE_DEFINITION, load_lake

from .conftest import SMALL_LEADS

#: The store's columns as the plan builder reads them (name → type).
LEAD_TYPES = {
    "lead_id": "VARCHAR", "account_id": "VARCHAR", "email_domain_type": "VARCHAR",
    "seniority": "VARCHAR", "department": "VARCHAR", "title": "VARCHAR",
    "title_flag": "VARCHAR", "company_size": "BIGINT", "industry": "VARCHAR",
    "country": "VARCHAR", "persona": "VARCHAR", "form_answer": "VARCHAR",
    "num_sessions": "DOUBLE", "last_activity_date": "TIMESTAMP",
}  # fmt: skip
ACCOUNT_TYPES = {
    "account_id": "VARCHAR", "industry": "VARCHAR", "annual_revenue": "DOUBLE",
    "company_size": "BIGINT", "is_customer": "BOOLEAN", "is_competitor": "BOOLEAN",
}  # fmt: skip
#: Functions a dialect has that SQLGlot parses as unknown (upper case).
NATIVE_FUNCTIONS: dict[str, set[str]] = {
    "duckdb": {"EPOCH_US"},
    "spark": set(),
    "snowflake": set(),
    "bigquery": set(),
    "postgres": set(),
}
SENIOR = "    - {name: senior title, when: \"title matches '(?i)(head|chief|vp)'\", points: 4}\n"


def portable(text: str) -> str:
    """The lake definition without its ``matches`` rule (Snowflake and Postgres refuse it)."""
    assert SENIOR in text
    return text.replace(SENIOR, "")


TEMPLATES = Path(leadgate.definition.__file__).parent / "templates"


def definitions() -> dict[str, str]:
    """The lake's definition and the templates ``leadgate init`` offers."""
    found = {t.stem: t.read_text() for t in sorted(TEMPLATES.glob("*.yaml"))}
    assert found
    return {"lake": LAKE_DEFINITION, **found}


def unknown_functions(sql: str, dialect: str) -> set[str]:
    tree = sqlglot.parse_one(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
    assert isinstance(tree, exp.Select)
    return {node.name.upper() for node in tree.find_all(exp.Anonymous)}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(definitions()))
def test_the_plan_parses_in_every_dialect(dialect: str, name: str) -> None:
    text = definitions()[name]
    if dialect in ("snowflake", "postgres") and "matches" in text:
        text = portable(text)
    c = load_compiled(text=text)
    sql = warehouse_sql(
        c, LAKE_AS_OF, dialect, lead_columns=LEAD_TYPES, account_columns=ACCOUNT_TYPES
    )
    assert unknown_functions(sql, dialect) <= NATIVE_FUNCTIONS[dialect]
    if dialect == "postgres":
        assert "TRY_CAST" not in sql.upper()
    assert c.hash in sql


def test_duckdb_and_spark_run_their_plan_with_the_same_numbers(
    spark: Any, small_lake: dict[str, str]
) -> None:
    c = load_compiled(text=LAKE_DEFINITION)
    store = Store(":memory:")
    load_lake(store, small_lake)
    leads, accounts = store.table_columns("leads"), store.table_columns("accounts")
    duck_sql = warehouse_sql(c, LAKE_AS_OF, "duckdb", lead_columns=leads,
                             account_columns=accounts)  # fmt: skip
    cursor = store.execute(duck_sql)
    names = [d[0] for d in cursor.description]
    duck = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}

    lead_columns, account_columns = register_inputs(spark, small_lake)
    spark_sql = warehouse_sql(c, LAKE_AS_OF, "spark", lead_columns=lead_columns,
                              account_columns=account_columns, tables=VIEWS)  # fmt: skip
    ran = {r["lead_id"]: r.asDict() for r in spark.sql(spark_sql).collect()}

    assert len(duck) == len(ran) == SMALL_LEADS
    differ = [lead for lead in sorted(duck) if duck[lead] != ran.get(lead)]
    assert not differ, [(duck[x], ran.get(x)) for x in differ[:3]]
    assert {r["tier"] for r in duck.values()} == {None, *(t.name for t in c.tiers)}


def test_spark_reads_the_events_once(spark: Any, small_lake: dict[str, str]) -> None:
    """Spark inlines a CTE into each place that reads it: a second reader of the events'
    totals (engaged contacts) would make its physical plan scan the events' Parquet twice."""
    c = load_compiled(text=LAKE_DEFINITION)
    assert any(a.kind == "contacts" for a in c.aggregates.values())
    lead_columns, account_columns = register_inputs(spark, small_lake)
    spark_sql = warehouse_sql(c, LAKE_AS_OF, "spark", lead_columns=lead_columns,
                              account_columns=account_columns, tables=VIEWS)  # fmt: skip
    plan = spark.sql(spark_sql)._jdf.queryExecution().executedPlan().toString()
    scans = [line for line in plan.splitlines() if "FileScan parquet" in line]
    events = Path(small_lake["events"]).name
    assert sum(events in line for line in scans) == 1, scans


RE2_ONLY = "    - {name: named group, when: \"title matches '(?P<word>head)'\", points: 4}\n"


@pytest.mark.parametrize("engine", ["snowflake", "postgres"])
def test_a_regular_expression_fails_on_snowflake_and_postgres(engine: str) -> None:
    c = load_compiled(text=LAKE_DEFINITION)
    with pytest.raises(UnsupportedOnEngine) as caught:
        warehouse_sql(c, LAKE_AS_OF, engine, lead_columns=LEAD_TYPES,
                      account_columns=ACCOUNT_TYPES)  # fmt: skip
    assert caught.value.code == "LG501"
    assert "'senior title'" in str(caught.value) and engine in str(caught.value)


def test_re2_only_syntax_fails_on_spark_and_nowhere_else_it_means_the_same() -> None:
    c = load_compiled(text=LAKE_DEFINITION.replace(SENIOR, SENIOR + RE2_ONLY))
    with pytest.raises(UnsupportedOnEngine, match=r"'named group'.*\(\?P<") as caught:
        check_engine(c, "spark")
    assert "spark" in str(caught.value) and "'senior title'" not in str(caught.value)
    check_engine(c, "duckdb")
    check_engine(c, "bigquery")


def leadgate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadgate", *args], cwd=cwd, capture_output=True, text=True,
        timeout=300, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plan") / "p"
    assert leadgate("init", str(root), cwd=root.parent).returncode == 0
    (root / "regex.yaml").write_text(LAKE_DEFINITION)
    (root / "re2.yaml").write_text(LAKE_DEFINITION.replace(SENIOR, SENIOR + RE2_ONLY))
    return root


@pytest.mark.parametrize("engine", ["snowflake", "postgres"])
def test_plan_cli_refuses_what_the_dialect_cannot_express(project: Path, engine: str) -> None:
    done = leadgate("plan", "--dialect", engine, "--definition", "regex.yaml", "--json",
                    cwd=project)  # fmt: skip
    assert done.returncode == 1 and done.stdout == ""
    error = json.loads(done.stderr)["error"]
    assert error["code"] == "LG501"
    assert "'senior title'" in error["message"] and engine in error["message"]


def test_score_on_spark_refuses_re2_syntax_before_starting_spark(project: Path) -> None:
    done = leadgate("score", "--engine", "spark", "--definition", "re2.yaml", cwd=project)
    assert done.returncode == 1
    assert "LG501" in done.stderr and "'named group'" in done.stderr and "spark" in done.stderr
    assert not (project / "scores_spark").exists()
