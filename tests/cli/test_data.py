"""The real CLI in a subprocess against a project on disk: init, import, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import ROOT, leadgate

DATA = ROOT / "tests" / "data" / "ingest"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    result = leadgate("init", "proj", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "proj"


def test_clean_import_exits_0_and_prints_counts(project):
    result = leadgate(
        "import",
        "leads",
        str(DATA / "salesforce_leads.csv"),
        "--preset",
        "salesforce_leads",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    assert "loaded" in result.stdout and "3" in result.stdout


def test_rejects_exit_1_and_show_a_table(project):
    result = leadgate("import", "accounts", str(DATA / "accounts.csv"), cwd=project)
    assert result.returncode == 1
    assert "not a whole number" in result.stdout and "eighty" in result.stdout


def test_json_report_and_map_option(tmp_path, project):
    events = tmp_path / "clicks.csv"
    events.write_text("who,what,when\nL1,email_click,2024-01-01 10:00\n")
    args = ["-C", str(project), "import", "events", str(events), "--json"]
    args += ["--map", "lead_id=who", "--map", "type=what", "--map", "ts=when"]
    args += ["--timezone", "Europe/Berlin"]
    result = leadgate(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["rows_loaded"], report["rows_rejected"]) == (1, 0)
    again = json.loads(leadgate(*args, cwd=tmp_path).stdout)
    assert (again["rows_loaded"], again["rows_unchanged"]) == (0, 1)


def test_handled_errors_exit_1_with_a_message(tmp_path, project):
    missing = leadgate("import", "leads", "nope.csv", cwd=project)
    assert missing.returncode == 1 and "No file" in missing.stderr
    no_project = leadgate("import", "leads", str(DATA / "events.csv"), cwd=tmp_path)
    assert no_project.returncode == 1 and "leadgate init" in no_project.stderr


def test_trace_prints_sql_to_stderr(project):
    result = leadgate(
        "--trace",
        "import",
        "leads",
        str(DATA / "hubspot_contacts.csv"),
        "--preset",
        "hubspot_contacts",
        "--json",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    assert "CREATE OR REPLACE TEMP TABLE _lg_stage" in result.stderr
    json.loads(result.stdout)  # stdout stays clean JSON


def test_unexpected_errors_exit_2(project, monkeypatch):
    from click.testing import CliRunner

    from leadgate import cli
    from leadgate.project import Project

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Project, "import_file", boom)
    result = CliRunner().invoke(
        cli.main, ["-C", str(project), "import", "leads", str(DATA / "events.csv")]
    )
    assert result.exit_code == 2
