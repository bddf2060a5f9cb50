"""The import enriches each batch as it writes it: the same result as writing, then enriching.

The reference is the two-step path the importer took before: ``import_file(enrich=False)``
then :func:`enrich_leads` over the file's leads. Both run on the same store state (leads
enriched before, values the user set by hand, customer and competitor accounts) and the same
generated file (repeated keys, rejects, tricky domains and titles, several batches); the
tables and the reports must be identical.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from leadgate.enrich import enrich_leads
from leadgate.ingest import import_file
from leadgate.store import Store

EMAILS = [
    "ana@acme.com",
    "BO@Gmail.com",
    "cy@mail.rival.io",
    "di@cs.mit.edu",
    "ed@mailinator.com",
    "fa@www.Globex.com",
    "gu@bigco.com",
    "hu@sub.acme.com",
    "iv@yahoo.co.uk",
    "jo@new-co.io",
    "",
]
DOMAINS = ["", "https://www.Globex.com/about", "gmail.com", "acme.com", "www.com", "new-co.io"]
TITLES = [
    "",
    "VP Marketing",
    "n/a",
    "Student",
    "Head of Growth",
    "Chief Marketing Officer",
    "Lead Generation Specialist",
    "Geschäftsführer",
    "Partner Manager",
]
ROW = st.tuples(
    st.sampled_from([str(i) for i in range(1, 13)]),
    st.sampled_from(EMAILS),
    st.sampled_from(TITLES),
    st.sampled_from(DOMAINS),
    st.sampled_from(["", "", "acme.com", "custom-acct"]),
    st.sampled_from(["", "BR"]),
    st.sampled_from(["", "Retail"]),
    st.sampled_from(["", "", "vp"]),
    st.sampled_from(["", "", "12", "twelve"]),  # company_size: "twelve" is rejected
)
HEADER = (
    "lead_id email title company_domain account_id country industry seniority company_size"
).split()


def _store(firmo: Path) -> Store:
    store = Store(":memory:")
    store.execute(
        "INSERT INTO leads (lead_id, email, title, company_domain, industry) VALUES "
        "('1', 'ana@acme.com', 'VP Sales', NULL, NULL), "
        "('2', 'bo@gmail.com', 'Intern', 'globex.com', 'Retail'), "
        "('3', 'cy@rival.io', 'CEO', NULL, NULL), "
        "('4', 'di@bigco.com', NULL, NULL, NULL)"
    )
    store.execute(
        "INSERT INTO accounts (account_id, domain, industry, is_customer, is_competitor) VALUES "
        "('bigco.com', 'bigco.com', NULL, TRUE, NULL), ('globex.com', NULL, 'Energy', NULL, NULL),"
        " ('rival.io', 'rival.io', NULL, NULL, TRUE)"
    )
    enrich_leads(store, firmographics=firmo)
    # Values a user set by hand after that enrichment: never to be overwritten.
    store.execute("UPDATE leads SET seniority = 'manager', country = 'PT' WHERE lead_id = '1'")
    store.execute("UPDATE leads SET account_id = 'mine' WHERE lead_id = '3'")
    return store


def _tables(store: Store) -> tuple[list[tuple[object, ...]], ...]:
    leads = "SELECT * EXCLUDE (updated_at) FROM leads ORDER BY lead_id"
    accounts = "SELECT * EXCLUDE (created_at, updated_at) FROM accounts ORDER BY account_id"
    return store.execute(leads).fetchall(), store.execute(accounts).fetchall()


def _counts(report):
    return report.rows_loaded, report.rows_unchanged, report.rows_rejected, report.rows_read


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(ROW, max_size=14), batch=st.sampled_from([1, 3, 500]))
@example(  # a row rejected as another source's copy of a stored lead's email names no lead
    rows=[
        ("5", "ana@acme.com", *[""] * 7),
        ("5", "BO@Gmail.com", *[""] * 7),
        *[("1", "ana@acme.com", *[""] * 7)] * 11,
        ("2", "ana@acme.com", *[""] * 7),
    ],
    batch=1,
)
def test_enriched_import_equals_import_then_enrich(tmp_path, rows, batch):
    firmo = tmp_path / "firmo.csv"
    firmo.write_text(
        "domain,employees,industry,country\nacme.com,250,Software,US\n"
        "new-co.io,40,,NZ\nglobex.com,5000,Manufacturing,DE\n"
    )
    path = tmp_path / "leads.parquet"
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(HEADER)
    table = {
        n: pa.array([v or None for v in c], pa.string())
        for n, c in zip(HEADER, columns, strict=True)
    }
    pq.write_table(pa.table(table), path)
    options = {
        "competitor_domains": ["rival.io"],
        "customer_domains": ["yahoo.co.uk"],
        "firmographics": str(firmo),
    }

    expected = _store(firmo)
    plain = import_file(expected, path, "leads", batch_rows=batch, enrich=False)
    # The leads the importer enriches: the key of every row that was not rejected (a bad
    # value, or a later row of a key or of an email: leadgate.identity), or the lead its
    # id names (another id with the same email).
    refused = {
        line
        for (line,) in expected.execute(
            "SELECT line FROM rejects WHERE import_id = ?", [plain.import_id]
        ).fetchall()
    }
    good = sorted({r[0] for n, r in enumerate(rows, 1) if n not in refused})
    keys = ", ".join(f"'{k}'" for k in good)
    named = (
        f"lead_id IN ({keys}) OR lead_id IN (SELECT lead_id FROM lead_aliases "
        f"WHERE alias IN ({keys}))"
    )
    reference = enrich_leads(expected, lead_filter_sql=named if good else "false", **options)

    actual = _store(firmo)
    report = import_file(actual, path, "leads", batch_rows=batch, enrich=options)
    assert _tables(actual) == _tables(expected)
    assert _counts(report) == _counts(plain)
    assert report.enrichment == reference


def test_a_lead_enriched_only_keeps_its_updated_at(tmp_path):
    # A re-import that changes nothing in the file but enrichment's answer (a new customer
    # domain): the values move, updated_at does not, and no row counts as loaded.
    path = tmp_path / "leads.csv"
    path.write_text("lead_id,email,title\n1,ana@acme.com,VP Sales\n2,bo@gmail.com,\n")
    store = Store(":memory:")
    import_file(store, path, "leads")
    before = store.execute("SELECT lead_id, updated_at FROM leads ORDER BY 1").fetchall()
    report = import_file(store, path, "leads", enrich={"customer_domains": ["acme.com"]})
    assert report.rows_loaded == 0 and report.rows_unchanged == 2
    assert report.enrichment.filled["email_domain_type"] == 1
    assert store.execute("SELECT lead_id, updated_at FROM leads ORDER BY 1").fetchall() == before
    assert store.execute(
        "SELECT email_domain_type, enriched FROM leads WHERE lead_id = '1'"
    ).fetchall() == [
        (
            "customer",
            [
                "email_domain",
                "email_domain_type",
                "seniority",
                "department",
                "title_flag",
                "account_id",
            ],
        )
    ]


def test_trace_sees_enrichment_statements(tmp_path):
    # --trace prints what the tracer gets: enrichment's statements must all reach it.
    path = tmp_path / "leads.csv"
    path.write_text("lead_id,email,title\n1,ana@acme.com,VP Sales\n2,bo@gmail.com,Intern\n")
    seen: list[str] = []
    store = Store(":memory:", tracer=lambda sql, params: seen.append(" ".join(sql.split())))
    import_file(store, path, "leads", enrich={"competitor_domains": ["rival.io"]})
    expected = [
        "CREATE OR REPLACE TEMP TABLE _lg_domain_list AS",  # the domain lists
        "INSERT INTO _lg_domain_list",  # competitor and customer accounts
        "CREATE OR REPLACE TEMP TABLE _lg_title_class AS",  # titles
        "INSERT INTO accounts (account_id, domain, created_at, updated_at)",  # accounts
        "CREATE OR REPLACE TEMP TABLE _lg_fill_changes AS",  # the values to write
        "INSERT INTO leads",  # written with the file's
    ]
    for start in expected:
        assert any(sql.startswith(start) for sql in seen), start
    assert store.execute("SELECT account_id FROM accounts").fetchall() == [("acme.com",)]
