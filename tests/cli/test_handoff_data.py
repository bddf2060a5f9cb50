"""``leadgate forget``, ``schemas`` and ``export mqls``, run as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

from . import leadgate as run

LEADS = "lead_id,email,stage\nc1,cy@x.io,mql\nc2,di@x.io,mql\nc3,ed@x.io,lead\n"


def project_with_mqls(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    assert run("init", str(root)).returncode == 0
    (root / "leads.csv").write_text(LEADS, encoding="utf-8")
    done = run("import", "leads", str(root / "leads.csv"), "--json", cwd=root)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stage_changes"] == 2  # c1, c2 enter MQL from the CRM
    return root


def test_export_then_forget_then_export_again(tmp_path: Path) -> None:
    root = project_with_mqls(tmp_path)
    done = run("export", "mqls", "--since", "2000-01-01", "--out", "m.csv", "--json", cwd=root)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == 2
    with (root / "m.csv").open(encoding="utf-8", newline="") as f:
        assert [r["email"] for r in csv.DictReader(f)] == ["cy@x.io", "di@x.io"]

    forgot = run("forget", "CY@x.io", "--actor", "dpo", "--json", cwd=root)
    assert forgot.returncode == 0, forgot.stderr
    erasure = json.loads(forgot.stdout)
    assert erasure["actor"] == "user:dpo" and erasure["leads"] == 1
    assert erasure["messages_deleted"] == 1  # its undelivered lead.mql
    again = run("forget", "cy@x.io", cwd=root)
    assert again.returncode == 1 and "LG680" in again.stderr
    text = run("forget", "di@x.io", cwd=root)
    assert text.returncode == 0 and "Erased 1 lead(s)" in text.stdout

    run("export", "mqls", "--format", "json", "--out", "m.json", cwd=root)
    assert json.loads((root / "m.json").read_text(encoding="utf-8")) == []
    with duckdb.connect(str(root / "leadgate.duckdb"), read_only=True) as db:
        actors = db.execute("SELECT actor FROM erasures ORDER BY erased_at").fetchall()
    assert len(actors) == 2 and actors[0] == ("user:dpo",)


def test_schemas_lists_the_types_and_prints_one(tmp_path: Path) -> None:
    root = tmp_path / "p"
    assert run("init", str(root)).returncode == 0
    listed = run("schemas", cwd=root)
    assert listed.returncode == 0 and "lead.mql:" in listed.stdout
    one = json.loads(run("schemas", "lead.assigned", cwd=root).stdout)
    assert one["properties"]["type"] == {"const": "lead.assigned"}
    every = json.loads(run("schemas", "--json", cwd=root).stdout)
    assert {"lead.mql", "stage.changed", "lead.assigned"} <= set(every)
    unknown = run("schemas", "lead.won", cwd=root)
    assert unknown.returncode == 1 and "LG682" in unknown.stderr


def test_a_bad_date_names_the_option_given(tmp_path: Path) -> None:
    root = tmp_path / "p"
    assert run("init", str(root)).returncode == 0
    for option in ("--since", "--until"):
        done = run("export", "mqls", option, "2026-13-01", "--out", "m.csv", cwd=root)
        assert done.returncode == 2 and f"Invalid value for {option}" in done.stderr
        assert "--as-of" not in done.stderr
        listed = run("queue", option, "2026-13-01", cwd=root)
        assert listed.returncode == 2 and f"Invalid value for {option}" in listed.stderr
    routed = run("reps", "--at", "noon", cwd=root)
    assert routed.returncode == 2 and "Invalid value for --at" in routed.stderr


def test_export_to_standard_output_prints_the_file_and_writes_none(tmp_path: Path) -> None:
    root = project_with_mqls(tmp_path)
    done = run("export", "mqls", "--out", "-", cwd=root)
    assert done.returncode == 0, done.stderr
    assert [r["email"] for r in csv.DictReader(done.stdout.splitlines())] == ["cy@x.io", "di@x.io"]
    assert "Wrote 2 MQL(s) to standard output" in done.stderr
    assert not (root / "-").exists()
    as_json = run("export", "mqls", "--out", "-", "--format", "json", "--json", cwd=root)
    assert [r["email"] for r in json.loads(as_json.stdout)] == ["cy@x.io", "di@x.io"]
    assert json.loads(as_json.stderr)["rows"] == 2
