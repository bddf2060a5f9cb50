"""``leadgate import`` with value maps and a stated outcome time, in a subprocess."""

from __future__ import annotations

import json

from . import leadgate, test_data

DATA = test_data.DATA
project = test_data.project  # the fixture: a fresh project from `leadgate init`


def test_a_lead_table_with_a_0_1_column_imports_as_outcomes_in_one_command(project):
    args = ["import", "outcomes", str(DATA / "lead_table.csv"), "--map", "outcome=Converted"]
    args += ["--outcome-time", "2025-06-30"]
    shown = leadgate(*args, cwd=project)
    assert shown.returncode == 0, shown.stderr
    assert "won: 3, lost: 5" in shown.stdout
    again = leadgate(*args, "--json", cwd=project)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["rows_unchanged"], report["outcomes"]) == (8, {})


def test_value_options_translate_and_reject(project, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("email,Stage\na@x.io,Hot\nb@x.io,cold\nc@x.io,Warm\n", encoding="utf-8")
    args = ["import", "leads", str(path), "--map", "stage=Stage", "--json"]
    args += ["--value", "stage:Hot=mql", "--value", "stage:Cold=lead"]
    result = leadgate(*args, cwd=project)
    assert result.returncode == 1  # a value the map lacks is a reject
    report = json.loads(result.stdout)
    assert (report["rows_loaded"], report["rows_rejected"]) == (2, 1)
    assert report["columns_added"] == ["stage_raw"]  # the file's word, kept as written
    [reject] = report["rejects"]
    assert (reject["line"], reject["column"], reject["raw"]) == (4, "stage", "Warm")
    assert reject["reason"].startswith("not a value the map of stage knows ('Hot', 'Cold')")


def test_a_malformed_value_option_is_a_clear_error(project):
    result = leadgate(
        "import", "leads", str(DATA / "salesforce_leads.csv"), "--value", "stage=mql", cwd=project
    )
    assert result.returncode == 1
    assert "--value wants FIELD:File value=leadgate value" in result.stderr
