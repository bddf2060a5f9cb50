"""Events dated ahead of the clock: an import refuses them as the API does, and live scoring
takes its as-of time from the clock, never from an event's date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.clock import MAX_FUTURE_SKEW

from .conftest import NOW, api_project


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_import_rejects_events_dated_beyond_the_tolerance(tmp_path: Path) -> None:
    project = api_project(tmp_path / "p")
    soon, late = NOW + MAX_FUTURE_SKEW, NOW + MAX_FUTURE_SKEW + dt.timedelta(seconds=1)
    events = tmp_path / "events.csv"
    events.write_text(
        "lead_id,type,ts\n"
        f"L2,pricing_page,{_iso(NOW)}\n"
        f"L2,pricing_page,{_iso(soon)}\n"
        f"L2,pricing_page,{_iso(late)}\n"
        "L2,demo_request,2031-12-01T08:00:00Z\n",
        encoding="utf-8",
    )
    report = project.import_file(events, "events")
    assert report.rows_loaded == 2  # now and at the tolerance's edge: kept
    assert [(r.line, r.column, r.raw) for r in report.rejects] == [
        (4, "ts", _iso(late)),
        (5, "ts", "2031-12-01T08:00:00Z"),
    ]
    assert all("dated after 2026-11-02 12:05:00 UTC" in r.reason for r in report.rejects)
    assert "import the event once it has happened" in report.rejects[0].reason


def test_the_tolerance_is_the_apis_setting(tmp_path: Path) -> None:
    project = api_project(tmp_path / "p", api='max_future_skew = "1h"')
    events = tmp_path / "events.csv"
    later = NOW + dt.timedelta(minutes=30)
    events.write_text(f"lead_id,type,ts\nL2,pricing_page,{_iso(later)}\n", encoding="utf-8")
    assert project.import_file(events, "events").rows_loaded == 1


def test_a_row_far_ahead_never_moves_the_live_time_a_minute_ahead_counts(
    tmp_path: Path,
) -> None:
    """A row dated years ahead (stored before imports checked) counts for nothing and does
    not move the time the lead is scored at; an event a minute ahead of the clock (within
    ``max_future_skew``: a sender's clock a little fast) counts as soon as it is stored.
    Either way the live score equals the batch score as of the same time."""
    project = api_project(tmp_path / "p")
    key = {"Authorization": f"Bearer {project.create_key('site', 'ingest').key}"}
    ahead = NOW + dt.timedelta(minutes=1)
    with TestClient(create_app(project)) as client:
        assert client.post("/v1/leads", headers=key, json={"lead_id": "L2"}).status_code == 200
        with project.store() as store:  # as an import before the check left it
            store.execute(
                "INSERT INTO events (event_id, lead_id, type, ts) VALUES "
                "('old-bad', 'L2', 'demo_request', '2031-12-01 08:00:00')"
            )
        for ts in (_iso(NOW - dt.timedelta(days=1)), _iso(ahead)):
            event = {"lead_id": "L2", "type": "pricing_page", "ts": ts}
            answer = client.post("/v1/events", headers=key, json=event)
            assert answer.status_code == 200, answer.text
    project.score(as_of=ahead)
    with project.store() as store:
        live = store.query("SELECT as_of, total, tier FROM live_scores WHERE lead_id = 'L2'")
        batch = store.query(
            "SELECT as_of, total, tier FROM scores WHERE lead_id = 'L2' AND as_of = ?",
            [ahead.replace(tzinfo=None)],
        )
    assert live == batch
    assert live[0]["as_of"] == ahead.replace(tzinfo=None)
    # both pricing pages (a day old, decayed, and the one just stored); no demo request
    assert live[0]["total"] == pytest.approx(20 * 0.5 ** (1 / 30) + 20, abs=0.01)
