"""The project on disk: init, open, config, and imports that use the project's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadgate.errors import ImportFailed, ProjectNotFound
from leadgate.project import CONFIG_FILE, Project, init_project

DATA = Path(__file__).resolve().parent / "data" / "ingest"


def test_init_creates_the_three_files(tmp_path):
    project = init_project(tmp_path / "p")
    for name in ("leadgate.toml", "definition.yaml", "leadgate.duckdb"):
        assert (project.root / name).is_file()
    assert project.timezone == "UTC"
    assert project.definition_path == project.root / "definition.yaml"
    assert project.mappings == {} and project.segments == {}
    assert project.enrich == {"firmographics": "", "competitor_domains": [], "customer_domains": []}


def test_init_keeps_existing_files(tmp_path):
    (tmp_path / CONFIG_FILE).write_text('timezone = "Europe/Berlin"\n')
    project = init_project(tmp_path)
    assert project.timezone == "Europe/Berlin"


def test_open_finds_the_project_from_a_subfolder(tmp_path, monkeypatch):
    init_project(tmp_path)
    (tmp_path / "data" / "raw").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "data" / "raw")
    assert Project.open().root == tmp_path.resolve()


def test_open_says_what_to_do_when_there_is_no_project(tmp_path):
    with pytest.raises(ProjectNotFound, match="leadgate init"):
        Project.open(tmp_path)


def test_import_uses_the_project_zone_mapping_and_enrichment(tmp_path):
    project = init_project(tmp_path)
    (tmp_path / CONFIG_FILE).write_text(
        'timezone = "America/New_York"\n'
        '[mappings.crm]\nkind = "leads"\nlead_id = "Record ID"\nemail = "Email"\n'
        'created_at = "Create Date"\n'
        '[segments]\nenterprise = "company_size >= 1000"\n'
        '[enrich]\ncompetitor_domains = ["brightlane.com"]\n'
    )
    project = Project.open(tmp_path)
    assert project.segments == {"enterprise": "company_size >= 1000"}
    report = project.import_file(DATA / "hubspot_contacts.csv", "leads", mapping_name="crm")
    assert report.rows_loaded == 4
    with project.store() as store:
        row = store.query("SELECT created_at, email_domain_type FROM leads WHERE lead_id = '52'")[0]
    assert str(row["created_at"]) == "2024-02-14 21:05:00"  # 16:05 in New York
    assert row["email_domain_type"] == "competitor"


def test_a_mapping_for_another_kind_is_refused(tmp_path):
    init_project(tmp_path)
    (tmp_path / CONFIG_FILE).write_text('[mappings.crm]\nkind = "leads"\nemail = "Email"\n')
    project = Project.open(tmp_path)
    with pytest.raises(ImportFailed, match="for leads, not events"):
        project.import_file(DATA / "events.csv", "events", mapping_name="crm")
    with pytest.raises(ImportFailed, match="known: crm"):
        project.mapping("nope")


def test_event_import_accepts_the_definitions_own_event_types(tmp_path):
    from leadgate.project import init_project

    project = init_project(tmp_path / "p")
    definition = project.definition_path
    definition.write_text(
        definition.read_text().replace(
            "attributes:", "event_types: [partner_referral]\nattributes:", 1
        )
    )
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,lead_id,type,ts\n"
        "1,a,partner_referral,2026-01-01T10:00:00\n"
        "2,a,partner_referal,2026-01-01T11:00:00\n"
    )
    report = project.import_file(events, "events")
    assert report.rows_loaded == 1 and report.rows_rejected == 1
    (reject,) = report.rejects
    assert reject.line == 3 and "partner_referral" in reject.reason


def test_the_store_takes_the_project_memory_limit(tmp_path):
    import duckdb

    def reported(limit: str) -> str:
        with duckdb.connect(config={"memory_limit": limit}) as con:
            return str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])

    project = init_project(tmp_path / "p")
    with project.store() as store:
        assert store.scalar("SELECT current_setting('memory_limit')") == reported("3.5GB")
    config = project.root / CONFIG_FILE
    config.write_text(config.read_text().replace('memory_limit = "3.5GB"', 'memory_limit = "1GB"'))
    with Project.open(project.root).store() as store:
        assert store.scalar("SELECT current_setting('memory_limit')") == reported("1GB")
    assert reported("1GB") != reported("3.5GB")
