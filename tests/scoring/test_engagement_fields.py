"""Engagement from the fields an export carries (issue #8): counts and dates on the lead.

A CRM export with no event stream carries engagement as counts (``Number of Sessions``)
and dates (``Last Activity Date``). The definition's ``engagement.rules`` score them as
engagement, beside event points, in the same group, explanation, plan and coverage.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import sqlglot
from hypothesis import event, given, settings
from hypothesis import strategies as st

from leadgate.definition import codes, load_compiled, validate
from leadgate.expr import dates
from leadgate.publish import to_html, to_markdown
from leadgate.scoring import Scorer, plan_sql, store_select
from leadgate.scoring.coverage import rule_coverage
from leadgate.store import Store

from ..cli import leadgate as run

AS_OF = dt.datetime(2026, 6, 1, 12, 0)
AS_OF_US = int(AS_OF.replace(tzinfo=dt.timezone.utc).timestamp()) * 1_000_000
EXPORT_ONLY = """
name: export
version: '1'
attributes:
  num_sessions: number
  num_form_submissions: number
  last_activity_date: date
engagement:
  cap: 40
  rules:
    - {name: sessions, per: num_sessions, points: 2, cap: 20}
    - {name: recently active, when: days_since(last_activity_date) <= 30, points: 5}
    - name: forms after a visit
      when: num_sessions >= 1
      per: num_form_submissions
      points: 7.5
      cap: 15
bands:
  - {band: 1, min_engagement: 20}
  - {band: 2}
tiers:
  - {name: active, when: engagement >= 20}
