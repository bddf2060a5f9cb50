"""Dates through a project: ``date_order`` and a mapping's ``date_format`` in leadgate.toml,
and ``leadgate import --date-format`` on the real command line."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from leadgate.errors import ConfigError
from leadgate.project import CONFIG_FILE, Project, init_project

from ..cli import leadgate

AMBIGUOUS = "email,created_at\na@x.io,01/05/2024\nb@x.io,02/03/2024\n"


def project_with(tmp_path, settings: str) -> Project:
    """A project whose leadgate.toml has ``settings`` (top-level keys before its tables,
    a table after them)."""
    project = init_project(tmp_path / "p")
    config = project.root / CONFIG_FILE
    text = config.read_text()
    config.write_text(text + settings if settings.startswith("[") else settings + "\n" + text)
    return Project.open(project.root)


def created(project: Project) -> list[dt.datetime]:
    with project.store(read_only=True) as store:
        return [
            r[0] for r in store.execute("SELECT created_at FROM leads ORDER BY email").fetchall()
        ]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("dmy", [dt.datetime(2024, 5, 1), dt.datetime(2024, 3, 2)]),
        ("mdy", [dt.datetime(2024, 1, 5), dt.datetime(2024, 2, 3)]),
    ],
)
def test_the_project_date_order_reads_ambiguous_dates(tmp_path, order, expected):
    project = project_with(tmp_path, f'date_order = "{order}"')
    assert project.config.date_order == order
    path = tmp_path / "leads.csv"
    path.write_text(AMBIGUOUS)
    report = project.import_file(path, "leads")
    assert (created(project), report.notices) == (expected, [])


def test_an_import_option_wins_over_the_project_order(tmp_path):
    project = project_with(tmp_path, 'date_order = "dmy"')
    path = tmp_path / "leads.csv"
    path.write_text(AMBIGUOUS)
    project.import_file(path, "leads", date_order="mdy")
    assert created(project) == [dt.datetime(2024, 1, 5), dt.datetime(2024, 2, 3)]


def test_an_unknown_date_order_names_the_allowed_ones(tmp_path):
    (tmp_path / CONFIG_FILE).write_text('date_order = "ymd"\n')
    with pytest.raises(ConfigError) as raised:
        Project.open(tmp_path)
    assert "'date_order' must be \"mdy\" or \"dmy\". Got 'ymd' instead" in str(raised.value)


def test_a_mapping_carries_its_date_formats(tmp_path):
    project = project_with(
        tmp_path,
        '[mappings.sf_report]\nkind = "leads"\nemail = "Email"\ncreated_at = "Create Date"\n'
        'updated_at = "Last Activity"\ndate_format = "%m/%d/%Y, %I:%M %p"\n'
        'date_formats = { created_at = "%d.%m.%Y" }\n',
    )
    path = tmp_path / "report.csv"
    path.write_text('Email,Create Date,Last Activity\na@x.io,05.01.2024,"10/1/2025, 2:00 PM"\n')
    report = project.import_file(path, "leads", mapping_name="sf_report")
    assert report.rows_rejected == 0
    with project.store(read_only=True) as store:
        row = store.execute("SELECT created_at, updated_at FROM leads").fetchone()
    assert row == (dt.datetime(2024, 1, 5), dt.datetime(2025, 10, 1, 14))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("date_format = 5", "'mappings.m.date_format' must be text in quotes"),
        ('date_formats = "%d"', "'mappings.m.date_formats' must be a table of field = \"format\""),
    ],
)
def test_a_bad_mapping_date_format_is_named(tmp_path, table, message):
    (tmp_path / CONFIG_FILE).write_text(f"[mappings.m]\n{table}\n")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        Project.open(tmp_path)


def test_cli_date_format_per_field_and_the_ambiguity_notice(tmp_path):
    assert leadgate("init", "p", cwd=tmp_path).returncode == 0
    path = tmp_path / "report.csv"
    path.write_text(
        'Email,Create Date,Last Activity\na@x.io,05.01.2024,"10/1/2025, 2:00 PM"\n'
        'b@x.io,06.01.2024,"10/2/2025, 9:00 AM"\n'
    )
    args = ["import", "leads", str(path), "--map", "created_at=Create Date"]
    args += ["--map", "updated_at=Last Activity", "--date-format", "created_at=%d.%m.%Y"]
    result = leadgate(*args, "--json", cwd=tmp_path / "p")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows_loaded"] == 2
    [notice] = report["notices"]  # Last Activity: 10/1 and 10/2 could be either order
    assert notice.startswith("'Last Activity' (updated_at): its dates such as")
    shown = leadgate(*args, "--date-format", "%m/%d/%Y, %I:%M %p", cwd=tmp_path / "p")
    assert shown.returncode == 0 and "note" not in shown.stderr
    bad = leadgate(*args, "--date-format", "%d/%Q", cwd=tmp_path / "p")
    assert bad.returncode == 1 and "LG313" in bad.stderr
