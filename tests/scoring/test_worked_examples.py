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
B_LEAD = {
    "lead_id": "b",
    "seniority": "vp",
    "company_size": 300,
    "industry": "saas",
    "country": "US",
    "email_domain_type": "business",
}
CTO_LEAD = {
    "lead_id": "c2",
    "title": "CTO",
    "department": "engineering",
    "seniority": "cxo",
    "company_size": 150,
    "industry": "software",
}


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
    lead = B_LEAD
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
    lead = CTO_LEAD
    score = weighted.score(lead, [], as_of=NOW)
    assert score.total == 60
    assert score.tier == "nurture" and not score.sales
    cap = [c for c in score.contributions if c.key == "fit:cap"]
    assert cap and cap[0].points == -10  # 70 fit points held to the 60 cap
    assert score.check_sum()


def test_example_b_explanation_says_each_value_judged(points: Scorer) -> None:
    lead = B_LEAD
    events = [("pricing_page", days_ago(2)), ("email_open", days_ago(3))]
    score = points.score(lead, events, as_of=NOW)
    lines = [(c.label, c.status, c.cents, c.detail) for c in score.contributions]
    assert lines == [
        ("senior title", "matched", 1500, "seniority 'vp' in [director, vp, cxo]"),
        ("company size", "matched", 1000, "company_size 300 ≥ 100"),
        ("industry", "matched", 1000, "industry 'saas' in [software, saas]"),
        ("geography", "matched", 500, "country 'US' in [US, CA]"),
        ("personal email", "not matched", 0, "email_domain_type 'business' ≠ 'personal'"),
        ("job seeker", "not judged", 0, "not judged: title_flag missing"),
        ("competitor", "not matched", 0, "email_domain_type 'business' ≠ 'competitor'"),
        ("pricing_page", "events", 2000, "1 event"),
        ("demo_request", "not matched", 0, "0 events"),
        ("webinar_attended", "not matched", 0, "0 events"),
        ("blog_view", "not matched", 0, "0 events"),
        ("email_open", "events", 100, "1 event"),
    ]
    assert [j.as_dict() for j in score.conditions] == [
        {"group": "tier", "name": "mql", "status": "matched", "detail": "score 61 ≥ 50"}
    ]
    assert score.check_sum()


def test_example_a_tier_says_which_parts_failed(gate: Scorer) -> None:
    lead = {**FIT_LEAD, "industry": "Retail", "seniority": None}
    score = gate.score(lead, [("page_view", days_ago(d)) for d in (1, 5, 20)], as_of=NOW)
    by_label = {c.label: c.detail for c in score.contributions}
    assert by_label["target industry"] == (
        "industry 'Retail' not in [software, fintech, healthcare]"
    )
    assert by_label["manager or above"] == "not judged: seniority missing"
    (mql,) = score.conditions
    assert (mql.status, mql.detail) == (
        "not matched",
        "company_size 250 ≥ 50, industry 'Retail' not in [software, fintech, healthcare], "
        "seniority missing",
    )


def test_example_c_tiers_below_the_one_that_matched_are_not_tried(weighted: Scorer) -> None:
    lead = CTO_LEAD
    score = weighted.score(lead, [], as_of=NOW)
    details = {c.label: c.detail for c in score.contributions}
    assert details["finance leader"] == (
        "department 'engineering' ≠ 'finance', seniority 'cxo' in [director, vp, cxo]"
    )
    assert details["100 to 1000 employees"] == "company_size 150 ≥ 100, company_size 150 ≤ 1000"
    assert details["fit cap"] == "70 points held to 60"
    assert [(j.name, j.status, j.detail) for j in score.conditions] == [
        ("mql", "not matched", "score 60 < 75"),
        ("nurture", "matched", "score 60 < 75"),
    ]
    hot = weighted.score(
        {**lead, "department": "finance", "seniority": "director"},
        [("live_demo", days_ago(3))],
        as_of=NOW,
    )
    assert [(j.name, j.status, j.detail) for j in hot.conditions] == [
        ("mql", "matched", "score 90 ≥ 75"),
        ("nurture", "not tried", "a tier above matched"),
    ]
    assert score.check_sum() and hot.check_sum()


FINANCE_LEAD = {
    "lead_id": "x",
    "seniority": "director",
    "department": "finance",
    "company_size": 800,
    "industry": "fintech",
    "country": "DE",
    "email_domain_type": "business",
    "form_answer": "Please contact me about pricing",
}


def test_disqualifiers_say_what_they_read_and_stop_the_tiers() -> None:
    scorer = Scorer(load_compiled(EXAMPLES / "b2b_saas.yaml"))
    account = {"is_competitor": False, "is_customer": True}
    score = scorer.score(FINANCE_LEAD, [("demo_request", days_ago(1))], as_of=NOW, account=account)
    assert (score.tier, score.dq_reason) == (
        None,
        "existing customer (route to account management)",
    )
    assert [(j.group, j.name, j.status, j.detail) for j in score.conditions] == [
        (
            "disqualifier",
            "competitor",
            "not matched",
            "email_domain_type 'business' ≠ 'competitor', account.is_competitor false ≠ true",
        ),
        (
            "disqualifier",
            "student",
            "not judged",
            "not judged: email_domain_type 'business' ≠ 'student', title_flag missing",
        ),
        (
            "disqualifier",
            "existing customer",
            "matched",
            "email_domain_type 'business' ≠ 'customer', account.is_customer true = true",
        ),
        ("disqualifier", "disposable email", "not tried", "a disqualifier above held"),
        ("tier", "hot", "not tried", "the lead is disqualified"),
        ("tier", "mql", "not tried", "the lead is disqualified"),
        ("tier", "mql-light", "not tried", "the lead is disqualified"),
    ]
    by_label = {c.label: c.detail for c in score.contributions}
    assert by_label["researching our category"] == (
        "not judged: no value for intent('accounts payable automation', 30d) >= 60"
    )
    assert by_label["mid-market size"] == "company_size 800 ≥ 50, company_size 800 ≤ 5000"
    assert score.check_sum()


def test_a_tier_that_matched_says_the_parts_that_held() -> None:
    scorer = Scorer(load_compiled(EXAMPLES / "b2b_saas.yaml"))
    score = scorer.score(FINANCE_LEAD, [], as_of=NOW, account={"is_customer": False})
    hot = score.conditions[4]
    assert (hot.name, hot.status, hot.detail) == (
        "hot",
        "matched",
        "fit 50 ≥ 25, "
        "form_answer 'Please contact me about pricing' contains 'contact me about pricing'",
    )
    assert score.as_dict()["conditions"][4] == hot.as_dict()
