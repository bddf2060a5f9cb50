"""Scoring in buckets of whole accounts gives the scores of one pass, for every lead.

On the lake's awkward data (leads without accounts, visitors' events resolved to leads,
accounts of several leads, intent) scored with :data:`LAKE_DEFINITION` (intent in a fit
rule, engaged contacts and account engagement in tiers, every rule's points kept), and on
random definitions and histories (Hypothesis). A bucket that split an account would change
engaged contacts and account engagement: :func:`test_a_split_account_would_be_seen` shows
these data would catch it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.definition import load_compiled
from leadgate.scoring import buckets, score_store
from leadgate.scoring.buckets import BUCKET_TABLES, Passes, bucket_count
from leadgate.store import Store
from leadgate.testing.lake import LAKE_AS_OF, LAKE_DEFINITION, load_lake, write_lake

from .strategies import AS_OF, definitions, populations
from .test_properties import load

STORED = (
    "lead_id, definition_hash, as_of, fit, engagement, total, grade, band, tier, disqualified,"
    " dq_reason, sla_due, route, contributions"
)
LAKE = load_compiled(text=LAKE_DEFINITION)


@pytest.fixture(scope="module")
def lake_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    paths = write_lake(tmp_path_factory.mktemp("lake"), leads=3_000, events=60_000)
    store = Store(":memory:")
    load_lake(store, paths)
    return store


def scored(store: Store, c, as_of, buckets: int) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    """Every stored column of every lead's score, after a run in ``buckets`` passes."""
    report = score_store(store, c, as_of, details=True, buckets=buckets)
    assert report.buckets == buckets
    rows = store.execute(f"SELECT {STORED} FROM scores").fetchall()
    return {row[0]: row for row in rows}


def test_the_lake_has_what_buckets_must_keep_whole(lake_store: Store) -> None:
    """Leads without accounts, visitors' events resolved to leads, accounts of many leads."""
    q = lake_store.scalar
    assert q("SELECT count(*) FROM leads WHERE account_id IS NULL") > 50
    assert q("SELECT count(*) FROM events e JOIN visitor_links v USING (visitor_id)") > 500
    shared = "SELECT account_id FROM leads GROUP BY account_id HAVING count(*) > 3"
    assert q(f"SELECT count(*) FROM ({shared})") > 100


@pytest.mark.parametrize("buckets", [2, 3, 7])
def test_bucketed_scores_equal_one_pass(lake_store: Store, buckets: int) -> None:
    one_pass = scored(lake_store, LAKE, LAKE_AS_OF, 1)
    assert len(one_pass) == 3_000
    assert scored(lake_store, LAKE, LAKE_AS_OF, buckets) == one_pass


def test_a_split_account_would_be_seen(lake_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bucketed by the lead's own id, an account's leads fall apart: the scores differ, so
    the equality above holds because accounts are kept whole, not because these data
    cannot tell."""
    one_pass = scored(lake_store, LAKE, LAKE_AS_OF, 1)
    monkeypatch.setattr(buckets, "LEAD_KEY", "lead_id")
    split = scored(lake_store, LAKE, LAKE_AS_OF, 3)
    differ = [lead for lead, row in one_pass.items() if split[lead] != row]
    assert len(differ) > 30


def test_each_lead_event_and_account_falls_in_one_bucket(lake_store: Store) -> None:
    """The buckets partition the leads, their events (visitors' resolved ones too), the
    accounts and intent; an account's leads all share its bucket, an event its lead's."""
    t = BUCKET_TABLES
    seen: dict[str, list[tuple]] = {"leads": [], "events": [], "accounts": [], "intent": []}
    with Passes(lake_store, 4) as passes:
        for bucket in passes:
            seen["leads"] += lake_store.execute(
                f"SELECT lead_id, account_id, {bucket} FROM {t.leads}"
            ).fetchall()
            seen["events"] += lake_store.execute(
                f"SELECT event_id, lead_id, {bucket} FROM {t.events}"
            ).fetchall()
            seen["accounts"] += lake_store.execute(
                f"SELECT account_id, {bucket} FROM {t.accounts}"
            ).fetchall()
            seen["intent"] += lake_store.execute(f"SELECT signal_id FROM {t.intent}").fetchall()
    assert sorted(lead for lead, _, _ in seen["leads"]) == sorted(
        r[0] for r in lake_store.execute("SELECT lead_id FROM leads").fetchall()
    )
    in_store = lake_store.execute(
        "SELECT e.event_id FROM lead_events e JOIN leads USING (lead_id)"
    ).fetchall()
    assert sorted(event for event, _, _ in seen["events"]) == sorted(row[0] for row in in_store)
    lead_bucket = {lead: bucket for lead, _, bucket in seen["leads"]}
    assert all(lead_bucket[lead] == bucket for _, lead, bucket in seen["events"])
    assert len(seen["accounts"]) == lake_store.scalar("SELECT count(*) FROM accounts")
    assert len(seen["intent"]) == lake_store.scalar("SELECT count(*) FROM intent_signals")
    account_bucket = dict(seen["accounts"])
    for _, account, bucket in seen["leads"]:
        if account is not None:
            assert account_bucket.get(account, bucket) == bucket
    views = lake_store.scalar("SELECT count(*) FROM duckdb_views() WHERE view_name LIKE 'bucket_%'")
    assert views == 0  # dropped after the run


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(definitions(), populations(), st.integers(2, 6))
def test_any_definition_scores_the_same_in_buckets(c, population, n) -> None:  # type: ignore[no-untyped-def]
    store = Store(":memory:")
    load(store, *population)
    assert scored(store, c, AS_OF, n) == scored(store, c, AS_OF, 1)


def test_the_count_grows_with_the_leads_and_shrinks_with_memory(tmp_path: Path) -> None:
    small = Store(tmp_path / "small.duckdb", memory_limit="250MB")
    large = Store(tmp_path / "large.duckdb", memory_limit="800MB")
    for store in (small, large):
        store.execute("INSERT INTO leads (lead_id) SELECT 'L' || i FROM range(300000) t(i)")
    # 300,000 leads of 2,000 bytes: 600 MB, in three passes of 250 MB, one of 800 MB.
    assert (bucket_count(small), bucket_count(large)) == (3, 1)