"""
LEAD = {
    "lead_id": "a",
    "num_sessions": 7,
    "num_form_submissions": 1,
    "last_activity_date": dt.datetime(2026, 5, 20),
}


def explained(score) -> dict[str, tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return {x.label: (x.cents, x.status, x.detail) for x in score.contributions}


def test_a_definition_with_no_events_scores_engagement_from_the_fields() -> None:
    c = load_compiled(text=EXPORT_ONLY)
    score = Scorer(c).score(LEAD, [], as_of=AS_OF)
    assert (score.fit_cents, score.engagement_cents, score.total_cents) == (0, 2650, 2650)
    assert (score.band, score.tier) == (1, "active")
    assert explained(score) == {
        "sessions": (1400, "matched", "num_sessions 7 × 2 = 14 (cap 20)"),
        "recently active": (500, "matched", "last_activity_date 12.5 days ago ≤ 30"),
        "forms after a visit": (
            750,
            "matched",
            "num_sessions 7 ≥ 1; num_form_submissions 1 × 7.5 = 7.5 (cap 15)",
        ),
    }
    assert score.check_sum()


def test_caps_missing_values_and_later_dates_are_said() -> None:
    c = load_compiled(text=EXPORT_ONLY)
    lead = {
        "lead_id": "b",
        "num_sessions": 0,
        "num_form_submissions": 40,
        "last_activity_date": dt.datetime(2026, 7, 1),  # after the as-of time
    }
    score = Scorer(c).score(lead, [], as_of=AS_OF)
    assert explained(score) == {
        "sessions": (0, "matched", "num_sessions 0 × 2 = 0 (cap 20)"),
        "recently active": (
            0,
            "not judged",
            "not judged: last_activity_date is after the scoring time",
        ),
        "forms after a visit": (0, "not matched", "num_sessions 0 < 1"),
    }
    lead = {"lead_id": "c", "num_sessions": 15, "num_form_submissions": 40}
    score = Scorer(c).score(lead, [], as_of=AS_OF)
    assert explained(score) == {
        "sessions": (2000, "matched", "num_sessions 15 × 2 = 30, capped at 20"),
        "recently active": (0, "not judged", "not judged: last_activity_date missing"),
        "forms after a visit": (
            1500,
            "matched",
            "num_sessions 15 ≥ 1; num_form_submissions 40 × 7.5 = 300, capped at 15",
        ),
    }
    # The group's cap (40) then holds the sum (35): no adjustment line.
    assert score.engagement_cents == 3500 and score.check_sum()
    lead = {"lead_id": "d", "num_sessions": 3, "last_activity_date": dt.date(2026, 5, 31)}
    said = explained(Scorer(c).score(lead, [], as_of=AS_OF))
    assert said["forms after a visit"] == (
        0,
        "not judged",
        "not judged: num_form_submissions missing",
    )
    assert said["recently active"] == (500, "matched", "last_activity_date 1.5 days ago ≤ 30")


def test_event_points_and_field_rules_add_up_in_one_group_under_its_cap() -> None:
    text = EXPORT_ONLY.replace(
        "engagement:\n  cap: 40\n",
        "engagement:\n  cap: 40\n  events:\n    - {type: demo_request, points: 30}\n",
    )
    score = Scorer(load_compiled(text=text)).score(
        LEAD, [("demo_request", dt.datetime(2026, 5, 1))], as_of=AS_OF
    )
    lines = [(x.key, x.cents, x.status) for x in score.contributions]
    assert lines == [
        ("engagement:demo_request", 3000, "events"),
        ("engagement:sessions", 1400, "matched"),
        ("engagement:recently active", 500, "matched"),
        ("engagement:forms after a visit", 750, "matched"),
        ("engagement:cap", -1650, "adjustment"),
    ]
    assert score.engagement_cents == score.total_cents == 4000 and score.check_sum()


def load_leads(store: Store, rows: list[dict[str, object]], types: dict[str, str]) -> None:
    store.add_columns("leads", types)
    for row in rows:
        cols = ", ".join(row)
        store.execute(
            f"INSERT INTO leads ({cols}) VALUES ({', '.join('?' for _ in row)})", list(row.values())
        )


def plan_rows(store: Store, c) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    plan = plan_sql(
        c,
        AS_OF,
        lead_columns=store.table_columns("leads"),
        account_columns=store.table_columns("accounts"),
    )
    return {r["lead_id"]: r for r in store.query(plan)}


def test_the_plan_reads_dates_stored_as_timestamps_dates_or_iso_text_as_the_evaluator_does() -> (
    None
):
    # The importer stores a date column as TIMESTAMP; a column kept as text (an import
    # before its dates were read) is read when it holds ISO dates, else missing.
    c = load_compiled(text=EXPORT_ONLY)
    texts = ["2026-05-20", "2026-05-20 06:00", "2026-05-20T06:00:00.5", "20/05/2026", "2026-02-30"]
    for kind, values in [
        ("TIMESTAMP", [dt.datetime(2026, 5, 20), None]),
        ("DATE", [dt.date(2026, 5, 20), dt.date(2026, 6, 2)]),
        ("VARCHAR", texts),
    ]:
        store = Store(":memory:")
        rows = [
            {"lead_id": f"L{i}", "num_sessions": 1, "last_activity_date": v}
            for i, v in enumerate(values)
        ]
        load_leads(store, rows, {"num_sessions": "BIGINT", "last_activity_date": kind})
        got = plan_rows(store, c)
        scorer = Scorer(c)
        for row in store.query("SELECT * FROM leads"):
            raw = scorer.raw(row, [], AS_OF_US)
            assert got[row["lead_id"]]["engagement_rule_1"] == raw.engagement_rules[1], (kind, row)
    assert [got[f"L{i}"]["engagement_rule_1"] for i in range(5)] == [500, 500, 500, None, None]


def two(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda v: f"{v:02d}")


# Text a CRM may hold in a date column: ISO shapes, out-of-range parts, other layouts.
date_texts = st.one_of(
    st.tuples(
        st.sampled_from(["2026", "1999", "0000", "0001", "0999", "9999"]),
        two(0, 13),
        two(0, 32),
        st.sampled_from(["", " ", "T", "  "]),
        two(0, 25),
        two(0, 61),
        st.sampled_from(["", ":00", ":59", ":60", ":07.5", ":07.123456", ":07.1234567"]),
        st.sampled_from(["", " ", "Z", "+02:00"]),
    ).map(
        lambda p: (
            f"{p[0]}-{p[1]}-{p[2]}{p[3]}{p[4]}:{p[5]}{p[6]}{p[7]}"
            if p[3]
            else f"{p[0]}-{p[1]}-{p[2]}{p[7]}"
        )
    ),  # fmt: skip
    st.sampled_from(["20/05/2026", "5 Jan 2026", "2026/05/20", "20260520", "", "  2026-05-20 "]),
    st.text(alphabet="0123456789-: T.", max_size=22),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(date_texts, min_size=1, max_size=20))
def test_a_date_kept_as_text_reads_alike_in_both_engines(texts: list[str]) -> None:
    c = load_compiled(text=EXPORT_ONLY.replace("points: 5}", "points: 5}\n"
                      "    - {name: days, per: days_since(last_activity_date), points: 1, "
                      "cap: 1000000}"))  # fmt: skip
    store = Store(":memory:")
    rows = [{"lead_id": f"L{i}", "last_activity_date": t} for i, t in enumerate(texts)]
    load_leads(store, rows, {"last_activity_date": "VARCHAR"})
    got = plan_rows(store, c)
    scorer = Scorer(c)
    for row in rows:
        raw = scorer.raw(row, [], AS_OF_US)
        assert got[str(row["lead_id"])]["engagement_rule_2"] == raw.engagement_rules[2], row
        event("a date read" if raw.engagement_rules[2] is not None else "missing or later")


def test_stored_contributions_and_coverage_count_the_field_rules(tmp_path) -> None:  # type: ignore[no-untyped-def]
    c = load_compiled(text=EXPORT_ONLY)
    store = Store(str(tmp_path / "s.duckdb"))
    rows = [
        {"lead_id": "a", "num_sessions": 7, "num_form_submissions": 1},
        {"lead_id": "b", "num_sessions": None, "num_form_submissions": 2},
    ]
    load_leads(
        store,
        rows,
        {"num_sessions": "BIGINT", "num_form_submissions": "DOUBLE", "last_activity_date": "DATE"},
    )
    plan = plan_sql(
        c,
        AS_OF,
        lead_columns=store.table_columns("leads"),
        account_columns=store.table_columns("accounts"),
    )
    stored = {r["lead_id"]: r for r in store.query(store_select(c, plan, AS_OF))}
    assert c.rule_keys[-3:] == [
        "engagement:sessions",
        "engagement:recently active",
        "engagement:forms after a visit",
    ]
    assert stored["a"]["contributions"] == [1400, None, 750]
    assert stored["b"]["contributions"] == [None, None, None]
    assert stored["a"]["engagement"] == 21.5
    coverage = {r.rule: (r.kind, r.not_judged_after) for r in rule_coverage(store, c, AS_OF)}
    assert coverage == {
        "sessions": ("engagement", 1),
        "recently active": ("engagement", 2),
        "forms after a visit": ("engagement", 1),
    }


def test_the_published_page_shows_them_in_the_engagement_group() -> None:
    c = load_compiled(text=EXPORT_ONLY)
    page = to_markdown(c)
    section = page[page.index("## Engagement from the lead's fields") :]
    assert "| sessions | always | +2 per num_sessions | 20 |" in section
    assert "| recently active | `days_since(last_activity_date) <= 30` | +5 |  |" in section
    assert "| forms after a visit | `num_sessions >= 1` | +7.5 per num_form_submissions | 15 |" in (
        section
    )
    assert page.index("## Engagement") < page.index("## Engagement from") < page.index("## Score")
    assert "No events are scored: engagement is what the lead's own fields carry." in page
    assert "days_since(last_activity_date) &lt;= 30" in to_html(c)


def problems(text: str) -> list[tuple[str, str, str]]:
    return [(p.code, p.path, p.message) for p in validate(text=text).errors]


RULES_HEAD = """
name: x
version: '1'
attributes: {num_sessions: number, persona: text, last_activity_date: date}
engagement:
  events:
    - {type: demo_request, points: 30}
  rules:
