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
    with pytest.raises(ImportFailed, match="for leads, not events") as raised:
        project.import_file(DATA / "events.csv", "events", mapping_name="crm")
    assert raised.value.code == "LG305"
    with pytest.raises(ImportFailed, match="known: crm") as raised:
        project.mapping("nope")
    assert raised.value.code == "LG305"


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


def test_the_library_reads_the_clock_it_was_given(tmp_path):
    import datetime as dt

    from leadgate.clock import FixedClock

    project = init_project(tmp_path / "p")
    text = project.definition_path.read_text()
    assert "review_by: 2027-03-31" in text
    before = Project.open(project.root, clock=FixedClock(dt.datetime(2027, 3, 31, 23, 0)))
    after = Project.open(project.root, clock=FixedClock(dt.datetime(2027, 4, 1, 0, 0)))
    assert before.validate().warnings == []
    (warning,) = after.validate().warnings
    assert "2027-03-31" in warning.message
    report = after.score()
    assert report.as_of == dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)
    assert len(report.warnings) == 1 and "review" in report.warnings[0]
    assert "Review with sales by 2027-03-31 — OVERDUE" in after.publish().text
    assert "OVERDUE" not in before.publish().text


def test_segments_are_resolved_by_the_library(tmp_path):
    from leadgate.errors import SegmentNotFound

    project = init_project(tmp_path / "p")
    config = project.root / CONFIG_FILE
    config.write_text(
        config.read_text().replace(
            '# enterprise = "company_size >= 1000"', 'big = "company_size >= 1000"'
        )
    )
    project = Project.open(project.root)
    leads = project.root / "leads.csv"
    leads.write_text("lead_id,company_size\nsmall,10\nlarge,5000\nhuge,20000\n")
    project.import_file(leads, "leads")
    project.score()
    assert sorted(r["lead_id"] for r in project.leads(segment="big").rows) == ["huge", "large"]
    found = project.leads(segment="big", where="company_size < 10000")
    assert [r["lead_id"] for r in found.rows] == ["large"]
    assert found.as_dict()["where"] == "(company_size >= 1000) and (company_size < 10000)"
    with pytest.raises(SegmentNotFound, match="known: big"):
        project.leads(segment="enterprise")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('timezon = "UTC"', "unknown setting 'timezon' (did you mean 'timezone'?)"),
        ("memory_limit = 4", "'memory_limit' must be text in quotes. Got 4 instead"),
        ('[enrich]\nfirmographic = "f.csv"', "did you mean 'firmographics'?"),
        ("[segments]\nbig = 1000", "segment 'big' must be a condition in quotes"),
        ("timezone = ", "is not valid TOML"),
    ],
)
def test_a_bad_setting_is_named_not_ignored(tmp_path, line, message):
    from leadgate.errors import ConfigError

    (tmp_path / CONFIG_FILE).write_text(line + "\n")
    with pytest.raises(ConfigError) as raised:
        Project.open(tmp_path)
    assert message in str(raised.value) and raised.value.code == "LG403"


def test_every_result_has_as_dict(tmp_path):
    import json

    project = init_project(tmp_path / "p")
    leads = project.root / "leads.csv"
    leads.write_text("lead_id,email,company_size\na,ana@acme.com,120\n")
    results = [
        project.validate(),
        project.import_file(leads, "leads"),
        project.score(),
        project.leads(),
        project.explain("ana@acme.com"),
        project.coverage(),
        project.publish("html"),
        project.imports(),
    ]
    for result in results:
        json.dumps(result.as_dict())  # plain JSON types only
    assert results[0].as_dict()["valid"] is True
    assert results[3].as_dict()["leads"][0]["lead_id"] == "a"
    assert results[4].as_dict()["lead_id"] == "a"
    [record] = results[7].as_dict()["imports"]
    assert (record["state"], record["kind"], record["rows_loaded"]) == ("finished", "leads", 1)


def test_the_times_a_project_records_come_from_its_clock(tmp_path):
    import datetime as dt

    from leadgate.clock import FixedClock

    at = dt.datetime(2031, 5, 4, 3, 2, 1)
    project = init_project(tmp_path / "p", clock=FixedClock(at))
    project.score(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    with project.store() as store:
        recorded = store.execute(
            "SELECT (SELECT scored_at FROM score_runs), (SELECT created_at FROM definitions), "
            "(SELECT max(created_at) FROM plans), (SELECT max(applied_at) FROM _migrations)"
        ).fetchone()
    assert recorded == (at, at, at, at)


def test_the_compiled_definition_is_kept_until_its_file_changes(tmp_path):
    project = init_project(tmp_path / "p")
    first = project.compiled()
    assert project.compiled() is first  # kept: not parsed again
    view = project.reading(project.store())
    assert view.compiled() is first  # a reader's view shares it
    text = project.definition_path.read_text(encoding="utf-8")
    project.definition_path.write_text(text.replace("version:", "# edited\nversion:", 1))
    edited = project.compiled()
    assert edited is not first and view.compiled() is edited
    _, warnings = project._compile(None)
    warnings.append("a caller's own note")
    assert "a caller's own note" not in project._compile(None)[1]
