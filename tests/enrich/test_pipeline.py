"""enrich_leads end to end: each step, never overwriting imported data, coverage, scale."""

from __future__ import annotations

import datetime as dt

import pytest

from leadgate.definition import load_compiled
from leadgate.enrich import enrich_leads
from leadgate.scoring.coverage import rule_coverage
from leadgate.store import Store

LEADS = [
    # lead_id, email, title, company_domain, industry (imported), country (imported)
    ("1", "ana@acme.com", "VP Marketing", None, None, None),
    ("2", "bo@gmail.com", "Student", None, None, "BR"),
    ("3", "cy@mail.rival.io", "CEO", None, None, None),
    ("4", "di@gmail.com", "Sales Manager", "https://www.Globex.com/", "Retail", None),
    ("5", "ed@mailinator.com", None, None, None, None),
    ("6", "fa@cs.mit.edu", "PhD candidate", None, None, None),
    ("7", "gu@bigco.com", "n/a", None, None, None),
    ("8", "hu@acme.com", "Software Engineer", "gmail.com", None, None),
]


def _rows(store, sql):
    return store.execute(sql).fetchall()


@pytest.fixture
def store(tmp_path):
    s = Store(":memory:")
    s.execute(
        "INSERT INTO leads (lead_id, email, title, company_domain, industry, country) "
        "SELECT * FROM (VALUES " + ", ".join(str(r).replace("None", "NULL") for r in LEADS) + ")"
    )
    s.execute(
        "INSERT INTO accounts (account_id, domain, name, industry, is_customer) VALUES "
        "('bigco.com', 'bigco.com', 'BigCo', NULL, TRUE), "
        "('globex.com', 'globex.com', 'Globex Corp', 'Energy', NULL)"
    )
    firmo = tmp_path / "firmo.csv"
    firmo.write_text(
        "domain,employees,industry,country,revenue,technologies,name\n"
        "acme.com,250,Software,US,12000000,salesforce;hubspot,Acme Inc\n"
        "www.globex.com,5000,Manufacturing,DE,,sap,Globex GmbH\n"
        "bigco.com,90000,Banking,GB,,,\n"
    )
    s.firmo = firmo  # type: ignore[attr-defined]
    return s


def _lead(store, lead_id, *cols):
    return _rows(store, f"SELECT {', '.join(cols)} FROM leads WHERE lead_id = '{lead_id}'")[0]


def test_domain_types_titles_and_accounts(store):
    report = enrich_leads(store, competitor_domains=["rival.io"], firmographics=store.firmo)
    types = dict(_rows(store, "SELECT lead_id, email_domain_type FROM leads"))
    assert types == {
        "1": "business",
        "2": "personal",
        "3": "competitor",
        "4": "personal",
        "5": "disposable",
        "6": "student",
        "7": "customer",
        "8": "business",
    }
    assert _lead(store, "1", "seniority", "department", "title_flag") == ("vp", "marketing", "none")
    assert _lead(store, "2", "title_flag") == ("student",)
    assert _lead(store, "7", "seniority") == (None,)
    # Accounts: company_domain first, business email next, never a personal domain.
    accounts = dict(_rows(store, "SELECT lead_id, account_id FROM leads"))
    assert accounts == {
        "1": "acme.com",
        "2": None,
        "3": "mail.rival.io",
        "4": "globex.com",
        "5": None,
        "6": None,
        "7": "bigco.com",
        "8": "acme.com",
    }
    assert report.accounts_created == 2  # acme.com, mail.rival.io
    assert report.leads == len(LEADS)


def test_never_overwrites_imported_values(store):
    enrich_leads(store, firmographics=store.firmo)
    # Existing account attributes stay; only NULLs are filled from the file.
    assert _rows(
        store, "SELECT name, industry, company_size FROM accounts WHERE account_id = 'globex.com'"
    ) == [("Globex Corp", "Energy", 5000)]
    # Lead 4 imported its industry: kept; its country came from the account.
    assert _lead(store, "4", "industry", "country", "company_size") == ("Retail", "DE", 5000)
    assert sorted(_lead(store, "4", "enriched")[0]) == sorted(
        [
            "email_domain",
            "email_domain_type",
            "seniority",
            "department",
            "title_flag",
            "account_id",
            "company_size",
            "country",
        ]
    )
    # Lead 2 imported its country and has no account.
    assert _lead(store, "2", "country") == ("BR",)
    assert _lead(store, "1", "industry", "company_size") == ("Software", 250)