"""


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "{name: s, per: num_sesions, points: 2, cap: 20}",
            ("LG200", "engagement.rules[0].per", "Unknown field 'num_sesions'"),
        ),
        (
            "{name: s, per: persona, points: 2, cap: 20}",
            ("LG126", "engagement.rules[0].per", "'per' must be a number"),
        ),
        (
            "{name: s, per: last_activity_date, points: 2, cap: 20}",
            ("LG128", "engagement.rules[0].per", "'last_activity_date' is a date"),
        ),
        (
            "{name: s, when: days_since(num_sessions) < 3, points: 2}",
            ("LG128", "engagement.rules[0].when", "'num_sessions' is a number"),
        ),
        (
            "{name: s, when: last_activity_date > 3, points: 2}",
            ("LG128", "engagement.rules[0].when", "read it with days_since(last_activity_date)"),
        ),
        (
            "{name: s, per: num_sessions, points: 2, cap: -20}",
            ("LG110", "engagement.rules[0].cap", "greater than 0"),
        ),
        (
            "{name: s, per: num_sessions, points: 2}",
            ("LG127", "engagement.rules[0].cap", "points per unit of 'num_sessions' with no cap"),
        ),
        (
            "{name: s, when: num_sessions > 2, points: 2, cap: 5}",
            ("LG127", "engagement.rules[0].cap", "'cap' bounds points per unit"),
        ),
        (
            "{name: s, points: 2}",
            ("LG127", "engagement.rules[0]", "says neither 'when' nor 'per'"),
        ),
        (
            "{name: demo_request, when: num_sessions > 2, points: 2}",
            ("LG121", "engagement.rules[0].name", "has the name of an event rule"),
        ),
        (
            "{name: s, when: num_sessions > 2, points: 2, per_unit: 3}",
            ("LG110", "engagement.rules[0].per_unit", "Unknown field 'per_unit'"),
        ),
    ],
)
def test_a_wrong_engagement_rule_is_reported_with_its_path_and_a_fix(
    rule: str, expected: tuple[str, str, str]
) -> None:
    result = validate(text=RULES_HEAD + f"    - {rule}\n")
    (problem,) = result.errors
    code, path, message = expected
    assert (problem.code, problem.path) == (code, path)
    assert message in problem.message
    assert problem.hint and problem.line == 9


def test_every_wrong_engagement_rule_is_reported_at_once() -> None:
    text = RULES_HEAD + (
        "    - {name: a, per: persona, points: 2, cap: 20}\n"
        "    - {name: b, per: num_sessions, points: 2}\n"
        "    - {name: a, when: days_since(persona) < 3, points: 1}\n"
    )
    assert sorted(problems(text)) == sorted(
        [
            (
                "LG126",
                "engagement.rules[0].per",
                "'per' must be a number to count points per unit; 'persona' is text",
            ),  # fmt: skip
            (
                "LG127",
                "engagement.rules[1].cap",
                "Engagement rule 'b' gives points per unit of 'num_sessions' with no cap",
            ),  # fmt: skip
            ("LG121", "engagement.rules[2].name", "Duplicate name 'a' (also engagement.rules[0])"),
            (
                "LG128",
                "engagement.rules[2].when",
                "days_since() takes an event type or a date "
                "field; 'persona' is text (at character 12 of the expression)",
            ),  # fmt: skip
        ]
    )


def test_a_definition_without_engagement_rules_keeps_its_hash() -> None:
    # Definitions hashed before engagement rules existed name their stored scores.
    text = "name: x\nversion: '1'\nengagement:\n  events:\n    - {type: demo_request, points: 3}\n"
    assert load_compiled(text=text).hash == load_compiled(text=text + "  rules: []\n").hash
    # The hash this definition had before (computed with the code of commit 1a76817).
    assert load_compiled(text=text).hash == (
        "8bf10b258dad587248eb1d2365cc6dcfb85d1ea5b5544c378cceac4d68111786"
    )


EXPORT = "\n".join(
    [
        "Email,First Name,Job Title,Number of Employees,Industry,Country,num_sessions,"
        "num_pageviews,num_form_submissions,recent_conversion_date,last_activity_date",
        "ana@northwind.io,Ana,VP Finance,250,Software,US,12,85,1,2026-05-28 10:15,2026-05-30 16:40",
        "bo@contoso.com,Bo,Analyst,40,Retail,DE,2,3,,,2026-01-10 09:00",
        "",
    ]
)


def test_a_hubspot_style_export_scores_with_the_example_definition(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The real CLI, end to end: the export's counts and dates land as typed custom
    # attributes, the example definition scores them as engagement, explain says each.
    root = tmp_path / "p"
    assert run("init", str(root)).returncode == 0
    example = Path(__file__).parents[2] / "examples/definitions/hubspot_export.yaml"
    shutil.copyfile(example, root / "definition.yaml")
    (root / "contacts.csv").write_text(EXPORT)
    contacts = str(root / "contacts.csv")
    done = run("-C", str(root), "import", "leads", contacts, "--preset", "hubspot_contacts")
    assert done.returncode == 0, done.stderr
    done = run("-C", str(root), "score", "--as-of", "2026-06-01", "--json")
    assert done.returncode == 0, done.stderr
    explained = json.loads(run("-C", str(root), "explain", "ana@northwind.io", "--json").stdout)
    lines = {c["label"]: (c["points"], c["detail"]) for c in explained["contributions"]
             if c["group"] == "engagement"}  # fmt: skip
    assert lines == {
        "sessions": (20.0, "num_sessions 12 × 2 = 24, capped at 20"),
        "page views": (10.0, "num_pageviews 85 × 0.5 = 42.5, capped at 10"),
        "form submissions": (10.0, "num_form_submissions 1 × 10 = 10 (cap 20)"),
        "converted this month": (15.0, "recent_conversion_date 3.5729 days ago ≤ 30"),
        "active this week": (10.0, "last_activity_date 1.3056 days ago ≤ 7"),
        "gone quiet": (0.0, "last_activity_date 1.3056 days ago ≤ 90"),
        "engagement cap": (-15.0, "65 points held to 50"),
    }
    assert explained["engagement"] == 50 and explained["tier"] == "hot"
    bo = json.loads(run("-C", str(root), "explain", "bo@contoso.com", "--json").stdout)
    said = {c["label"]: (c["status"], c["detail"]) for c in bo["contributions"]}
    assert said["converted this month"] == (
        "not judged",
        "not judged: recent_conversion_date missing",
    )
    assert said["gone quiet"] == ("matched", "last_activity_date 141.625 days ago > 90")
    assert bo["engagement"] == 4 + 1.5 - 15 and bo["tier"] is None
    where = "days_since(last_activity_date) <= 7 and num_sessions >= 10"
    listed = json.loads(run("-C", str(root), "leads", "--where", where, "--json").stdout)
    assert [lead["email"] for lead in listed["leads"]] == ["ana@northwind.io"]


@pytest.mark.parametrize("stored", ["TIMESTAMP", "DATE", "VARCHAR", "BIGINT"])
def test_the_spark_plan_of_field_rules_is_one_statement(stored: str) -> None:
    c = load_compiled(text=EXPORT_ONLY)
    columns = {"lead_id": "VARCHAR", "num_sessions": "BIGINT", "last_activity_date": stored}
    plan = plan_sql(c, AS_OF, lead_columns=columns, account_columns={}, dialect="spark")
    full = store_select(c, plan, AS_OF, dialect="spark")
    assert len(sqlglot.parse(full, read="spark")) == 1
    assert "epoch_us" not in full and "regexp_matches" not in full
    assert ("unix_micros" in full) == (stored != "BIGINT")  # a number is no date: NULL


def test_a_date_field_stored_as_a_number_is_missing_in_both_engines() -> None:
    c = load_compiled(text=EXPORT_ONLY)
    store = Store(":memory:")
    row = {"lead_id": "n", "num_sessions": 1, "last_activity_date": 20260520}
    load_leads(store, [row], {"num_sessions": "BIGINT", "last_activity_date": "BIGINT"})
    raw = Scorer(c).raw(row, [], AS_OF_US)
    assert raw.engagement_rules[1] is None
    assert plan_rows(store, c)["n"]["engagement_rule_1"] is None


def test_the_expression_checker_raises_the_definitions_code_for_dates() -> None:
    assert dates.NOT_A_DATE == codes.NOT_A_DATE
