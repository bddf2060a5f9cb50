"""The real Olist marketing funnel imports through the generic importer and a mapping file."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadgate.ingest import import_file, load_mappings

REPO = Path(__file__).resolve().parents[2]
OLIST = REPO.parent / "shared" / "data" / "olist_marketing_funnel"
MAPPING = REPO / "examples" / "olist" / "mapping.toml"

pytestmark = pytest.mark.skipif(not OLIST.is_dir(), reason=f"Olist data not found in {OLIST}")


def test_olist_leads_and_won_deals(store):
    mappings = load_mappings(MAPPING)
    leads = import_file(
        store,
        OLIST / "olist_marketing_qualified_leads_dataset.csv",
        "leads",
        mapping=mappings["olist_leads"],
        timezone="America/Sao_Paulo",
        enrich=False,
    )
    assert (leads.rows_read, leads.rows_loaded, leads.rows_rejected) == (8_000, 8_000, 0)
    assert leads.columns_added == ["landing_page_id"]
    social = store.scalar("SELECT count(*) FROM leads WHERE source = 'social'")
    assert 1_300 <= social <= 1_400
    # first_contact_date is a date in Brazil: midnight in São Paulo is 03:00 UTC, or 02:00
    # during its summer time (Brazil still kept DST in 2017-2018).
    hours = store.execute("SELECT DISTINCT hour(created_at) FROM leads ORDER BY 1").fetchall()
    assert hours == [(2,), (3,)]

    won = import_file(
        store,
        OLIST / "olist_closed_deals_dataset.csv",
        "outcomes",
        mapping=mappings["olist_won"],
        timezone="America/Sao_Paulo",
    )
    assert (won.rows_loaded, won.rows_rejected) == (842, 0)
    assert won.outcomes == {"won": 842}  # the import counts what it loaded, by outcome
    assert "business_segment" in won.columns_ignored
    assert store.scalar("SELECT count(*) FROM outcomes WHERE outcome = 'won'") == 842
    joined = store.scalar("SELECT count(*) FROM outcomes JOIN leads USING (lead_id)")
    assert joined == 842
