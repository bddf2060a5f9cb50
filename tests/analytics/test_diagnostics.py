"""Each diagnostic fires on data made to trigger it, and stays silent on data that does not."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from leadgate.project import Project
from tests.cli import leadgate as run

from .builders import DAY, DEFINITION, NOW, Writer, make_project

WINDOW = "30d"  # MQLs of 60 days ago: their window has closed, and they are recent volume


def codes(project: Project) -> dict[str, dict[str, object]]:
    return {d.code: d.as_dict() for d in project.diagnose(window=WINDOW).diagnostics}


def sqls(tmp_path: Path, converted: int, config: str = "", n: int = 100) -> Project:
    project = make_project(tmp_path / "p", config=config)
    with project.store() as store:
        Writer(store).mqls("m", n, converted, "sql")
    return project


def test_criteria_too_loose_under_20_percent_mql_to_sql(tmp_path: Path) -> None:
    found = codes(sqls(tmp_path, 10))
    assert set(found) == {"criteria_too_loose"}
    numbers = found["criteria_too_loose"]["numbers"]
    assert numbers == {"mqls": 100, "sqls": 10, "mql_to_sql": 0.1}
    assert "Only 10.0 % of MQLs become SQLs" in str(found["criteria_too_loose"]["message"])


def test_loose_is_silent_at_50_percent_and_without_sqls_on_record(tmp_path: Path) -> None:
    assert codes(sqls(tmp_path / "a", 50)) == {}
    # Only won deals on record (an import of won deals): SQLs are not known, so no verdict.
    project = make_project(tmp_path / "b")
    with project.store() as store:
        w = Writer(store)
        for i in range(100):
            w.lead(f"l{i}", NOW - 60 * DAY)
            w.moves(f"l{i}", [NOW - 60 * DAY])
            if i < 5:
                w.outcome(f"l{i}", "won", NOW - 50 * DAY)
    assert project.funnel(window=WINDOW).total.sql == 5
    assert codes(project) == {}


def test_criteria_too_strict_only_while_capacity_is_unused(tmp_path: Path) -> None:
    # 100 MQLs in the last three months: 33 a month.
    roomy = sqls(tmp_path / "a", 70, config="\n[sales]\ncapacity_per_month = 400\n")
    found = codes(roomy)
    assert set(found) == {"criteria_too_strict"}
    assert found["criteria_too_strict"]["numbers"]["capacity_per_month"] == 400.0
    assert codes(sqls(tmp_path / "b", 70, config="\n[sales]\ncapacity_per_month = 20\n")) == {}
    assert codes(sqls(tmp_path / "c", 70)) == {}  # no capacity known: nothing to compare


def test_capacity_comes_from_the_reps_caps_when_not_stated(tmp_path: Path) -> None:
    reps = '\n[[reps]]\nname = "ana"\nmax_per_day = 10\n[[reps]]\nname = "bo"\nmax_per_day = 5\n'
    project = make_project(tmp_path / "p", config=reps)
    assert round(project.sales_capacity or 0) == round(15 * 5 * 52 / 12)
    assert make_project(tmp_path / "q").sales_capacity is None


def test_lead_quality_when_volume_fills_capacity_but_few_become_opportunities(
    tmp_path: Path,
) -> None:
    config = "\n[sales]\ncapacity_per_month = 50\n"
    weak = make_project(tmp_path / "a", config=config)
    with weak.store() as store:
        Writer(store).mqls("m", 300, 15, "opportunity")  # 100 a month, 5 % opportunities
    assert "lead_quality" in codes(weak)
    strong = make_project(tmp_path / "b", config=config)
    with strong.store() as store:
        Writer(store).mqls("m", 300, 90, "opportunity")  # 30 %
    assert "lead_quality" not in codes(strong)
    quiet = make_project(tmp_path / "c", config="\n[sales]\ncapacity_per_month = 500\n")
    with quiet.store() as store:
        Writer(store).mqls("m", 300, 15, "opportunity")  # weak, but volume below capacity
    assert "lead_quality" not in codes(quiet)


def _rejections(project: Project, reasons: dict[str, int]) -> None:
    """MQLs rejected by sales; the 'student' ones are students (the rule that let them in)."""
    with project.store() as store:
        w = Writer(store)
        n = 0
        for reason, count in reasons.items():
            for _ in range(count):
                flag = "student" if reason == "student" else None
                w.lead(f"r{n}", NOW - 61 * DAY, title_flag=flag, company_size=10)
                w.moves(f"r{n}", [NOW - 60 * DAY, NOW - 59 * DAY], rejected=reason)
                n += 1
        for i in range(40):  # accepted, no student among them
            w.lead(f"a{i}", NOW - 61 * DAY, company_size=500)
            w.moves(f"a{i}", [NOW - 60 * DAY, NOW - 59 * DAY, NOW - 50 * DAY])


def test_a_dominant_rejection_reason_names_the_rule_that_lets_those_leads_in(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "a")
    _rejections(project, {"student": 30, "no budget": 10})
    found = codes(project)["dominant_rejection"]
    assert found["numbers"]["reason"] == "student"
    assert (found["numbers"]["with_reason"], found["numbers"]["rejections"]) == (30, 40)
    [rule] = found["numbers"]["rules"]
    assert rule["rule"] == "student" and rule["share_rejected"] == 1.0
    assert "student (100 % of them)" in str(found["message"])
    split = make_project(tmp_path / "b")
    _rejections(split, {"student": 15, "no budget": 15, "not ICP": 10})
    assert "dominant_rejection" not in codes(split)


def _tiers(project: Project, hot_won: int, mql_won: int, n: int = 200) -> None:
    with project.store() as store:
        w = Writer(store)
        w.mqls("h", n, hot_won, "won", tier="hot")
        w.mqls("m", n, mql_won, "won", tier="mql")


def test_a_tier_no_better_than_the_one_below(tmp_path: Path) -> None:
    same = make_project(tmp_path / "a")
    _tiers(same, 20, 22)
    found = codes(same)["tier_no_better"]
    assert (found["numbers"]["tier"], found["numbers"]["below"]) == ("hot", "mql")
    low, high = found["numbers"]["difference_ci"]
    assert low < 0 < high
    better = make_project(tmp_path / "b")
    _tiers(better, 80, 20)
    assert "tier_no_better" not in codes(better)
    # Too few MQLs to tell signal from noise: silent, even with hot below mql.
    few = make_project(tmp_path / "c")
    _tiers(few, 1, 3, n=20)
    assert "tier_no_better" not in codes(few)


def test_sla_breaches_and_slow_speed_to_lead_by_tier(tmp_path: Path) -> None:
    slow = make_project(tmp_path / "a")
    with slow.store() as store:
        w = Writer(store)
        for i in range(20):
            w.lead(f"s{i}", NOW - 3 * DAY)
            late = 3 if i < 12 else 0.25  # hours to first touch; the hot SLA is 1 h
            w.moves(f"s{i}", [NOW - 2 * DAY], tier="hot", touched=late * DAY / 24)
        w.lead("never", NOW - 3 * DAY)
        w.moves("never", [NOW - 2 * DAY], tier="hot")  # never touched: breached too
    found = codes(slow)
    assert found["sla_breaches"]["numbers"] == {
        "tier": "hot", "mqls": 21, "breached": 13, "sla_hours": 1.0,
    }  # fmt: skip
    assert found["slow_speed_to_lead"]["numbers"]["median_hours"] == 3.0
    fast = make_project(tmp_path / "b")
    with fast.store() as store:
        w = Writer(store)
        for i in range(20):
            w.lead(f"s{i}", NOW - 3 * DAY)
            w.moves(f"s{i}", [NOW - 2 * DAY], tier="hot", touched=DAY / 96)
    assert not {"sla_breaches", "slow_speed_to_lead"} & set(codes(fast))


def test_sla_checks_count_business_hours_as_leadgate_sla_does(tmp_path: Path) -> None:
    """MQLs entering on a Friday evening and touched on Monday at 09:30 met a 2-hour
    business-hours SLA: no breach, and the wait counted is the half hour of Monday's
    working time, not the weekend. ``leadgate sla`` and the diagnosis agree."""
    business = DEFINITION.replace(
        "{name: hot, when: score >= 60, sla: 1h}",
        "{name: hot, when: score >= 60, sla: 2h, sla_hours: business}",
    )
    project = make_project(tmp_path / "p", business)
    friday_evening = dt.datetime(2026, 5, 22, 19, 0)  # NOW is Monday 1 June, 12:00
    with project.store() as store:
        w = Writer(store)
        for i in range(20):
            w.lead(f"f{i}", friday_evening - DAY)
            w.moves(f"f{i}", [friday_evening], tier="hot", touched=dt.timedelta(hours=62.5))
    report = project.sla(at=NOW.replace(tzinfo=dt.timezone.utc))
    assert report.clocks == [] or all(c.status == "met" for c in report.clocks)
    found = codes(project)
    assert not {"sla_breaches", "slow_speed_to_lead"} & set(found)
    # The same waits on a calendar-hours SLA are 62.5 h: breaches, and slow.
    plain = make_project(tmp_path / "q")
    with plain.store() as store:
        w = Writer(store)
        for i in range(20):
            w.lead(f"f{i}", friday_evening - DAY)
            w.moves(f"f{i}", [friday_evening], tier="hot", touched=dt.timedelta(hours=62.5))
    found = codes(plain)
    assert found["sla_breaches"]["numbers"]["breached"] == 20
    assert found["slow_speed_to_lead"]["numbers"]["median_hours"] == 62.5


def test_a_definition_past_its_review_by(tmp_path: Path) -> None:
    overdue = make_project(tmp_path / "a", DEFINITION.replace("2030-01-01", "2026-05-01"))
    found = codes(overdue)["review_overdue"]
    assert found["numbers"] == {"review_by": "2026-05-01", "days_overdue": 31}
    assert "t v2 was due for review on 2026-05-01" in str(found["message"])
    assert codes(make_project(tmp_path / "b")) == {}


def test_the_diagnose_command_and_funnel_diagnose(tmp_path: Path) -> None:
    project = sqls(tmp_path, 10)
    root = str(project.root)
    # The CLI reads the system clock: pin the as-of time the data was made for.
    at = (NOW).strftime("%Y-%m-%dT%H:%M")
    document = json.loads(run("-C", root, "diagnose", "--window", WINDOW, "--as-of", at,
                              "--json").stdout)  # fmt: skip
    assert [d["code"] for d in document["diagnostics"]] == ["criteria_too_loose"]
    assert document["diagnostics"][0]["severity"] == "warning"
    shown = run("-C", root, "funnel", "--diagnose", "--window", WINDOW, "--as-of", at)
    assert shown.returncode == 0, shown.stderr
    assert "criteria_too_loose" in shown.stdout and "→ Raise the MQL threshold" in shown.stdout
