"""``leadgate plan --dialect``, ``score --engine spark`` and ``import scores``, as a user runs
them, on a project whose store and lake hold the same generated data.

The commands run in-process (Click's runner, the same ``main`` the console script calls),
one in a subprocess: starting Python with leadgate and SQLGlot costs seconds a command, and
the Spark commands then reuse the suite's one Spark session (``session()`` takes the
active one) where a subprocess would start a JVM of its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from click.testing import CliRunner, Result
from sqlglot import exp

from leadgate import cli
from leadgate.definition import load_compiled
from leadgate.engines.spark import MANIFEST
from leadgate.project import Project, init_project
from leadgate.scoring.dialects import DIALECTS
from leadgate.testing.lake import LAKE_DEFINITION, load_lake, write_lake

from .test_dialects import SENIOR, portable

AS_OF = "2026-06-01T12:00:00+00:00"
LEADS = 2_000


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose store holds the lake's files, and whose ``[engine]`` names them."""
    root = tmp_path_factory.mktemp("engine") / "p"
    lake = write_lake(root / "lake", leads=LEADS, events=40_000)
    init_project(root)
    (root / "definition.yaml").write_text(LAKE_DEFINITION)
    (root / "portable.yaml").write_text(portable(LAKE_DEFINITION))
    tables = "\n".join(f'{name} = "lake/{Path(path).name}"' for name, path in lake.items())
    with (root / "leadgate.toml").open("a") as toml:
        toml.write(f'\n[engine]\nmaster = "local[2]"\noutput = "out/scores"\n'
                   f"[engine.tables]\n{tables}\n")  # fmt: skip
    with Project.open(root).store() as store:
        load_lake(store, lake)
    return root


def leadgate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadgate", *args], cwd=cwd, capture_output=True, text=True,
        timeout=300, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def invoke(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli.main, ["-C", str(project), *args])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_plan_prints_the_query_for_each_dialect(project: Path, dialect: str) -> None:
    definition = "portable.yaml" if dialect in ("snowflake", "postgres") else "definition.yaml"
    args = (
        "plan",
        "--dialect",
        dialect,
        "--as-of",
        AS_OF,
        "--definition",
        str(project / definition),
    )
    done = invoke(project, *args, "--table", "leads=crm.leads", "--json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    expected = load_compiled(project / definition).hash
    assert result["dialect"] == dialect and result["definition_hash"] == expected
    tree = sqlglot.parse_one(result["sql"], read=dialect)
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    tables = [".".join(p for p in (t.db, t.name) if p) for t in tree.find_all(exp.Table)]
    assert set(tables) - ctes == {"crm.leads", "accounts", "lead_events", "intent_signals"}

    text = invoke(project, *args).stdout
    assert text.startswith(f"-- leadgate plan: definition {expected[:12]}, {dialect}")
    assert text.rstrip().endswith(";")


def test_plan_refuses_an_unknown_table_name(project: Path) -> None:
    done = leadgate("-C", str(project), "plan", "--table", "contacts=crm.contacts", "--json",
                    cwd=project.parent)  # fmt: skip
    assert done.returncode == 1
    assert "contacts" in json.loads(done.stderr)["error"]["message"]


@pytest.fixture(scope="module")
def spark_run(spark: Any, project: Path) -> dict[str, Any]:
    done = invoke(project, "score", "--engine", "spark", "--as-of", AS_OF, "--json")
    assert done.exit_code == 0, done.output
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_score_on_spark_writes_parquet_and_a_manifest(
    project: Path, spark_run: dict[str, Any]
) -> None:
    compiled = load_compiled(project / "definition.yaml")
    out = project / "out/scores"
    assert spark_run["engine"] == "spark" and spark_run["output"] == str(out)
    assert spark_run["definition_hash"] == compiled.hash and spark_run["leads"] == LEADS
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["definition_hash"] == compiled.hash
    assert manifest["rule_keys"] == compiled.rule_keys
    assert manifest["as_of"] == "2026-06-01T12:00:00"
    assert load_compiled(text=manifest["source"]).hash == compiled.hash
    rows = duckdb.sql(f"SELECT definition_hash, count(*) FROM '{out}/*.parquet' GROUP BY 1")
    assert rows.fetchall() == [(compiled.hash, LEADS)]


def stored(project: Path) -> list[tuple[Any, ...]]:
    with Project.open(project).store(read_only=True) as store:
        return store.execute(
            "SELECT lead_id, definition_hash, as_of, fit, engagement, total, grade, band, tier,"
            " disqualified, dq_reason, sla_due, route, contributions FROM scores ORDER BY 1"
        ).fetchall()


def test_import_scores_loads_what_duckdb_would_store(
    project: Path, spark_run: dict[str, Any]
) -> None:
    done = invoke(project, "import", "scores", str(project / "out/scores"), "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["leads"] == LEADS and report["tiers"] == spark_run["tiers"]
    imported = stored(project)
    assert len(imported) == LEADS

    scored = invoke(project, "score", "--engine", "duckdb", "--details", "--as-of", AS_OF)
    assert scored.exit_code == 0, scored.output
    assert stored(project) == imported


def copy(project: Path, name: str) -> Path:
    target = project / "out" / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(project / "out/scores", target)
    return target


def refused(project: Path, folder: Path) -> dict[str, str]:
    before = stored(project)
    done = invoke(project, "import", "scores", str(folder), "--json")
    assert done.exit_code == 1, done.output
    assert stored(project) == before  # nothing written
    error: dict[str, str] = json.loads(done.stderr)["error"]
    return error


def test_import_refuses_a_missing_or_corrupt_manifest(
    project: Path, spark_run: dict[str, Any]
) -> None:
    missing = copy(project, "missing")
    (missing / MANIFEST).unlink()
    error = refused(project, missing)
    assert error["code"] == "LG510" and MANIFEST in error["message"]

    corrupt = copy(project, "corrupt")
    text = (corrupt / MANIFEST).read_text()
    (corrupt / MANIFEST).write_text(text[: len(text) // 2])
    assert refused(project, corrupt)["code"] == "LG511"

    lacking = copy(project, "lacking")
    manifest = json.loads(text)
    del manifest["rule_keys"]
    (lacking / MANIFEST).write_text(json.dumps(manifest))
    error = refused(project, lacking)
    assert error["code"] == "LG511" and "rule_keys" in error["message"]


def test_import_refuses_a_definition_hash_that_does_not_match(
    project: Path, spark_run: dict[str, Any]
) -> None:
    edited = copy(project, "edited")
    manifest = json.loads((edited / MANIFEST).read_text())
    manifest["source"] = manifest["source"].replace(SENIOR, "")
    (edited / MANIFEST).write_text(json.dumps(manifest))
    error = refused(project, edited)
    assert error["code"] == "LG512" and manifest["definition_hash"][:12] in error["message"]

    mixed = copy(project, "mixed")
    other = load_compiled(project / "portable.yaml").hash
    duckdb.sql(
        f"COPY (SELECT * REPLACE ('{other}' AS definition_hash) FROM '{mixed}/*.parquet'"
        f" LIMIT 5) TO '{mixed}/other-run.parquet' (FORMAT parquet)"
    )
    error = refused(project, mixed)
    assert error["code"] == "LG512" and "5 of the" in error["message"]


def test_import_refuses_a_folder_missing_scores(project: Path, spark_run: dict[str, Any]) -> None:
    partial = copy(project, "partial")
    parts = sorted(partial.glob("*.parquet"))
    assert parts
    parts[0].unlink()
    assert refused(project, partial)["code"] == "LG513"
