"""The scoring commands, run as a user runs them: the real CLI in a subprocess, on a project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadgate.definition import load_compiled

from . import leadgate as run


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "demo"
    done = run("demo", str(root), "--leads", "600", "--accounts", "80", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["scoring"]["leads"] == 600
    assert sum(row["leads"] for row in result["tiers"]) == 600
    for explained in result["explained"]:
        assert round(sum(c["points"] for c in explained["contributions"]), 2) == explained["total"]
    return root


def test_demo_prints_tiers_queue_explanations_and_coverage(tmp_path: Path) -> None:
    done = run("demo", str(tmp_path / "d"), "--leads", "400", "--accounts", "60")
    assert done.returncode == 0, done.stderr
    for heading in ("leads by tier", "handed to sales", "why ", "could not judge"):
        assert heading in done.stdout


def test_validate_exit_codes(project: Path, tmp_path: Path) -> None:
    ok = run("validate", cwd=project)
    assert ok.returncode == 0 and "valid" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nversion: '1'\nfit:\n  rules:\n"
        "    - {name: a, when: 'compnay_size > 3', points: ten}\n"
    )
    done = run("validate", str(bad), "--json")
    assert done.returncode == 1
    problems = json.loads(done.stdout)["problems"]
    assert {p["path"] for p in problems} == {"fit.rules[0].when", "fit.rules[0].points"}
    assert all(p["line"] == 5 for p in problems)


def test_score_then_list_explain_and_filter(project: Path) -> None:
    done = run("-C", str(project), "score", "--as-of", "2026-01-01", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    compiled = load_compiled(project / "definition.yaml")
    assert report["definition_hash"] == compiled.hash and report["leads"] == 600

    listed = json.loads(run("-C", str(project), "leads", "--tier", "hot", "--json").stdout)
    assert listed["definition_hash"] == compiled.hash and listed["tier"] == "hot"
    assert listed["as_of"] == "2026-01-01T00:00:00+00:00"
    hot = listed["leads"]
    assert hot and listed["count"] == len(hot) and all(row["tier"] == "hot" for row in hot)
    totals = [row["total"] for row in hot]
    assert totals == sorted(totals, reverse=True)

    lead = hot[0]["lead_id"]
    explained = json.loads(run("-C", str(project), "explain", lead, "--json").stdout)
    assert explained["total"] == hot[0]["total"] and explained["tier"] == "hot"
    assert round(sum(c["points"] for c in explained["contributions"]), 2) == explained["total"]

    where = run(
        "-C",
        str(project),
        "leads",
        "--where",
        "count(demo_request, 14d) >= 1",
        "--limit",
        "0",
        "--format",
        "csv",
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.splitlines()[0].startswith("lead_id,tier,total,fit,engagement,email")

    bad = run("-C", str(project), "leads", "--where", "count(demo_requets, 14d) >= 1")
    assert bad.returncode == 1 and "did you mean 'demo_request'?" in bad.stderr


def test_score_details_keeps_every_rules_points(project: Path) -> None:
    from leadgate.store import Store

    done = run("-C", str(project), "score", "--as-of", "2026-02-01", "--details", "--json")
    assert done.returncode == 0, done.stderr
    compiled = load_compiled(project / "definition.yaml")
    with Store(project / "leadgate.duckdb", read_only=True) as store:
        rows = store.query(
            "SELECT lead_id, total, contributions FROM scores WHERE as_of = '2026-02-01'"
        )
        keys = store.scalar("SELECT rule_keys FROM definitions WHERE definition_hash = ?",
                            [compiled.hash])  # fmt: skip
    assert len(rows) == 600 and keys == compiled.rule_keys
    for row in rows[:5]:
        explained = json.loads(run("-C", str(project), "explain", row["lead_id"], "--as-of",
                                   "2026-02-01", "--json").stdout)  # fmt: skip
        by_key = {c["key"]: c["points"] for c in explained["contributions"]}
        stored = [round((v or 0) / 100, 2) for v in row["contributions"]]
        assert stored == [round(by_key[k], 2) for k in keys], row["lead_id"]


def test_score_in_buckets_stores_the_same_scores(project: Path) -> None:
    from leadgate.store import Store

    stored = []
    for buckets in ([], ["--buckets", "3"]):
        done = run("-C", str(project), "score", "--as-of", "2026-02-01", "--details", "--json",
                   *buckets)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["buckets"] == (3 if buckets else 1)
        with Store(project / "leadgate.duckdb", read_only=True) as store:
            stored.append(
                store.execute(
                    "SELECT lead_id, fit, engagement, total, tier, route, contributions"
                    " FROM scores WHERE as_of = '2026-02-01' ORDER BY lead_id"
                ).fetchall()
            )
    assert len(stored[0]) == 600 and stored[1] == stored[0]


def test_explain_unknown_lead_is_a_handled_error(project: Path) -> None:
    done = run("-C", str(project), "explain", "nobody@nowhere.test")
    assert done.returncode == 1 and "No lead with id or email" in done.stderr


def test_coverage_reports_before_and_after_enrichment(project: Path) -> None:
    rows = json.loads(run("-C", str(project), "coverage", "--json").stdout)["rules"]
    seniority = next(r for r in rows if r["rule"] == "manager or above")
    # seniority comes only from titles: enrichment judges most leads it could not before
    assert seniority["pct_before"] == 100.0 and seniority["pct_after"] < 20


def test_publish_writes_html(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "mql.html"
    done = run("-C", str(project), "publish", "--format", "html", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "<h2>Tiers</h2>" in out.read_text()


def test_as_of_dates_are_in_the_projects_time_zone(project: Path) -> None:
    config = project / "leadgate.toml"
    original = config.read_text()
    config.write_text(original.replace('timezone = "UTC"', 'timezone = "America/New_York"', 1))
    try:
        done = run("-C", str(project), "score", "--as-of", "2026-01-01", "--json")
        assert done.returncode == 0, done.stderr
        # Midnight in New York is 05:00 UTC in January.
        assert json.loads(done.stdout)["as_of"] == "2026-01-01T05:00:00+00:00"
        bad = run("-C", str(project), "score", "--as-of", "first of may")
        assert bad.returncode == 2 and "is not a date or time" in bad.stderr
    finally:
        config.write_text(original)


def test_explain_shows_the_values_each_rule_judged_as_written(project: Path) -> None:
    lead = json.loads(run("-C", str(project), "leads", "--limit", "1", "--json").stdout)
    lead_id = lead["leads"][0]["lead_id"]
    done = run("-C", str(project), "explain", lead_id)
    assert done.returncode == 0, done.stderr
    explained = json.loads(run("-C", str(project), "explain", lead_id, "--json").stdout)
    seniority = next(c for c in explained["contributions"] if c["label"] == "manager or above")
    # Brackets in a rule's detail are text, not terminal markup: none of it goes missing.
    assert "[manager," in seniority["detail"] and "[manager," in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80


def test_the_score_table_counts_each_lead_once(project: Path) -> None:
    """A disqualified lead has no tier: the table shows it under (disqualified) only, so
    its rows add up to the leads scored, as the JSON's tiers do."""
    done = run("-C", str(project), "score", "--as-of", "2026-03-01", "--json")
    report = json.loads(done.stdout)
    assert report["disqualified"] > 0 and sum(report["tiers"].values()) == report["leads"]
    table = run("-C", str(project), "score", "--as-of", "2026-03-01")
    assert table.returncode == 0, table.stderr
    cells = [line.split() for line in table.stdout.splitlines()]
    counted = {c[0]: int(c[1]) for c in cells if len(c) == 2 and c[1].isdigit()}
    assert counted["(disqualified)"] == report["disqualified"]
    assert sum(counted.values()) == report["leads"]
