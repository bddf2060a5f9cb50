"""CRM export presets: real header layouts land in the right columns; the rest is kept."""

from __future__ import annotations

import datetime as dt

import pytest

from leadgate.errors import ImportFailed
from leadgate.ingest import import_file


def test_hubspot_contacts_export(store, data):
    report = import_file(store, data / "hubspot_contacts.csv", "leads", preset="hubspot_contacts")
    assert (report.rows_loaded, report.rows_rejected) == (4, 0)
    assert set(report.columns_added) == {"lifecycle_stage", "owner"}
    row = store.query(
        "SELECT email, first_name, title, company, company_size, country, source, created_at, "
        "lifecycle_stage, stage FROM leads WHERE lead_id = '51'"
    )[0]
    assert row == {
        "email": "maria.lopez@northwind.io",
        "first_name": "Maria",
        "title": "VP of Marketing",
        "company": "Northwind",
        "company_size": 250,
        "country": "Spain",
        "source": "Organic Search",
        "created_at": dt.datetime(2024, 2, 12, 9, 31),
        "lifecycle_stage": "marketingqualifiedlead",  # the CRM's word, kept as it is
        "stage": "mql",  # and translated by HubSpot's lifecycle map (issue #8, defect 3)
    }
    # An empty cell is unknown, not zero.
    assert store.scalar("SELECT company_size FROM leads WHERE lead_id = '53'") is None


def test_salesforce_leads_export(store, data):
    report = import_file(store, data / "salesforce_leads.csv", "leads", preset="salesforce_leads")
    assert (report.rows_loaded, report.rows_rejected) == (3, 0)
    row = store.query(
        "SELECT email, last_name, company_size, company_domain, source, status, stage, "
        "created_at FROM leads WHERE lead_id = '00Q5e00000A1bCdEAF'"
    )[0]
    assert row == {
        "email": "hannah.schmidt@globex.de",
        "last_name": "Schmidt",
        "company_size": 540,
        "company_domain": "globex.de",
        "source": "Web",
        "status": "Open - Not Contacted",
        "stage": "lead",
        "created_at": dt.datetime(2024, 3, 4, 8, 15),
    }


def test_explicit_mapping_wins_over_preset(store, data):
    import_file(
        store,
        data / "hubspot_contacts.csv",
        "leads",
        preset="hubspot_contacts",
        mapping={"source": "Industry"},
        enrich=False,
    )
    assert store.scalar("SELECT source FROM leads WHERE lead_id = '51'") == "COMPUTER_SOFTWARE"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"preset": "hubspot_contact"}, "did you mean 'hubspot_contacts'"),
        ({"mapping": {"emial": "Email"}}, "did you mean 'email'"),
        ({"mapping": {"email": "E-mail"}}, "lacks"),
        ({"timezone": "Europe/Berln"}, "did you mean 'Europe/Berlin'"),
    ],
)
def test_a_bad_mapping_fails_before_touching_the_store(store, data, kwargs, message):
    with pytest.raises(ImportFailed, match=f"(?i){message}"):
        import_file(store, data / "hubspot_contacts.csv", "leads", **kwargs)
    assert store.scalar("SELECT count(*) FROM imports") == 0
