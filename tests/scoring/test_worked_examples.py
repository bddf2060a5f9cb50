"""The three worked examples from common MQL practice, scored as written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from leadgate.definition import load_compiled
from leadgate.scoring import Scorer

EXAMPLES = Path(__file__).parents[2] / "examples" / "definitions"
NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.timezone.utc)


def days_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


@pytest.fixture(scope="module")
def gate() -> Scorer:
    return Scorer(load_compiled(EXAMPLES / "firmographic_engagement.yaml"))


@pytest.fixture(scope="module")
def points() -> Scorer:
    return Scorer(load_compiled(EXAMPLES / "points_threshold.yaml"))


@pytest.fixture(scope="module")
def weighted() -> Scorer:
    return Scorer(load_compiled(EXAMPLES / "weighted_60_40.yaml"))


FIT_LEAD = {"lead_id": "a", "company_size": 250, "industry": "Software", "seniority": "director"}


@pytest.mark.parametrize(
    ("lead_changes", "engagements", "tier"),
    [
        ({}, [1, 5, 20], "mql"),  # three engagements within 30 days
        ({}, [1, 5, 40], None),  # only two within 30 days
        ({"company_size": 49}, [1, 2, 3], None),  # under 50 employees
        ({"industry": "Retail"}, [1, 2, 3], None),  # not a target industry
        ({"seniority": "ic"}, [1, 2, 3], None),  # below manager
        ({"seniority": None}, [1, 2, 3], None),  # unknown seniority never qualifies
    ],
)
def test_example_a_firmographic_gate(
    gate: Scorer, lead_changes: dict, engagements: list, tier: str | None
) -> None:
    lead = {**FIT_LEAD, **lead_changes}
    events = [("page_view", days_ago(d)) for d in engagements]
    assert gate.score(lead, events, as_of=NOW).tier == tier


def test_example_b_points_add_up_to_the_threshold(points: Scorer) -> None:
    lead = {
        "lead_id": "b",
        "seniority": "vp",
        "company_size": 300,
        "industry": "saas",
        "country": "US",
        "email_domain_type": "business",
    }
    events = [("pricing_page", days_ago(2)), ("email_open", days_ago(3))]
    score = points.score(lead, events, as_of=NOW)
    # title 15 + size 10 + industry 10 + geography 5 = 40 fit; pricing 20 + open 1 = 21
    assert (score.fit, score.engagement, score.total) == (40, 21, 61)
    assert score.tier == "mql" and score.check_sum()


@pytest.mark.parametrize(
    ("changes", "events", "total", "tier"),
    [
        ({}, [], 40, None),
        ({}, ["demo_request"], 70, "mql"),
        ({"email_domain_type": "personal"}, ["demo_request"], 60, "mql"),
        ({"email_domain_type": "competitor"}, ["demo_request", "pricing_page"], 40, None),
        ({"title_flag": "job_seeker", "seniority": "ic"}, ["webinar_attended"] * 3, 25, None),
        ({}, ["blog_view"] * 4 + ["email_open"] * 2, 50, "mql"),
    ],
)
def test_example_b_negative_points_and_threshold(
    points: Scorer, changes: dict, events: list, total: float, tier: str | None
) -> None:
    lead = {
        "lead_id": "b",
        "seniority": "vp",
        "company_size": 300,
        "industry": "saas",
        "country": "US",
        **changes,
    }
    score = points.score(lead, [(e, days_ago(1)) for e in events], as_of=NOW)
    assert score.total == total
    assert score.tier == tier
    assert score.check_sum()


def test_example_c_finance_director_qualifies(weighted: Scorer) -> None:
    lead = {
        "lead_id": "c1",
        "title": "Finance Director",
        "department": "finance",
        "seniority": "director",
        "company_size": 150,
        "industry": "SaaS",
    }
    score = weighted.score(lead, [("live_demo", days_ago(3))], as_of=NOW)
    assert (score.fit, score.engagement, score.total) == (50, 40, 90)
    assert score.tier == "mql" and score.sales
    assert score.sla_due == NOW + dt.timedelta(hours=24)
    assert score.check_sum()


def test_example_c_cto_waits_in_nurture(weighted: Scorer) -> None:
    lead = {
        "lead_id": "c2",
        "title": "CTO",
        "department": "engineering",
        "seniority": "cxo",
        "company_size": 150,
        "industry": "software",
    }
    score = weighted.score(lead, [], as_of=NOW)
    assert score.total == 60
    assert score.tier == "nurture" and not score.sales
    cap = [c for c in score.contributions if c.key == "fit:cap"]
    assert cap and cap[0].points == -10  # 70 fit points held to the 60 cap
    assert score.check_sum()