def test_rerun_changes_nothing_and_corrects_its_own_values(store):
    enrich_leads(store, firmographics=store.firmo)
    before = _rows(store, "SELECT * FROM leads ORDER BY lead_id")
    again = enrich_leads(store, firmographics=store.firmo)
    assert set(again.filled.values()) == {0}
    assert _rows(store, "SELECT * FROM leads ORDER BY lead_id") == before
    # acme.com becomes a customer: enrichment may correct the type it wrote itself.
    third = enrich_leads(store, customer_domains=["acme.com"])
    assert third.filled["email_domain_type"] == 2
    assert _lead(store, "1", "email_domain_type") == ("customer",)


def test_user_domain_type_is_kept(store):
    store.execute("UPDATE leads SET email_domain_type = 'business' WHERE lead_id = '2'")
    enrich_leads(store)
    assert _lead(store, "2", "email_domain_type") == ("business",)


def test_lead_filter_limits_the_leads(store):
    report = enrich_leads(store, lead_filter_sql="lead_id IN ('1', '2')")
    assert report.leads == 2
    assert _rows(store, "SELECT count(*) FROM leads WHERE seniority IS NOT NULL") == [(2,)]


COVERAGE_DEFINITION = """
name: coverage
version: "1"
attributes: {persona: text}
fit:
  rules:
    - {name: seniority, when: "seniority = 'zzz'", points: 1}
    - {name: size, when: "company_size > -1", points: 1}
    - {name: account industry, when: "account.industry = 'zzz'", points: 1}
    - {name: both, when: "seniority = 'zzz' or industry = 'zzz'", points: 1}
    - {name: custom, when: "persona = 'x'", points: 1}  # no such column: nobody judged
"""


def test_coverage_before_and_after(store):
    enrich_leads(store, firmographics=store.firmo)
    compiled = load_compiled(text=COVERAGE_DEFINITION)
    rows = rule_coverage(store, compiled, dt.datetime(2026, 1, 1))
    by = {r.rule: r for r in rows}
    assert all(r.leads == 8 for r in rows)
    assert (by["seniority"].not_judged_before, by["seniority"].not_judged_after) == (8, 2)
    # Company size: leads 2, 5, 6 have no account and mail.rival.io has no size.
    assert (by["size"].not_judged_before, by["size"].not_judged_after) == (8, 4)
    # Globex's industry was imported but its link to lead 4 was made by enrichment.
    assert by["account industry"].not_judged_after == 4
    assert by["account industry"].not_judged_before == 8
    assert by["both"].not_judged_before == 8  # only lead 4 imported an industry, no seniority
    assert by["custom"].not_judged_after == 8 and by["custom"].pct_after == 100.0


def test_a_large_table_is_classified_set_based():
    # Correctness at a size where per-row Python would show; speed lives in bench/.
    store = Store(":memory:")
    store.execute(
        """
        INSERT INTO leads (lead_id, email, title, company_domain)
        SELECT i::VARCHAR,
               'p' || i || '@' || (['gmail.com', 'acme' || (i % 5000) || '.com',
                                    'mit.edu', 'mailinator.com'])[1 + i % 4],
               (['VP Sales', 'Head of Marketing', 'Software Engineer ' || (i % 300),
                 'CEO', 'Intern'])[1 + i % 5],
               CASE WHEN i % 3 = 0 THEN 'www.co' || (i % 7000) || '.com' END
        FROM range(200000) t(i)
        """
    )
    report = enrich_leads(store)
    assert report.leads == 200_000
    assert report.domain_types["personal"] == 50_000


def test_a_new_email_is_judged_by_its_own_domain(store):
    """The domain enrichment wrote follows the email: lead 5 moves from mailinator
    (disposable) to gmail.com and is judged personal mail, and the change is counted; a domain
    the user imported stays."""
    enrich_leads(store)
    assert _lead(store, "5", "email_domain", "email_domain_type") == (
        "mailinator.com",
        "disposable",
    )
    store.execute("UPDATE leads SET email = 'ed@gmail.com' WHERE lead_id = '5'")
    store.execute(
        "UPDATE leads SET email = 'hu@bigco.com', email_domain = 'acme.com', "
        "enriched = list_filter(enriched, lambda x: x <> 'email_domain') WHERE lead_id = '8'"
    )
    again = enrich_leads(store)
    assert _lead(store, "5", "email_domain", "email_domain_type") == ("gmail.com", "personal")
    assert again.filled["email_domain"] == 1 and again.filled["email_domain_type"] == 1
    assert _lead(store, "8", "email_domain") == ("acme.com",)  # the user's: kept
