"""Anonymous visitors, identification, accounts, intent and outcomes joining up."""

from __future__ import annotations

import pytest

from leadgate.ingest import import_file

from .conftest import write


def test_pricing_views_before_the_form_count_for_the_lead(store, data):
    import_file(store, data / "hubspot_contacts.csv", "leads", preset="hubspot_contacts")
    report = import_file(store, data / "events.csv", "events")
    assert report.rows_loaded == 6
    anonymous = store.scalar("SELECT count(*) FROM events WHERE lead_id IS NULL")
    assert anonymous == 4  # stored as they came: visitor only
    assert store.query("SELECT visitor_id, lead_id FROM visitor_links") == [
        {"visitor_id": "v-100", "lead_id": "51"}
    ]
    pricing = store.scalar(
        "SELECT count(*) FROM lead_events WHERE lead_id = '51' AND type = 'pricing_page'"
    )
    assert pricing == 2
    # v-200 never identified itself: its view belongs to nobody yet.
    assert store.scalar("SELECT count(*) FROM lead_events WHERE visitor_id = 'v-200'") == 0


def test_identification_in_a_later_file_links_earlier_events(store, tmp_path):
    write(tmp_path / "anon.csv", "visitor_id,type,ts\nv9,pricing_page,2024-01-01 10:00\n")
    write(tmp_path / "leads.csv", "lead_id,email,visitor_id\nL9,z@x.io,v9\n")
    import_file(store, tmp_path / "anon.csv", "events")
    import_file(store, tmp_path / "leads.csv", "leads", enrich=False)
    assert store.scalar("SELECT lead_id FROM lead_events") == "L9"
    assert "visitor_id" not in store.table_columns("leads")


def test_event_email_resolves_to_the_existing_lead(store, tmp_path):
    write(tmp_path / "leads.csv", "lead_id,email\nCRM-1,Ana@Acme.com\n")
    write(tmp_path / "ev.csv", "email,type,ts\nANA@acme.com,demo_request,2024-01-01 10:00\n")
    import_file(store, tmp_path / "leads.csv", "leads", enrich=False)
    import_file(store, tmp_path / "ev.csv", "events")
    assert store.scalar("SELECT lead_id FROM events") == "CRM-1"


def test_extra_event_columns_go_to_properties(store, data):
    import_file(store, data / "events.csv", "events")
    props = store.scalar("SELECT properties->>'$.campaign' FROM events WHERE event_id = 'ev-1'")
    assert props == "spring"


def test_custom_event_types_can_be_allowed(store, tmp_path):
    path = write(tmp_path / "e.csv", "lead_id,type,ts\nL1,Partner Call,2024-01-01\n")
    report = import_file(store, path, "events", allowed_event_types=["partner_call"])
    assert report.rows_loaded == 1
    assert store.scalar("SELECT type FROM events") == "partner_call"


def test_accounts_and_intent_join_leads_by_domain(store, data):
    import_file(store, data / "hubspot_contacts.csv", "leads", preset="hubspot_contacts")
    accounts = import_file(store, data / "accounts.csv", "accounts")
    assert [(r.line, r.column) for r in accounts.rejects] == [(4, "company_size")]
    assert set(accounts.columns_added) == {"funding_stage"}
    intent = import_file(store, data / "intent.csv", "intent")
    assert [(r.line, r.column) for r in intent.rejects] == [(4, "strength")]
    rows = store.query(
        "SELECT l.lead_id, a.name, a.is_customer, a.funding_stage, i.topic, i.strength "
        "FROM leads l JOIN accounts a USING (account_id) "
        "LEFT JOIN intent_signals i USING (account_id) ORDER BY l.lead_id"
    )
    assert rows[:2] == [
        {
            "lead_id": "51",
            "name": "Northwind",
            "is_customer": False,
            "funding_stage": "Series B",
            "topic": "marketing automation",
            "strength": 82.0,
        },
        {
            "lead_id": "52",
            "name": "Brightlane",
            "is_customer": True,
            "funding_stage": "Public",
            "topic": "lead scoring",
            "strength": 45.0,
        },
    ]


def test_outcomes_resolve_leads_and_check_the_vocabulary(store, data):
    import_file(store, data / "hubspot_contacts.csv", "leads", preset="hubspot_contacts")
    report = import_file(store, data / "outcomes.csv", "outcomes")
    assert report.rows_loaded == 3
    [reject] = report.rejects
    assert (reject.line, reject.column, reject.raw) == (5, "outcome", "maybe")
    assert store.query("SELECT lead_id, outcome, value FROM outcomes WHERE outcome = 'won'") == [
        {"lead_id": "51", "outcome": "won", "value": 24000.0}
    ]


@pytest.mark.parametrize(
    ("kind", "header"),
    [("events", "lead_id,ts"), ("outcomes", "lead_id,ts"), ("intent", "domain,topic")],
)
def test_missing_required_columns_fail_the_whole_import(store, tmp_path, kind, header):
    from leadgate.errors import ImportFailed

    path = write(tmp_path / "x.csv", header + "\nA,B\n")
    with pytest.raises(ImportFailed, match="need a column for"):
        import_file(store, path, kind)
