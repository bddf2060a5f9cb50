"""The SQL plan: one statement, portable across dialects, stored with the hash."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlglot

from leadgate.definition import load_compiled
from leadgate.scoring import Scorer, plan_sql, score_store, store_select
from leadgate.scoring.lookup import explain_lead, list_leads
from leadgate.scoring.plans import scoring_template
from leadgate.store import Store

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "definitions").glob("*.yaml"))
AS_OF = dt.datetime(2026, 1, 10, tzinfo=dt.timezone.utc)
# One fit rule on a custom attribute the store may not have a column for.
PERSONA_RULE = (
    "name: d\nversion: '1'\nattributes: {persona: text}\nfit:\n  rules:\n"
    "    - {name: p, when: \"persona = 'finance'\", points: 5}\n"
)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_plan_is_one_statement_in_each_dialect(path: Path, dialect: str) -> None:
    c = load_compiled(path)
    store = Store(":memory:")
    # The declared attributes as an import would store them, so the plan reads each.
    stored = {"number": "DOUBLE", "text": "VARCHAR", "bool": "BOOLEAN", "date": "TIMESTAMP"}
    store.add_columns("leads", {k: stored[v] for k, v in c.definition.attributes.items()})
    plan = plan_sql(
        c,
        AS_OF,
        lead_columns=store.table_columns("leads"),
        account_columns=store.table_columns("accounts"),
        dialect=dialect,
    )
    full = store_select(c, plan, AS_OF, dialect=dialect)
    statements = sqlglot.parse(full, read=dialect)
    assert len(statements) == 1
    if dialect == "spark":
        assert "unix_micros" in full and "epoch_us" not in full


@pytest.fixture()
def store() -> Store:
    s = Store(":memory:")
    s.add_columns("leads", {"persona": "VARCHAR", "form_answer": "VARCHAR"})
    s.execute(
        "INSERT INTO accounts (account_id, industry, is_customer) VALUES "
        "('acme.com', 'software', false), ('big.com', 'retail', true)"
    )
    s.execute(
        "INSERT INTO leads (lead_id, email, account_id, department, seniority, industry,"
        " company_size, country, title, title_flag, email_domain_type, stage) VALUES "
        "('a', 'a@acme.com', 'acme.com', 'finance', 'director', 'Software', 150, 'US',"
        " 'Finance Director', 'none', 'business', 'lead'),"
        "('b', 'b@acme.com', 'acme.com', NULL, NULL, NULL, NULL, NULL, 'CTO', 'none',"
        " 'business', 'lead'),"
        "('c', 'c@big.com', 'big.com', 'finance', 'vp', 'retail', 9000, 'DE', 'VP', 'none',"
        " 'business', 'lead')"
    )
    s.execute(
        "INSERT INTO events (event_id, lead_id, type, ts) VALUES "
        "('1', 'a', 'demo_request', '2026-01-09'), ('2', 'a', 'pricing_page', '2026-01-01'),"
        "('3', 'b', 'blog_view', '2026-01-05'), ('4', 'c', 'demo_request', '2026-01-09')"
    )
    return s


def test_scores_are_stored_with_the_hash_and_explain_rebuilds_them(store: Store) -> None:
    c = load_compiled(EXAMPLES[0])  # b2b_saas
    report = score_store(store, c, AS_OF, details=True)
    assert report.leads == 3 and report.tiers["hot"] == 1 and report.disqualified == 1
    rows = store.query("SELECT * FROM scores ORDER BY lead_id")
    assert {r["definition_hash"] for r in rows} == {c.hash}
    assert rows[2]["disqualified"] and rows[2]["tier"] is None
    assert rows[2]["dq_reason"].startswith("existing customer")
    for row in rows:
        score = explain_lead(store, c, row["lead_id"])
        assert score.total_cents == round(row["total"] * 100) and not score.warnings
        assert score.check_sum()
        by_key = {x.key: x.cents for x in score.contributions}
        assert [by_key[k] for k in c.rule_keys] == [v or 0 for v in row["contributions"]]
    hot = explain_lead(store, c, "a@acme.com")
    assert hot.tier == "hot" and hot.sla_due == AS_OF + dt.timedelta(hours=1)


def test_rescoring_the_same_run_replaces_it(store: Store) -> None:
    c = load_compiled(EXAMPLES[0])
    score_store(store, c, AS_OF)
    score_store(store, c, AS_OF)
    assert store.scalar("SELECT count(*) FROM scores") == 3
    assert store.scalar("SELECT count(*) FROM definitions") == 1
    assert store.scalar("SELECT count(*) FROM current_scores") == 3  # the newest run only


def test_segments_filter_with_the_definition_language(store: Store) -> None:
    c = load_compiled(EXAMPLES[0])
    score_store(store, c, AS_OF)
    ids = [r["lead_id"] for r in list_leads(store, c, where="count(blog_view, 30d) >= 1")]
    assert ids == ["b"]
    ids = [r["lead_id"] for r in list_leads(store, c, where="fit >= 25 and stage = 'lead'")]
    assert sorted(ids) == ["a", "c"]
    assert [r["lead_id"] for r in list_leads(store, c, tier="hot")] == ["a"]


def test_explain_warns_when_data_changed_after_scoring(store: Store) -> None:
    c = load_compiled(EXAMPLES[0])
    score_store(store, c, AS_OF)
    store.execute("UPDATE leads SET country = 'BR' WHERE lead_id = 'a'")
    score = explain_lead(store, c, "a")
    assert score.warnings and "rescore" in score.warnings[0]


def test_a_missing_store_column_reads_as_unknown() -> None:
    c = load_compiled(text=PERSONA_RULE)
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    score_store(store, c, AS_OF, details=True)
    assert store.scalar("SELECT contributions FROM scores") == [None]
    assert store.scalar("SELECT rule_keys FROM definitions") == ["fit:p"]
    assert Scorer(c).score({"lead_id": "a"}, [], as_of=AS_OF).contributions[0].status == (
        "not judged"
    )


def test_contributions_are_kept_only_when_asked(store: Store) -> None:
    c = load_compiled(EXAMPLES[0])
    score_store(store, c, AS_OF)
    plain = store.query("SELECT lead_id, total, tier, contributions FROM scores ORDER BY 1")
    assert [r["contributions"] for r in plain] == [None, None, None]
    score_store(store, c, AS_OF, details=True)  # the same run again, replaced whole
    detailed = store.query("SELECT lead_id, total, tier, contributions FROM scores ORDER BY 1")
    assert [(r["lead_id"], r["total"], r["tier"]) for r in detailed] == [
        (r["lead_id"], r["total"], r["tier"]) for r in plain
    ]
    for row in detailed:
        assert len(row["contributions"]) == len(c.rule_keys)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_kept_plan_renders_the_query_generated_afresh(path: Path) -> None:
    c = load_compiled(path)
    store = Store(":memory:")
    lead_cols = store.table_columns("leads")
    account_cols = store.table_columns("accounts")
    for details in (False, True):
        template = scoring_template(store, c, details=details)
        for when in (AS_OF, dt.datetime(2024, 2, 29, 23, 59, 59, 999999, dt.timezone.utc)):
            fresh = store_select(
                c,
                plan_sql(c, when, lead_columns=lead_cols, account_columns=account_cols),
                when,
                details=details,
            )
            assert template.render(when) == fresh
            assert template.token not in fresh
    assert store.scalar("SELECT count(*) FROM plans") == 2  # one per (definition, details)
    again = scoring_template(store, c)
    assert again.token == scoring_template(store, c).token  # read back, not generated


def test_a_new_store_column_gets_a_new_plan() -> None:
    c = load_compiled(text=PERSONA_RULE)
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    score_store(store, c, AS_OF)
    assert store.scalar("SELECT total FROM scores") == 0  # no persona column: not judged
    store.add_columns("leads", {"persona": "VARCHAR"})
    store.execute("UPDATE leads SET persona = 'finance'")
    score_store(store, c, AS_OF)
    assert store.scalar("SELECT total FROM scores") == 5
    assert store.scalar("SELECT count(*) FROM plans") == 2


def test_a_literal_spelling_a_token_is_left_alone() -> None:
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id, industry) VALUES ('a', 'lg0u'), ('b', 'x')")
    first = scoring_template(store, load_compiled(EXAMPLES[0]))
    sneaky = f"{first.token}u"  # the token of another definition's plan, spelled out
    c = load_compiled(
        text="name: d\nversion: '1'\nfit:\n  rules:\n"
        f"    - {{name: p, when: \"industry = '{sneaky}'\", points: 5}}\n"
    )
    store.execute("UPDATE leads SET industry = ? WHERE lead_id = 'a'", [sneaky])
    score_store(store, c, AS_OF)
    assert store.query("SELECT lead_id, total FROM scores ORDER BY 1") == [
        {"lead_id": "a", "total": 5.0},
        {"lead_id": "b", "total": 0.0},
    ]


def test_a_changed_generator_never_reuses_an_old_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadgate.scoring import plans

    store = Store(":memory:")
    c = load_compiled(EXAMPLES[0])
    old = scoring_template(store, c)
    monkeypatch.setattr(plans, "generator_digest", lambda: "another generator")
    new = scoring_template(store, c)
    assert new.token != old.token
    assert store.query("SELECT generator FROM plans") == [{"generator": "another generator"}]
