"""``leadgate sla`` and ``leadgate sweep`` as a user runs them, on the demo's project."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from . import leadgate as run

SWEPT = "2026-01-01T01:30:00+00:00"  # when the demo swept: 90 minutes after MQL entry


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sla") / "demo"
    done = run("demo", str(root), "--leads", "300", "--accounts", "40", "--json")
    assert done.returncode == 0, done.stderr
    handoff = json.loads(done.stdout)["handoff"]
    assert handoff["rejected"] == 0 and handoff["received"]["sla.breached"] >= 1
    routed = handoff["routed"]  # by the scoring run, as the MQLs entered
    assert routed["leads"] - routed["unrouted"] == handoff["received"]["lead.assigned"] - len(
        [b for b in handoff["sweep"]["breaches"] if b["reassigned_to"]]
    )
    assert handoff["delivery"]["delivered"] == sum(handoff["received"].values())
    return root


def test_sla_lists_the_running_clocks_with_owners_and_countdowns(project: Path) -> None:
    done = run("sla", "--as-of", SWEPT, "--json", cwd=project)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    clocks = report["clocks"]
    assert clocks and all(c["owner"] for c in clocks)
    breached = [c for c in clocks if c["status"] == "breached"]
    assert breached and all(c["remaining_seconds"] == -1800 for c in breached)  # 1h SLA, 1h30 on
    assert report["counts"]["met"] == 2  # the two the demo contacted after 20 minutes
    assert [s["rep_p50"] for s in report["speed_by_tier"] if s["leads"]] != []
    table = run("sla", "--as-of", SWEPT, "--tier", "hot", cwd=project)
    assert table.returncode == 0 and "breached" in table.stdout and "-30m00s" in table.stdout
    speed = run("sla", "--as-of", SWEPT, "--speed", cwd=project)
    assert "speed to lead per rep" in speed.stdout and "SLA clocks" not in speed.stdout


def test_sweeping_again_finds_nothing_new_and_bad_filters_are_clear(project: Path) -> None:
    again = json.loads(run("sweep", "--as-of", SWEPT, "--apply", "--json", cwd=project).stdout)
    assert again["breaches"] == [] and again["recycled"] == []
    bad = run("sla", "--tier", "hott", "--json", cwd=project)
    assert bad.returncode == 1
    assert json.loads(bad.stderr)["error"]["code"] == "LG663"
    assert "did you mean 'hot'" in json.loads(bad.stderr)["error"]["message"]


def test_leads_and_explain_show_the_sla_clock_not_the_scoring_time(
    project: Path, tmp_path: Path
) -> None:
    """A score's stored sla_due is its scoring time plus the SLA; the clock sales works to
    runs from the MQL entry. Scoring again at another time must not move what is shown."""
    copy = tmp_path / "p"
    shutil.copytree(project, copy)
    clocks = {c["lead_id"]: c for c in json.loads(run("sla", "--json", cwd=copy).stdout)["clocks"]}

    def shown() -> dict[str, tuple[str | None, str | None]]:
        done = run("leads", "--tier", "hot", "--limit", "0", "--json", cwd=copy)
        assert done.returncode == 0, done.stderr
        return {
            r["lead_id"]: (r["sla_due"], r["sla_status"]) for r in json.loads(done.stdout)["leads"]
        }

    before = shown()
    running = [lead for lead in before if lead in clocks]
    assert running
    for lead in running:
        due = clocks[lead]["due_at"].replace("+00:00", "")
        assert before[lead] == (due, clocks[lead]["status"])
    assert run("score", "--as-of", "2026-03-01", cwd=copy).returncode == 0
    assert shown() == before  # the stored sla_due moved to 2026-03-01 01:00; the clock did not

    lead = running[0]
    explained = run("explain", lead, cwd=copy).stdout
    due = dt.datetime.fromisoformat(clocks[lead]["due_at"])
    assert f"SLA {clocks[lead]['status']}: due {due:%Y-%m-%d %H:%M} UTC" in explained
    assert "follow up by" not in explained
    assert (
        json.loads(run("explain", lead, "--json", cwd=copy).stdout)["sla_clock"]["due_at"]
        == (clocks[lead]["due_at"])
    )
