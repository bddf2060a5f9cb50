"""Email domain types: lists, parent domains, precedence, and SQL agreeing with Python."""

from __future__ import annotations

import duckdb
import pytest

from leadgate.enrich.domains import (
    builtin_lists,
    classify_domain,
    classify_domains_sql,
    load_domain_lists,
    normalise_domain,
    normalise_domain_sql,
)
from leadgate.store import Store


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("gmail.com", "personal"),
        ("GMAIL.COM", "personal"),
        ("mail.yahoo.co.uk", "personal"),
        ("gmx.de", "personal"),
        ("web.de", "personal"),
        ("qq.com", "personal"),
        ("mailinator.com", "disposable"),
        ("guerrillamail.com", "disposable"),
        ("stanford.edu", "student"),
        ("cs.stanford.edu", "student"),
        ("ox.ac.uk", "student"),
        ("unimelb.edu.au", "student"),
        ("u-tokyo.ac.jp", "student"),
        ("ethz.ch", "student"),  # no academic suffix: known from the swot list
        ("acme.com", "business"),
        ("salesforce.com", "business"),
        ("co.uk", "business"),
        (None, None),
        ("", None),
    ],
)
def test_classify_domain(domain, expected):
    assert classify_domain(domain) == expected


def test_lists_are_maintained_lists_not_a_handful():
    lists = builtin_lists()
    assert len(lists["personal"]) > 10_000
    assert len(lists["disposable"]) > 5_000
    assert len(lists["student"]) > 5_000
    assert "com" not in lists["personal"]  # a bare TLD on a list would swallow everything


def test_precedence_competitor_customer_disposable():
    # A domain on several lists takes the type with the highest precedence.
    assert classify_domain("gmail.com", competitor_domains=["gmail.com"]) == "competitor"
    assert classify_domain("x.acme.com", ["acme.com"], ["acme.com"]) == "competitor"
    assert classify_domain("eu.acme.com", customer_domains=["https://www.acme.com/"]) == "customer"
    assert classify_domain("mailinator.com", customer_domains=["mailinator.com"]) == "customer"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("http://acme.com:8080", "acme.com"),
        ("WWW.ACME.CO.UK.", "acme.co.uk"),
        ("jane@acme.io", "acme.io"),
        ("  acme.com  ", "acme.com"),
        ("www.", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_domain_python_and_sql(raw, expected):
    assert normalise_domain(raw) == expected
    got = duckdb.execute(f"SELECT {normalise_domain_sql('?')}", [raw]).fetchall()[0][0]
    assert got == expected


def test_sql_classification_matches_python_and_reads_flagged_accounts():
    store = Store(":memory:")
    store.execute(
        "INSERT INTO accounts (account_id, domain, is_competitor, is_customer) VALUES "
        "('rival.io', 'rival.io', TRUE, FALSE), ('bigco.com', 'bigco.com', FALSE, TRUE)"
    )
    lists = builtin_lists()
    sample = sorted(lists["personal"])[::700] + sorted(lists["student"])[::500]
    sample += sorted(lists["disposable"])[::700]
    sample += ["mail.yahoo.co.uk", "acme.com", "eu.rival.io", "bigco.com", "x.cs.mit.edu"]
    load_domain_lists(store.conn, competitor_domains=["comp.net"])
    values = ", ".join(f"('{d}')" for d in [*sample, "comp.net"])
    got = dict(
        store.execute(classify_domains_sql(f"SELECT * FROM (VALUES {values}) t(domain)")).fetchall()
    )
    expected = {
        d: classify_domain(d, ["comp.net", "rival.io"], ["bigco.com"])
        for d in [*sample, "comp.net"]
    }
    assert got == expected
    assert got["eu.rival.io"] == "competitor" and got["bigco.com"] == "customer"
