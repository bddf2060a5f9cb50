"""``leadgate reps`` and ``leadgate routes``, run as a user runs them, on a real project."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from . import leadgate as run

REPS = """
[[reps]]
name = "Ana"
email = "ana@example.com"
teams = ["ae"]
weight = 2
timezone = "Europe/Madrid"
max_open = 10

[[reps]]
name = "Bo"
teams = ["ae", "sdr"]
timezone = "Europe/London"
out_of_office = ["2026-12-24..2026-12-31"]

[[reps]]
name = "Cy"
teams = ["sdr"]
timezone = "America/New_York"

[routing]
rules = [
  { name = "existing account", to = "account_owner" },
  { name = "big", when = "company_size >= 1000 and tier = 'mql'", to = "pool:ae" },
  { name = "everyone else", to = "team:sdr" },
]
"""
TUESDAY = "2026-12-01T10:00:00+00:00"  # Madrid and London at work, New York not yet


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("routing") / "demo"
    done = run("demo", str(root), "--leads", "300", "--accounts", "40", "--json", "--no-handoff")
    assert done.returncode == 0, done.stderr
    with (root / "leadgate.toml").open("a", encoding="utf-8") as toml:
        toml.write(REPS)
    return root


def lead_with(root: Path, condition: str) -> tuple[str, str]:
    with duckdb.connect(str(root / "leadgate.duckdb"), read_only=True) as db:
        row = db.execute(
            "SELECT l.lead_id, l.account_id FROM leads l JOIN scores s USING (lead_id) "
            f"WHERE {condition} ORDER BY l.lead_id LIMIT 1"
        ).fetchone()
    assert row is not None, condition
    return str(row[0]), str(row[1])


def test_reps_shows_who_is_available_with_caps_and_open_mqls(project: Path) -> None:
    done = run("reps", "--at", TUESDAY, "--json", cwd=project)
    assert done.returncode == 0, done.stderr
    reps = {r["name"]: r for r in json.loads(done.stdout)["reps"]}
    assert reps["Ana"]["available"] and reps["Ana"]["max_open"] == 10
    assert reps["Cy"]["unavailable"].startswith("outside working hours 09:00-17:00")
    assert reps["Bo"]["open"] == 0
    christmas = json.loads(run("reps", "--at", "2026-12-24T12:00", "--json", cwd=project).stdout)
    bo = next(r for r in christmas["reps"] if r["name"] == "Bo")
    assert bo["unavailable"] == "out of office until 2026-12-31"
    table = run("reps", "--at", TUESDAY, cwd=project)
    assert table.returncode == 0 and "Ana" in table.stdout and "Cy" in table.stdout


def test_routes_lists_the_rules_in_order(project: Path) -> None:
    done = run("routes", cwd=project)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("1. existing account") and "team:sdr" in lines[-1]


def test_routes_test_names_the_rule_the_pool_and_the_rep(project: Path) -> None:
    lead, _ = lead_with(project, "l.company_size >= 1000 AND s.tier = 'mql'")
    done = run("routes", "test", lead, "--at", TUESDAY, "--json", cwd=project)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["rep"] == "Ana" and result["rule"] == "big"
    assert "rule 'big' → pool 'ae' → Ana: next in turn, weight 2, 0 open of 10" in result["reason"]
    small, _ = lead_with(project, "l.company_size < 1000")
    other = json.loads(run("routes", "test", small, "--at", TUESDAY, "--json", cwd=project).stdout)
    # New York is asleep: Bo takes the SDR team's lead, and the reason says why not Cy.
    assert other["rep"] == "Bo" and "skipped Cy: outside working hours" in other["reason"]
    text = run("routes", "test", small, "--at", TUESDAY, cwd=project)
    assert text.returncode == 0 and f"{small} → Bo" in text.stdout


def test_the_accounts_owner_gets_the_lead(project: Path, tmp_path: Path) -> None:
    lead, account = lead_with(project, "l.account_id IS NOT NULL")
    owners = tmp_path / "owners.csv"
    owners.write_text(f"account_id,domain,owner\n{account},{account},ana@example.com\n")
    imported = run("import", "accounts", str(owners), cwd=project)
    assert imported.returncode == 0, imported.stderr
    done = run("routes", "test", lead, "--at", TUESDAY, "--json", cwd=project)
    result = json.loads(done.stdout)
    assert result["rep"] == "Ana" and result["rule"] == "existing account"
    assert result["reason"].startswith("rule 'existing account' → account owner Ana")


def test_an_unknown_lead_and_a_bad_condition_are_clear_errors(project: Path) -> None:
    done = run("routes", "test", "nobody@nowhere.test", "--json", cwd=project)
    assert done.returncode == 1
    assert json.loads(done.stderr)["error"]["code"] == "LG402"
    toml = project / "leadgate.toml"
    before = toml.read_text(encoding="utf-8")
    try:
        toml.write_text(before.replace("tier = 'mql'", "tierr = 'mql'"), encoding="utf-8")
        lead, _ = lead_with(project, "TRUE")
        bad = run("routes", "test", lead, cwd=project)
        assert bad.returncode == 1 and "LG653 routing.rules[1].when" in bad.stderr
    finally:
        toml.write_text(before, encoding="utf-8")


def test_routes_assign_stores_each_mql_once_and_keeps_the_turns(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    assert (
        run("demo", str(root), "--leads", "800", "--accounts", "60", "--no-handoff").returncode == 0
    )
    with (root / "leadgate.toml").open("a", encoding="utf-8") as toml:
        toml.write(REPS.replace('teams = ["sdr"]', 'teams = ["sdr"]\nmax_open = 4'))
    at = "2026-12-01T15:00:00+00:00"  # all three at work
    dry = json.loads(run("routes", "assign", "--at", at, "--json", cwd=root).stdout)
    assert dry["leads"] > 20 and not dry["applied"]
    again = json.loads(run("routes", "assign", "--at", at, "--json", cwd=root).stdout)
    assert again == dry  # nothing was stored
    done = run("routes", "assign", "--apply", "--at", at, "--json", cwd=root)
    assert done.returncode == 0, done.stderr
    applied = json.loads(done.stdout)
    assert applied["assignments"] == dry["assignments"]
    given = {r["rep"] for r in applied["assignments"]}
    assert given <= {"Ana", "Bo", "Cy"} and all(r["reason"] for r in applied["assignments"])
    reps = {r["name"]: r for r in json.loads(run("reps", "--json", cwd=root).stdout)["reps"]}
    counts = {name: sum(a["rep"] == name for a in applied["assignments"]) for name in reps}
    assert {name: r["open"] for name, r in reps.items()} == counts
    assert counts["Cy"] == 4 and counts["Ana"] <= 10  # caps hold
    later = json.loads(run("routes", "assign", "--apply", "--at", at, "--json", cwd=root).stdout)
    assert later["leads"] == 0  # each lead is assigned once
    with duckdb.connect(str(root / "leadgate.duckdb"), read_only=True) as db:
        stored = db.execute("SELECT count(*), count(DISTINCT lead_id) FROM assignments").fetchone()
        turns = dict(db.execute("SELECT rep, today FROM rep_turns").fetchall())
    assigned = len(applied["assignments"]) - applied["unrouted"]
    assert stored == (assigned, assigned)
    assert turns == counts
    listed = run("outbox", "--state", "pending", "--limit", "100000", "--json", cwd=root)
    outbox = json.loads(listed.stdout)
    announced = [m["lead_id"] for m in outbox["messages"] if m["event_type"] == "lead.assigned"]
    assert sorted(announced) == sorted(
        r["lead_id"] for r in applied["assignments"] if r["rep"] is not None
    )
