"""``leadgate import`` with value maps and a stated outcome time, in a subprocess."""

from __future__ import annotations

import json
import re
import shlex

from . import ROOT, leadgate, test_data

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


def _crm_block() -> list[list[str]]:
    """The README's "CRM exports as they come" commands, as tokens after ``leadgate``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### CRM exports as they come\n\n```bash\n(.*?)```", text, re.S)
    assert block is not None
    lines = [shlex.split(line, comments=True) for line in block.group(1).splitlines()]
    return [tokens[1:] for tokens in lines if tokens]


def test_the_readme_s_crm_commands_import_the_sample_exports_in_one_command_each(project):
    samples = {
        "hubspot-contacts.csv": "hubspot_contacts_export.csv",
        "sf-lead-report.csv": "salesforce_lead_report.csv",
        "lead-table.csv": "lead_table.csv",
        "bank-additional-full.csv": "bank_marketing.csv",
    }
    commands = _crm_block()
    leads, outcomes = ["import", "leads"], ["import", "outcomes"]
    assert [c[:2] for c in commands] == [leads, leads, outcomes, leads, outcomes]
    reports = []
    for tokens in commands:
        tokens[2] = str(DATA / samples[tokens[2]])
        result = leadgate(*tokens, "--json", cwd=project)
        assert result.returncode == 0, (tokens, result.stdout, result.stderr)
        reports.append(json.loads(result.stdout))
    loaded = [(r["rows_loaded"], r["rows_rejected"]) for r in reports]
    assert loaded == [(14, 0), (12, 0), (8, 0), (14, 0), (14, 0)]
    assert reports[2]["outcomes"] == {"won": 3, "lost": 5}
    assert reports[4]["outcomes"] == {"won": 4, "lost": 10}


def test_a_file_of_closed_deals_imports_with_one_outcome_for_every_row(project):
    """The quick start's line: a lead id and a date, no outcome column."""
    deals = project / "closed-deals.csv"
    deals.write_text("MQL Id,Won Date\nL1,2026-10-02\nL2,2026-10-05\n", encoding="utf-8")
    args = ["import", "outcomes", "closed-deals.csv", "--map", "lead_id=MQL Id"]
    args += ["--map", "ts=Won Date"]
    without = leadgate(*args, cwd=project)
    assert without.returncode == 1 and "LG304" in without.stderr and "--outcome" in without.stderr
    done = leadgate(*args, "--outcome", "Won", "--json", cwd=project)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outcomes"] == {"won": 2}
    wrong = leadgate(*args, "--outcome", "wonn", cwd=project)
    assert wrong.returncode == 1 and "did you mean 'won'?" in wrong.stderr
