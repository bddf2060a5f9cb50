"""The SQL plan: one statement, portable across dialects, stored with the hash."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlglot

from leadgate.definition import load_compiled
from leadgate.scoring import Scorer, plan_sql, score_store, store_select
from leadgate.scoring.lookup import explain_lead, list_leads
from leadgate.store import Store

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "definitions").glob("*.yaml"))
AS_OF = dt.datetime(2026, 1, 10, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_plan_is_one_statement_in_each_dialect(path: Path, dialect: str) -> None:
    c = load_compiled(path)
    store = Store(":memory:")
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
    report = score_store(store, c, AS_OF)
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
    c = load_compiled(
        text="name: d\nversion: '1'\nattributes: {persona: text}\nfit:\n  rules:\n"
        "    - {name: p, when: \"persona = 'finance'\", points: 5}\n"
    )
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    score_store(store, c, AS_OF)
    assert store.scalar("SELECT contributions FROM scores") == [None]
    assert store.scalar("SELECT rule_keys FROM definitions") == ["fit:p"]
    assert Scorer(c).score({"lead_id": "a"}, [], as_of=AS_OF).contributions[0].status == (
        "not judged"
    )
