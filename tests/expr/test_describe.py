"""What a condition read and its verdict, said exactly (snapshots of ``describe``)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.expr import Scope, check, parse
from leadgate.expr.ast import Binary, Field, Lit
from leadgate.expr.describe import describe, text
from leadgate.expr.interpret import UNKNOWN, Interpreter, typed
from leadgate.scoring import Scorer

from ..scoring.strategies import AS_OF_US, definitions, populations

SCOPE = Scope(
    {
        "company_size": "number",
        "revenue": "number",
        "industry": "text",
        "seniority": "text",
        "title": "text",
        "account.industry": "text",
        "account.is_customer": "bool",
    },
    frozenset({"pricing_page", "demo_request"}),
    allow_scores=True,
)
LEAD = {
    "company_size": 180,
    "revenue": 360_000.0,
    "industry": "SaaS",
    "seniority": "manager",
    "title": "VP Finance",
    "account.industry": "retail",
    "account.is_customer": False,
    "fit": 28.5,
    "grade": "B",
}


def said(condition: str, **changes: Any) -> str:
    values = {**LEAD, **changes}
    checked = check(condition, SCOPE)
    return describe(checked, {k: v for k, v in values.items() if k in checked.fields | SCORES})


SCORES = {"fit", "grade"}


@pytest.mark.parametrize(
    ("condition", "changes", "expected"),
    [
        ("company_size >= 50", {}, "company_size 180 ≥ 50"),
        ("company_size >= 50", {"company_size": 30}, "company_size 30 < 50"),
        ("company_size < 50", {}, "company_size 180 ≥ 50"),
        ("company_size != 180", {}, "company_size 180 = 180"),
        ("50 <= company_size", {}, "50 ≤ company_size 180"),
        ("industry = 'saas'", {}, "industry 'SaaS' = 'saas'"),
        ("industry = 'retail'", {}, "industry 'SaaS' ≠ 'retail'"),
        ("seniority in ['director', 'vp']", {}, "seniority 'manager' not in [director, vp]"),
        (
            "seniority in ['Director', 'vp']",
            {"seniority": "director"},
            "seniority 'director' in [Director, vp]",
        ),
        ("seniority not in ['director', 'vp']", {}, "seniority 'manager' not in [director, vp]"),
        ("seniority not in ['manager']", {}, "seniority 'manager' in [manager]"),
        ("company_size in [10, 180.0]", {}, "company_size 180 in [10, 180]"),
        (
            "company_size in [" + ", ".join(str(n) for n in range(1, 401)) + "]",
            {},
            "company_size 180 in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 390 more]",
        ),
        ("title contains 'fin'", {}, "title 'VP Finance' contains 'fin'"),
        ("title contains 'cto'", {}, "title 'VP Finance' does not contain 'cto'"),
        ("title matches '^VP'", {}, "title 'VP Finance' matches '^VP'"),
        ("title matches '^CTO'", {}, "title 'VP Finance' does not match '^CTO'"),
        ("title is null", {}, "title 'VP Finance'"),
        ("title is null", {"title": None}, "title missing"),
        ("title is not null", {}, "title 'VP Finance'"),
        (
            "company_size >= 50 and industry in ['saas', 'software']",
            {},
            "company_size 180 ≥ 50, industry 'SaaS' in [saas, software]",
        ),
        (
            "company_size >= 50 and industry in ['saas', 'software']",
            {"industry": "retail"},
            "company_size 180 ≥ 50, industry 'retail' not in [saas, software]",
        ),
        (
            "company_size >= 500 or industry = 'saas'",
            {},
            "company_size 180 < 500, industry 'SaaS' = 'saas'",
        ),
        (
            "company_size >= 500 or industry = 'saas'",
            {"company_size": None},
            "company_size missing, industry 'SaaS' = 'saas'",
        ),
        ("not industry = 'saas'", {}, "industry 'SaaS' = 'saas'"),
        ("company_size * 2 - 1 = 359", {}, "company_size 180: 359 = 359"),
        ("revenue / company_size >= 5000", {}, "revenue 360000, company_size 180: 2000 < 5000"),
        ("coalesce(company_size, 0) = 0", {"company_size": None}, "company_size missing: 0 = 0"),
        ("lower(title) = 'vp finance'", {}, "title 'VP Finance': 'vp finance' = 'vp finance'"),
        ("account.industry = 'saas'", {}, "account.industry 'retail' ≠ 'saas'"),
        ("account.is_customer", {}, "account.is_customer false"),
        ("account.is_customer = false", {}, "account.is_customer false = false"),
        ("fit >= 25 and grade = 'b'", {}, "fit 28.5 ≥ 25, grade 'B' = 'b'"),
        ("company_size >= 50", {"company_size": None}, "company_size missing"),
        (
            "revenue / company_size > 1",
            {"company_size": 0},
            "no value for revenue / company_size > 1",
        ),
        ("true", {}, "always"),
    ],
)
def test_each_shape_says_the_value_it_read_and_its_verdict(
    condition: str, changes: dict[str, Any], expected: str
) -> None:
    assert said(condition, **changes) == expected


@pytest.mark.parametrize(
    ("condition", "verdict", "expected"),
    [
        ("has(demo_request, 14d)", True, "has(demo_request, 14d)"),
        ("has(demo_request, 14d)", False, "not has(demo_request, 14d)"),
        ("count(pricing_page, 30d) >= 3", False, "count(pricing_page, 30d) < 3"),
        # An 'and' that held: every part held, even those the explanation cannot see.
        ("fit >= 25 and has(demo_request, 14d)", True, "fit 28.5 ≥ 25, has(demo_request, 14d)"),
        # An 'and' that failed: a part not seen is left out rather than said as a fact.
        ("fit >= 40 and has(demo_request, 14d)", False, "fit 28.5 < 40"),
        (
            "has(demo_request, 14d) and count(pricing_page, 30d) > 2",
            False,
            "not (has(demo_request, 14d) and count(pricing_page, 30d) > 2)",
        ),
        ("fit >= 40 or has(demo_request, 14d)", True, "fit 28.5 < 40"),
        ("fit >= 40 or has(demo_request, 14d)", False, "fit 28.5 < 40, not has(demo_request, 14d)"),
    ],
)
def test_what_cannot_be_seen_takes_the_scorers_verdict(
    condition: str, verdict: bool, expected: str
) -> None:
    checked = check(condition, SCOPE)
    assert describe(checked, {"fit": 28.5}, verdict) == expected


@pytest.mark.parametrize(
    "source",
    [
        "count([pricing_page, chat], 30d) >= 3 and not (a + 1) * 2 in [1, 2]",
        "(a or b) and c",
        "a - (b - c) = a - b - c",
        "-(a + 1) > 2 or title is not null and title matches '^vp\\\\b'",
        "not (a and b) or x contains 'it\\'s'",
        "intent('crm', 30d) >= 60 and days_since(*) < 5",
    ],
)
def test_text_writes_an_expression_back_as_it_parses(source: str) -> None:
    written = text(parse(source))
    assert _shape(parse(written)) == _shape(parse(source))
    assert text(parse(written)) == written


@given(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"])
        | st.sampled_from("\\'\"\n\t")
    )
)
def test_text_literals_are_written_back_exactly(value: str) -> None:
    tree = parse("x = " + text(Lit(value)))
    assert _shape(tree) == _shape(Binary("=", Field("x"), Lit(value)))


def _shape(node: object) -> object:
    """The tree without positions (they move when the text is rewritten)."""
    if isinstance(node, tuple):
        return tuple(_shape(n) for n in node)
    if not is_dataclass(node):
        return node
    return (type(node).__name__,) + tuple(
        _shape(getattr(node, f.name)) for f in fields(node) if f.name != "pos"
    )


@given(
    company_size=st.none() | st.integers(-1000, 1000) | st.floats(-1e6, 1e6),
    industry=st.none() | st.sampled_from(["saas", "SaaS", "retail", ""]),
)
def test_the_interpreter_agrees_with_the_verdict_it_explains(
    company_size: Any, industry: Any
) -> None:
    # Each phrase states the verdict of its part: a part that held is said with its own
    # operator, one that failed with the opposite one.
    checked = check("company_size >= 50 and industry = 'saas'", SCOPE)
    values = {"company_size": company_size, "industry": industry}
    verdict = Interpreter(values).value(checked.tree)
    line = describe(checked, values)
    if company_size is not None:
        assert ("≥ 50" in line) == (company_size >= 50)
    if industry is not None:
        assert ("= 'saas'" in line) == (industry.lower() == "saas")
    assert verdict is not UNKNOWN


def test_values_are_typed_as_the_scorer_types_them() -> None:
    assert typed("number", "180") == 180.0
    assert typed("number", "lots") is None
    assert typed("text", 42) == "42"
    assert typed("bool", "No") is False


@settings(max_examples=150, deadline=None)
@given(definitions(), populations())
def test_the_explanation_judges_as_the_scorer_does(c, population) -> None:  # type: ignore[no-untyped-def]
    # The explanation's interpreter must reach the scorer's verdict on every part it can
    # see, or it would say 'company_size 30 ≥ 50' of a rule that did not match.
    leads, accounts, events, _ = population
    scorer = Scorer(c)
    for lead in leads:
        account = accounts.get(lead.get("account_id") or "")
        score = scorer.score(lead, [], as_of=AS_OF_US, account=account)
        raw = scorer.raw(lead, [], AS_OF_US, account)
        values = {
            name: typed(
                c.fields[name],
                (account or {}).get(name[8:]) if name.startswith("account.") else lead.get(name),
            )
            for name in c.fields_used
        }
        for rule, judged, line in zip(c.fit_rules, raw[7], score.contributions, strict=False):
            seen = Interpreter(values).value(rule.expr.tree)
            assert seen is UNKNOWN or seen == judged, (rule.expr.text, values)
            assert (
                line.status == {True: "matched", False: "not matched", None: "not judged"}[judged]
            )
        scores = {"fit": raw[0] / 100, "engagement": raw[1] / 100, "score": raw[2] / 100}
        scores |= {"grade": raw[3], "band": raw[4]}
        _first_match_agrees(c.disqualifiers, raw[5], {**values, **scores})
        if raw[5] < 0:
            _first_match_agrees(c.tiers, raw[6], {**values, **scores})
        for judgement in score.conditions:
            assert judgement.detail  # every condition says something
        assert score.check_sum()


def _first_match_agrees(conditions: list[Any], chosen: int, values: dict[str, Any]) -> None:
    """The condition the scorer chose holds, and none before it does (first match wins)."""
    for i, condition in enumerate(conditions[: chosen + 1] if chosen >= 0 else conditions):
        seen = Interpreter(values).value(condition.expr.tree)
        if i == chosen:
            assert seen is UNKNOWN or seen is True, condition.expr.text
        else:
            assert seen is not True, condition.expr.text
