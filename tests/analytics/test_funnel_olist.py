"""The real Olist funnel, imported as a user imports it, gives the published figures."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from leadgate.project import Project
from tests.cli import leadgate as run

REPO = Path(__file__).resolve().parents[2]
OLIST = REPO.parent / "shared" / "data" / "olist_marketing_funnel"
MAPPING = REPO / "examples" / "olist" / "mapping.toml"
AFTER_ALL = dt.datetime(2018, 12, 1)  # after the last deal won (2018-11-14)

pytestmark = pytest.mark.skipif(not OLIST.is_dir(), reason=f"Olist data not found in {OLIST}")


@pytest.fixture(scope="module")
def olist(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A project holding the 8,000 MQLs and 842 won deals, imported with the CLI and the
    example mapping copied into leadgate.toml (as the mapping file says to)."""
    root = tmp_path_factory.mktemp("olist")
    assert run("init", str(root)).returncode == 0
    shutil.copy(MAPPING, root / "leadgate.toml")
    for kind, name, file in [
        ("leads", "olist_leads", "olist_marketing_qualified_leads_dataset.csv"),
        ("outcomes", "olist_won", "olist_closed_deals_dataset.csv"),
    ]:
        done = run("-C", str(root), "import", kind, str(OLIST / file), "--mapping", name)
        assert done.returncode == 0, done.stderr
    return Project.open(root)


def test_the_published_conversion_and_the_social_channel(olist: Project) -> None:
    found = olist.funnel(by="source", window=None, as_of=AFTER_ALL)
    total = found.total
    assert (total.leads, total.mqls, total.won, total.censored) == (8_000, 8_000, 842, 0)
    assert round(100 * total.conversion()["mql→won"], 2) == 10.53
    social = {r.group: r for r in found.rows}["social"]
    assert 1_300 <= social.mqls <= 1_400
    assert round(100 * social.conversion()["mql→won"], 1) == 5.6
    # "about 61.6 days from first contact to won" is the mean; the median is half of it.
    assert social.mean_days["mql→won"] == pytest.approx(61.6, abs=0.1)
    assert social.median_days["mql→won"] < 40
    # Only the won deals are on record: the stages between are implied, and said so.
    assert found.recorded == {"mql": 8_000, "sal": 0, "sql": 0, "opportunity": 0, "won": 842}
    assert sum(r.mqls for r in found.rows) == 8_000


def test_a_90_day_window_changes_the_2017_cohorts(olist: Project) -> None:
    """No deal was won before 2017-12-05: counted whenever, the mid-2017 cohorts convert a
    little; within 90 days of first contact, not at all. As of mid 2018 the young cohorts
    are censored, not failures."""
    whenever = {r.group: r for r in olist.funnel(by="cohort", window=None, as_of=AFTER_ALL).rows}
    window = {r.group: r for r in olist.funnel(by="cohort", window="90d", as_of=AFTER_ALL).rows}
    for month in ("2017-08", "2017-09", "2017-10"):
        assert whenever[month].won > 0
        assert window[month].won == 0 and window[month].censored == 0
    for month in ("2018-01", "2018-02", "2018-03"):
        assert 0 < window[month].won < whenever[month].won
        assert window[month].rate("won") > 0.10
    mid_2018 = olist.funnel(by="cohort", window="90d", as_of=dt.datetime(2018, 6, 30))
    rows = {r.group: r for r in mid_2018.rows}
    assert rows["2018-05"].censored == rows["2018-05"].mqls > 1_000
    assert rows["2018-05"].eligible == 0 and rows["2018-05"].rate("won") is None
    assert rows["2018-01"].censored == 0
    assert mid_2018.total.censored == rows["2018-04"].censored + rows["2018-05"].censored


def test_the_funnel_command_prints_the_window_and_the_censored(olist: Project) -> None:
    root = str(olist.root)
    table = run("-C", root, "funnel", "--by", "cohort", "--as-of", "2018-06-30")
    assert table.returncode == 0, table.stderr
    assert "within 90d of MQL" in table.stdout and "censored" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    document = json.loads(run("-C", root, "funnel", "--window", "none", "--json").stdout)
    assert document["window"] is None
    assert document["total"]["won_any_time"] == 842
    assert document["total"]["conversion"]["mql→won"] == pytest.approx(0.10525)
    bad = run("-C", root, "funnel", "--window", "soon", "--json")
    assert bad.returncode == 1 and json.loads(bad.stderr)["error"]["code"] == "LG801"


OLIST_DEFINITION = """\
name: olist
version: "1"
attributes: {landing_page_id: text}
fit:
  rules:
    - {name: social, when: "source = 'social'", points: 10}
    - {name: search, when: "source in ['organic_search', 'paid_search']", points: 10}
    - {name: email, when: "source = 'email'", points: 10}
"""


def test_lift_of_the_channels(olist: Project) -> None:
    """Social, a channel marketing counts on, wins less than the others; the 60 MQLs with
    no origin are not judged, not "not social"."""
    (olist.root / "definition.yaml").write_text(OLIST_DEFINITION)
    report = olist.lift(as_of=AFTER_ALL)
    assert (report.leads, report.converted) == (8_000, 842)
    social, search, email = report.criteria
    assert (social.met.n, social.not_met.n, social.not_judged.n) == (1_350, 6_590, 60)
    assert (social.met.converted, social.not_judged.converted) == (75, 14)
    assert social.verdict == "negative lift" and email.verdict == "negative lift"
    assert search.met.n == 2_296 + 1_586 and search.verdict == "lift"
    assert social.summary == "social: 5.6 % vs 11.4 %, negative lift"
