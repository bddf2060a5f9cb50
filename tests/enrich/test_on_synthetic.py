"""Enrichment over generated data: the steps agree with the generator's ground truth."""

from __future__ import annotations

from leadgate.definition import load_compiled
from leadgate.enrich import enrich_leads
from leadgate.scoring.coverage import rule_coverage
from leadgate.store import Store
from leadgate.testing import generate


def test_enrich_synthetic_leads_against_truth():
    data = generate(seed=11, accounts=300, leads=3_000)
    store = Store(":memory:")
    for name in ("leads", "accounts", "truth"):
        store.conn.register(f"syn_{name}", getattr(data, name))
    store.execute(
        "INSERT INTO accounts (account_id, domain, name, company_size, industry, country, "
        "annual_revenue, tech, is_customer, is_competitor) SELECT * FROM syn_accounts"
    )
    store.execute(
        "INSERT INTO leads (lead_id, email, first_name, last_name, title, company, "
        "company_domain, country, source, created_at) SELECT * EXCLUDE (visitor_id, persona, "
        "form_answer) FROM syn_leads"
    )
    report = enrich_leads(store)
    assert report.leads == 3_000
    got = dict(
        store.execute(
            "SELECT t.email_kind, avg((l.email_domain_type = t.email_kind "
            "OR (t.email_kind = 'business' AND l.email_domain_type IN "
            "('customer', 'competitor')))::INT) FROM leads l JOIN syn_truth t USING (lead_id) "
            "GROUP BY ALL"
        ).fetchall()
    )
    assert all(share == 1.0 for share in got.values()), got
    # Every business lead lands on its true account; no personal domain makes an account.
    assert store.execute(
        "SELECT count(*) FROM leads l JOIN syn_truth t USING (lead_id) "
        "WHERE t.email_kind <> 'business' AND l.account_id IN "
        "('gmail.com', 'yahoo.com', 'mit.edu', 'mailinator.com')"
    ).fetchall() == [(0,)]
    compiled = load_compiled(
        text="name: c\nversion: '1'\nfit:\n  rules:\n"
        "    - {name: size, when: company_size > 0, points: 1}\n"
        "    - {name: title, when: \"seniority = 'vp'\", points: 1}\n"
    )
    rows = {r.rule: r for r in rule_coverage(store, compiled, data.end)}
    assert rows["size"].not_judged_after < rows["size"].not_judged_before
    assert rows["title"].pct_after < 12
