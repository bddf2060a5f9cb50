"""What a person and a script see: tables that fit 80 columns, JSON errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from leadgate import cli
from leadgate.cli.output import Column, fitting

from . import leadgate as run


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("out") / "demo"
    done = run("demo", str(root), "--leads", "300", "--accounts", "40", "--json")
    assert done.returncode == 0, done.stderr
    return root


def test_a_listing_fits_80_columns_and_names_what_it_left_out(project: Path) -> None:
    done = run("-C", str(project), "leads", "--limit", "8")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80
    assert "…" not in done.stdout
    header = next(line for line in lines if line.strip().startswith("lead_id"))
    assert header.split()[:3] == ["lead_id", "tier", "total"]
    assert "left out to fit 80 characters" in done.stderr and "company" in done.stderr
    for hidden in ("company", "dq_reason"):
        assert hidden not in header


def test_columns_chooses_them_and_csv_keeps_every_column(project: Path) -> None:
    done = run("-C", str(project), "leads", "--limit", "3", "--columns", "company,lead_id")
    header = next(line for line in done.stdout.splitlines() if "lead_id" in line)
    assert header.split() == ["company", "lead_id"] and done.stderr == ""
    csv = run("-C", str(project), "leads", "--limit", "3", "--format", "csv").stdout
    assert csv.splitlines()[0].split(",")[-4:] == ["route", "sla_due", "sla_status", "dq_reason"]
    bad = run("-C", str(project), "leads", "--columns", "lead_id,nope")
    assert bad.returncode == 2 and "No column 'nope'" in bad.stderr and "company" in bad.stderr


def test_the_table_drops_the_least_important_columns_first() -> None:
    columns = [Column("id", 1), Column("a", 3), Column("b", 2), Column("c", 3)]
    rows = [{"id": "x" * 10, "a": "a" * 30, "b": "b" * 30, "c": "c" * 30}]
    _, hidden = fitting(columns, rows, "t", 80)
    assert [c.name for c in hidden] == ["c"]
    _, hidden = fitting(columns, rows, "t", 50)
    assert [c.name for c in hidden] == ["a", "c"]
    _, hidden = fitting(columns, rows, "t", 200)
    assert hidden == []


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (["leads", "--json"], "LG401", 1),  # no project here
        (["leads", "--bogus", "--json"], "LG001", 2),  # a usage error
        (["score", "--as-of", "first of may", "--format", "json"], "LG001", 2),
    ],
)
def test_with_json_errors_are_json_on_stderr(
    tmp_path: Path, args: list[str], code: str, exit_code: int
) -> None:
    done = run(*args, cwd=tmp_path)
    assert done.returncode == exit_code
    assert done.stdout == ""
    error = json.loads(done.stderr)["error"]
    assert error["code"] == code and error["message"]


def test_handled_errors_in_json_carry_their_own_code(project: Path) -> None:
    done = run("-C", str(project), "explain", "nobody@nowhere.test", "--json")
    assert done.returncode == 1
    assert json.loads(done.stderr) == {
        "error": {
            "code": "LG402",
            "message": "No lead with id or email 'nobody@nowhere.test'. "
            "List leads with 'leadgate leads'.",
        }
    }
    where = run("-C", str(project), "leads", "--where", "company_size >", "--json")
    assert where.returncode == 1 and json.loads(where.stderr)["error"]["code"] == "LG200"


def test_unexpected_errors_exit_2_with_a_json_body(project: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from leadgate.project import Project

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Project, "score", boom)
    result = CliRunner().invoke(cli.main, ["-C", str(project), "score", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stderr) == {
        "error": {"code": "LG002", "message": "RuntimeError: disk on fire"}
    }


def test_commands_are_listed_in_the_order_they_are_registered() -> None:
    done = CliRunner().invoke(cli.main, ["--help"])
    listed = [
        line.split()[0]
        for line in done.output.split("Commands:")[1].splitlines()
        if line.startswith("  ")
    ]
    assert listed == [c.name for c in cli.COMMANDS] == list(cli.main.commands)


def test_a_missing_definition_is_a_handled_error_naming_the_file(tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "p")).returncode == 0
    (tmp_path / "p" / "definition.yaml").unlink()
    done = run("-C", str(tmp_path / "p"), "score", "--json")
    assert done.returncode == 1
    error = json.loads(done.stderr)["error"]
    assert error["code"] == "LG108" and "No definition file at" in error["message"]
    plain = run("-C", str(tmp_path / "p"), "score")
    assert plain.returncode == 1 and "LG108" in plain.stderr and "Traceback" not in plain.stderr


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


def test_every_listing_takes_format_and_columns_and_json_says_what_it_is() -> None:
    """README: listings take --format csv and --columns; --json's help names --format
    only where there is one."""
    listings = set()
    for name, command in _commands(cli.main):
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        json_help = next((p.help for p in command.params if "--json" in p.opts), None)
        if "--format" in options and "--columns" in options:
            listings.add(name)
            assert json_help == "Same as --format json.", name
        elif json_help is not None:
            assert "--format" not in json_help, name
    expected = {"leads", "coverage", "imports", "queue", "reps", "outbox", "sla", "funnel"}
    assert expected | {"lift", "history", "definitions", "keys", "users"} <= listings


def test_sla_funnel_and_lift_print_csv_of_the_columns_asked(project: Path) -> None:
    for args, header in (
        (["sla", "--as-of", "2026-01-01T01:30", "--columns", "lead_id,status"], "lead_id,status"),
        (["sla", "--speed", "--columns", "by,key,leads"], "by,key,leads"),
        (["funnel", "--by", "tier", "--columns", "group,leads,mqls"], "group,leads,mqls"),
        (["lift", "--columns", "criterion,verdict"], "criterion,verdict"),
    ):
        done = run("-C", str(project), *args, "--format", "csv")
        assert done.returncode == 0, (args, done.stderr)
        lines = done.stdout.splitlines()
        assert lines[0] == header and len(lines) > 1, args
    both = run("-C", str(project), "funnel", "--diagnose", "--format", "csv")
    assert both.returncode == 2 and "--diagnose" in both.stderr
