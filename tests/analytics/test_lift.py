"""Lift per criterion on made data with known rates: which criteria predict, which do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadgate.analytics.lift import UnknownOutcome
from leadgate.project import Project

from .builders import DAY, NOW, Writer, make_project


def _made(root: Path) -> Project:
    """400 leads: a pricing page visit goes with 30 % won against 5 %; a whitepaper
    download, spread evenly, goes with nothing. A third have no company size."""
    project = make_project(root)
    with project.store() as store:
        w = Writer(store)
        for i in range(400):
            lead_id, pricing, paper = f"l{i}", i < 200, i % 2 == 0
            size = None if i % 3 == 0 else 500
            w.lead(lead_id, NOW - 100 * DAY, company_size=size)
            if pricing:
                w.event(lead_id, "pricing_page", NOW - 50 * DAY)
            if paper:
                w.event(lead_id, "whitepaper", NOW - 40 * DAY)
            rank = i if pricing else i - 200  # within its group of 200
            if rank < (60 if pricing else 10):
                w.outcome(lead_id, "won", NOW - 10 * DAY)
        w.event("l399", "pricing_page", NOW + DAY)  # after the as-of time: changes nothing
    return project


def test_a_criterion_that_predicts_and_one_that_is_folklore(tmp_path: Path) -> None:
    report = _made(tmp_path / "p").lift()
    assert (report.leads, report.converted) == (400, 70)
    by_name = {k.name: k for k in report.criteria}
    pricing = by_name["pricing_page"]
    assert (pricing.met.converted, pricing.met.n, pricing.not_met.converted) == (60, 200, 10)
    assert pricing.verdict == "lift" and pricing.ratio == pytest.approx(6.0)
    low, high = pricing.difference or (0, 0)
    assert 0.15 < low < 0.25 < high < 0.33
    paper = by_name["whitepaper"]
    assert paper.condition == "any whitepaper event (no rule)"
    assert paper.summary == "whitepaper: 17.5 % vs 17.5 %, no lift"
    size = by_name["big company"]
    assert (size.met.n, size.not_met.n, size.not_judged.n) == (266, 0, 134)
    assert size.verdict == "cannot tell"  # nobody failed it: nothing to compare with


def test_lift_on_another_stage_and_an_unknown_one(tmp_path: Path) -> None:
    project = _made(tmp_path / "p")
    with project.store() as store:
        Writer(store).outcome("l250", "sql", NOW - 20 * DAY)
    report = project.lift(outcome="sql")
    assert report.converted == 71  # a win is an SQL too
    with pytest.raises(UnknownOutcome, match="use one of sal, sql, opportunity, won"):
        project.lift(outcome="bogus")
