"""A lead table without an id or email, keyed by its rows' positions: leads and outcomes
imported from the same file agree on the ids, and a second import adds nothing.

``bank_marketing.csv`` is an excerpt of UCI's bank marketing file as published (``;``, CRLF):
its header, its first ten records and its first four with ``y`` = yes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.errors import BAD_OPTION, MAPPING_MISFIT, ImportFailed
from leadgate.ingest import import_file
from leadgate.store import Store

from .conftest import write

UCI = Path("/work/shared/data/uci_bank_marketing/bank-additional-full.csv")


def both(store, path: Path, **options):
    leads = import_file(store, path, "leads", id_from_row=True, enrich=False, **options)
    outcomes = import_file(
        store,
        path,
        "outcomes",
        id_from_row=True,
        mapping={"outcome": "y"},
        outcome_time="2012-11-30",
        **options,
    )
    return leads, outcomes


def joined(store) -> list[tuple[str, bool, int]]:
    return store.execute(
        "SELECT o.outcome, l.y, count(*) FROM outcomes o JOIN leads l USING (lead_id) "
        "GROUP BY ALL ORDER BY 1"
    ).fetchall()


def test_leads_and_outcomes_of_one_file_agree_on_ids(store, data):
    leads, outcomes = both(store, data / "bank_marketing.csv")
    assert (leads.rows_loaded, leads.rows_rejected) == (14, 0)
    assert (outcomes.rows_loaded, outcomes.outcomes) == (14, {"won": 4, "lost": 10})
    assert joined(store) == [("lost", False, 10), ("won", True, 4)]
    ids = [r[0] for r in store.execute("SELECT lead_id FROM leads").fetchall()]
    assert sorted(ids) == sorted(f"bank_marketing-{n}" for n in range(1, 15))
    first = "SELECT age, job FROM leads WHERE lead_id = 'bank_marketing-1'"
    assert store.execute(first).fetchall() == [(56, "housemaid")]
    notice = "lead ids from row positions: 'bank_marketing' + '-' + the record's number"
    assert leads.notices[0].startswith(notice) and outcomes.notices[0].startswith(notice)
    again_leads, again_outcomes = both(store, data / "bank_marketing.csv")
    assert (again_leads.rows_loaded, again_leads.rows_unchanged) == (0, 14)
    assert (again_outcomes.rows_loaded, again_outcomes.outcomes) == (0, {})


def test_a_prefix_of_ones_own(store, data):
    import_file(store, data / "bank_marketing.csv", "leads", id_from_row="bank", enrich=False)
    assert store.scalar("SELECT min(lead_id) FROM leads") == "bank-1"


def test_row_ids_are_for_leads_and_outcomes_without_another_key(store, data):
    path = data / "bank_marketing.csv"
    with pytest.raises(ImportFailed, match="not both") as err:
        import_file(store, path, "leads", id_from_row=True, mapping={"lead_id": "age"})
    assert err.value.code == MAPPING_MISFIT
    with pytest.raises(ImportFailed, match="for leads and outcomes, not events") as err:
        import_file(store, path, "events", id_from_row=True)
    assert err.value.code == BAD_OPTION


@pytest.mark.skipif(not UCI.is_file(), reason="the UCI bank marketing file is not here")
def test_the_real_uci_bank_marketing_file(store):
    leads, outcomes = both(store, UCI)
    assert (leads.rows_loaded, leads.rows_rejected) == (41_188, 0)
    assert outcomes.outcomes == {"won": 4_640, "lost": 36_548}
    assert joined(store) == [("lost", False, 36_548), ("won", True, 4_640)]
    again_leads, again_outcomes = both(store, UCI)
    assert (again_leads.rows_loaded, again_outcomes.rows_loaded) == (0, 0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ys=st.lists(st.sampled_from(["yes", "no", "1", "0"]), min_size=1, max_size=30))
def test_every_outcome_joins_the_lead_of_its_own_row(ys):
    text = "age;y\n" + "".join(f"{20 + i};{y}\n" for i, y in enumerate(ys))
    with tempfile.TemporaryDirectory() as tmp, Store(":memory:") as store:
        path = write(Path(tmp) / "t.csv", text)
        leads, outcomes = both(store, path)
        assert (leads.rows_loaded, outcomes.rows_loaded) == (len(ys), len(ys))
        rows = store.execute(
            "SELECT l.age, o.outcome FROM outcomes o JOIN leads l USING (lead_id) ORDER BY l.age"
        ).fetchall()
        won = {"yes", "1"}
        assert rows == [(20 + i, "won" if y in won else "lost") for i, y in enumerate(ys)]
