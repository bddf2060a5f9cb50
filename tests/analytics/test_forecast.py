"""The forecast on a store whose rates are known by hand: per month, the capacity check, the
reverse, thin rates, plans and their errors, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.analytics.forecast import (
    OTHER_MQLS,
    CannotReverse,
    NoDealSize,
    Rates,
    expect,
    needed,
)
from leadgate.analytics.intervals import Rate
from leadgate.analytics.plan import BadPlan, NoVolume, parse_plan, volume_from_history
from leadgate.project import Project

from ..cli import leadgate
from .builders import DAY, DEFINITION, Writer, make_project

CAPACITY = "[sales]\ncapacity_per_month = 50\n"


def worked(root: Path, config: str = CAPACITY) -> Project:
    """300 leads: 80 created in March 2026, 120 in April, 100 in May (mean 100 a month).

    60 of the March leads became MQLs on 10 March (15 hot, 45 mql): lead→MQL 20 %, hot 5 %,
    mql 15 %. 15 of them became SQLs (MQL→SQL 25 %), 6 of those were won within 30 days
    (SQL→won 40 %), three worth 1,000 and three 5,000: a deal is worth 3,000 on average.
    """
    project = make_project(root, config=config)
    mql_at = dt.datetime(2026, 3, 10, 9)
    months = [(dt.datetime(2026, 3, 2), 80), (dt.datetime(2026, 4, 2), 120),
              (dt.datetime(2026, 5, 2), 100)]  # fmt: skip
    with project.store() as store:
        w = Writer(store)
        for start, n in months:
            for i in range(n):
                w.lead(f"{start:%m}-{i}", start + i * dt.timedelta(hours=3))
        for i in range(60):
            lead = f"03-{i}"
            tier = "hot" if i < 15 else "mql"
            if i < 15:  # the SQLs: the first six won a week later
                w.moves(lead, [mql_at, mql_at + DAY, mql_at + 2 * DAY], tier=tier)
            else:
                w.moves(lead, [mql_at], tier=tier)
        for i in range(6):
            store.execute(
                "INSERT INTO outcomes VALUES (?, ?, 'won', NULL, ?, ?)",
                [f"w{i}", f"03-{i}", 1000.0 if i < 3 else 5000.0, mql_at + 9 * DAY],
            )
    return project


def test_months_from_history_capacity_and_the_reverse(tmp_path: Path) -> None:
    project = worked(tmp_path / "p")
    found = project.forecast(window="30d", revenue_target=30_000)
    rates = {n: r for n, r, _ in found.rates.named()}
    assert (rates["lead→mql"].converted, rates["lead→mql"].n) == (60, 300)
    assert (rates["lead→mql hot"].converted, rates["lead→mql mql"].converted) == (15, 45)
    assert (rates["mql→sql"].converted, rates["mql→sql"].n) == (15, 60)
    assert (rates["sql→won"].converted, rates["sql→won"].n) == (6, 15)
    assert [m.month for m in found.months] == ["2026-06", "2026-07", "2026-08"]
    june = found.months[0]
    assert june.leads == pytest.approx(100)  # mean of March, April, May
    assert (june.mqls, june.sqls, june.deals) == pytest.approx((20, 5, 2))
    assert june.tiers == pytest.approx({"hot": 5, "mql": 15})
    assert found.deal_size == pytest.approx(3000) and june.revenue == pytest.approx(6000)
    assert june.capacity_left == pytest.approx(30)  # 50 - 20: covered
    assert june.low[2] < 2 < june.high[2]
    # 30,000 a month at 3,000 a deal: 10 deals / 40 % = 25 SQLs / 25 % = 100 MQLs / 20 %.
    t = found.target
    assert t is not None
    assert (t.deals, t.sqls, t.mqls, t.leads) == pytest.approx((10, 25, 100, 500))
    assert t.capacity_left == pytest.approx(-50)
    assert any("needs 100 MQLs a month, more than sales' capacity of 50" in w
               for w in found.warnings)  # fmt: skip
    # SQL→won rests on 15 SQLs: said so; MQL→SQL on 60 MQLs is not.
    thin = [w for w in found.warnings if "too few to trust" in w]
    assert len(thin) == 1 and thin[0].startswith("sql→won (within 30d) rests on 6 of 15 SQLs")


def test_a_plan_beyond_capacity_and_a_given_deal_size(tmp_path: Path) -> None:
    project = worked(tmp_path / "p")
    found = project.forecast(plan="2027-01=1000, 2027-02=200", window="30d", deal_size=500)
    jan, feb = found.months
    assert (jan.month, jan.mqls, jan.deals, jan.revenue) == pytest.approx(
        ("2027-01", 200, 20, 10_000)
    )
    assert jan.capacity_left == pytest.approx(-150) and feb.capacity_left == pytest.approx(10)
    assert found.deal_size_basis == "given (--deal-size)"
    short = [w for w in found.warnings if "capacity" in w]
    assert short == ["2027-01: 200 MQLs expected, 150 more than sales' capacity of 50 a month."]


def test_a_plan_from_a_csv(tmp_path: Path) -> None:
    project = worked(tmp_path / "p")
    plan = tmp_path / "plan.csv"
    plan.write_text("Month,Leads,comment\n2027-03,400,spring push\n\n2027-04,0,\n")
    found = project.forecast(plan=str(plan), window="30d")
    assert [(m.month, m.leads, m.mqls) for m in found.months] == [
        ("2027-03", 400, pytest.approx(80)),
        ("2027-04", 0, 0),
    ]
    plan.write_text("month,leads\n2027-03,400\n2027-04,lots\n")
    with pytest.raises(BadPlan, match=r"plan.csv line 3: 'lots' is not a whole number"):
        project.forecast(plan=str(plan))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-13=500", r"item 1 .*'2027-13' is not a month"),
        ("2027-01=500,2027-02=5000.5", r"item 2 .*'5000.5' is not a whole number of leads"),
        ("2027-01=500,2027-01=600", "month 2027-01 is given twice"),
        ("2027-01:500", "write it as MONTH=LEADS"),
        (" , ", "--plan is empty"),
        ("2027-01=-5", "'-5' is not a whole number"),
    ],
)
def test_a_bad_plan_names_the_item(text: str, message: str) -> None:
    with pytest.raises(BadPlan, match=message) as caught:
        parse_plan(text)
    assert caught.value.code == "LG860"


def test_months_without_leads_count_as_zero_and_no_history_is_an_error() -> None:
    volume, span = volume_from_history({"2026-01": 30, "2026-03": 60}, "2026-05", 2)
    assert span == ["2026-02", "2026-03", "2026-04"]
    assert volume == {"2026-05": 20.0, "2026-06": 20.0}
    with pytest.raises(NoVolume, match="--plan"):
        volume_from_history({"2026-05": 10}, "2026-05", 3)


def test_the_reverse_is_impossible_at_a_zero_rate_and_needs_a_deal_size(tmp_path: Path) -> None:
    chain = Rates(Rate(10, 100), {}, Rate(0, 40), Rate(0, 0))
    with pytest.raises(CannotReverse, match="sql→won is no measure") as caught:
        needed(5, chain)
    assert caught.value.code == "LG862"
    project = make_project(tmp_path / "p")  # leads only, no won deal with a value
    with project.store() as store:
        Writer(store).lead("a", dt.datetime(2026, 4, 1))
    with pytest.raises(NoDealSize, match="--deal-size") as no_size:
        project.forecast(revenue_target=10_000)
    assert no_size.value.code == "LG863"


@settings(max_examples=60, deadline=None)
@given(
    leads=st.floats(1, 1e6),
    counts=st.lists(st.tuples(st.integers(1, 500), st.integers(0, 500)), min_size=3, max_size=3),
)
def test_the_reverse_undoes_the_forecast(leads: float, counts: list[tuple[int, int]]) -> None:
    """Whatever the rates, the leads needed for the deals a volume brings are that volume,
    and the low and high bounds bracket the forecast."""
    rates = [Rate(k, k + extra) for k, extra in counts]
    chain = Rates(rates[0], {}, rates[1], rates[2])
    mqls, sqls, deals = expect(leads, chain)
    assert needed(deals, chain)["leads"] == pytest.approx(leads, rel=1e-9)
    low, high = expect(leads, chain, "low"), expect(leads, chain, "high")
    for lo, mid, hi in zip(low, (mqls, sqls, deals), high, strict=True):
        assert lo <= mid + 1e-9 and mid <= hi + 1e-9


def test_the_cli_prints_the_forecast_and_json(tmp_path: Path) -> None:
    root = tmp_path / "p"
    worked(root)
    args = ("-C", str(root), "forecast", "--window", "30d", "--as-of", "2026-06-01T12:00")
    done = leadgate(*args, "--revenue-target", "30000", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["months"][0]["deals"] == 2.0
    assert document["months"][0]["capacity_covers"] is True
    assert document["target"]["leads_at_least"] == 500
    assert [r["thin"] for r in document["rates"]] == [False, False, False, False, True]
    table = leadgate(*args)
    assert table.returncode == 0, table.stderr
    assert "2026-06" in table.stdout and "too few" in table.stdout
    bad = leadgate(*args, "--plan", "2027-1=5", "--json")
    assert bad.returncode == 1 and json.loads(bad.stderr)["error"]["code"] == "LG860"


def test_a_months_mqls_split_by_sales_tier_add_up_to_its_mqls(tmp_path: Path) -> None:
    """100 leads: 10 entered MQL in hot, 20 in mql, 10 moved to mql by a CRM import while in
    the nurture tier, 5 with no tier; 55 never entered MQL."""
    nurture = DEFINITION + "  - {name: nurture, when: score >= 5, sales: false}\n"
    project = make_project(tmp_path / "p", definition=nurture)
    start = dt.datetime(2026, 3, 2)
    with project.store() as store:
        w = Writer(store)
        for i in range(100):
            w.lead(f"l{i}", start)
        for i, tier in enumerate(["hot"] * 10 + ["mql"] * 20 + ["nurture"] * 10 + [None] * 5):
            w.moves(f"l{i}", [start + DAY], tier=tier)
    found = project.forecast(plan={"2026-07": 1000})
    (july,) = found.months
    assert july.mqls == pytest.approx(450)
    assert july.tiers == pytest.approx({"hot": 100, "mql": 200, OTHER_MQLS: 150})
    assert sum(july.tiers.values()) == pytest.approx(july.mqls)
    named = {n: r.converted for n, r, _ in found.rates.named()}
    assert named["lead→mql (no sales tier)"] == 15 and "lead→mql nurture" not in named
