"""A lead's page (and its twin) says everything about the lead, each part agreeing with the
Project call that owns the fact: the SLA with ``Project.lead``, the events with the store,
the score over time with the explanation now, enriched values with the import."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from leadgate.handoff.lead import recent_events
from leadgate.project import Project
from leadgate.scoring.lookup import load_lead
from leadgate.web import pages

from .conftest import sign_in


def first_queued(client: TestClient) -> str:
    lead: str = client.get("/v1/dashboard/queue").json()["leads"][0]["lead_id"]
    return lead


def test_the_lead_page_shows_its_sla_events_trend_owner_and_enrichment(
    client: TestClient, project: Project
) -> None:
    sign_in(client, "ana")
    lead = first_queued(client)
    twin = client.get(f"/v1/dashboard/leads/{lead}").json()
    detail = project.lead(lead)

    # The SLA is Project.lead's (the clock leadgate sla counts), with its countdown.
    assert twin["sla"]["due"] == detail.sla.due.isoformat()
    assert twin["sla"]["mql_at"] == detail.sla.mql_at.isoformat()
    assert twin["sla"]["countdown"]["state"] in ("due", "soon", "breached", "met", "late")
    # The owner and why it was routed there.
    assert twin["owner"]["owner"] == detail.owner.rep and twin["owner"]["reason"]

    # Events: the newest first, as many as the store holds for the lead.
    with project.store() as store:
        stored = store.scalar("SELECT count(*) FROM lead_events WHERE lead_id = ?", [lead])
        newest = store.scalar("SELECT max(ts) FROM lead_events WHERE lead_id = ?", [lead])
    assert twin["events_total"] == stored > 0
    times = [e["ts"] for e in twin["events"]]
    assert times == sorted(times, reverse=True) and times[0] == newest.isoformat()

    # The score over time ends now, at the score the explanation adds up to (or, if the
    # clock is past the last scoring, at the score as of now: the same evaluator).
    trend = twin["trend"]
    assert len(trend) == 14
    ats = [dt.datetime.fromisoformat(p["at"]) for p in trend]
    assert ats == sorted(ats) and ats[-1] - ats[0] == dt.timedelta(days=90)
    now_score = project.explain(lead, as_of=ats[-1].replace(tzinfo=dt.timezone.utc))
    assert trend[-1]["total"] == float(now_score.total)
    assert trend[-1]["tier"] == now_score.tier
    for point in trend:  # each point is the explained score as of its time
        then = project.explain(lead, as_of=dt.datetime.fromisoformat(point["at"]).replace(
            tzinfo=dt.timezone.utc))  # fmt: skip
        assert (point["total"], point["tier"]) == (float(then.total), then.tier)

    page = client.get(f"/leads/{lead}").text
    assert twin["sla"]["countdown"]["text"] in page
    assert "Score over the last 90 days" in page and "<polyline" in page
    assert f"Events ({stored}" in page


def test_enriched_values_are_marked_on_the_page(client: TestClient, project: Project) -> None:
    with project.store() as store:
        lead = store.scalar(
            "SELECT lead_id FROM leads WHERE len(enriched) > 0 ORDER BY lead_id LIMIT 1"
        )
        names = store.scalar("SELECT enriched FROM leads WHERE lead_id = ?", [lead])
    assert lead is not None, "the demo enriches some leads"
    sign_in(client, "ana")
    twin = client.get(f"/v1/dashboard/leads/{lead}").json()
    assert twin["enriched"] == list(names) and "enriched" not in twin["attributes"]
    page = client.get(f"/leads/{lead}").text
    assert page.count('<span class="tag">enriched</span>') == len(
        [n for n in names if twin["attributes"].get(n) is not None]
    )


def test_a_business_hours_sla_shows_the_due_time_leadgate_sla_counts(
    client: TestClient, project: Project
) -> None:
    """The queue row and the lead page agree with ``leadgate sla`` on every queued lead."""
    sign_in(client, "ana")
    clocks = {c.lead_id: c for c in project.sla().clocks}
    rows = client.get("/v1/dashboard/queue").json()["leads"]
    assert rows
    for row in rows:
        clock = clocks.get(row["lead_id"])
        if clock is None:
            continue
        due = clock.due_at.replace(tzinfo=None).isoformat()
        assert row["sla"]["due"] == due, row["lead_id"]


def test_a_lone_leads_events_read_once_are_those_read_twice_before(project: Project) -> None:
    """A lead without an account has its events read once for its score and its page:
    the page's newest events and count are ``recent_events``', and its score reads the
    events ``lead_events`` gives it, for every such lead of the demo (visitor events
    included)."""
    lone = 0
    with project.store() as store:
        ids = [r[0] for r in store.execute("SELECT lead_id FROM leads").fetchall()]
        for lead_id in ids:
            read = pages.lead_read(project, lead_id)
            if read.lead.timeline is None:
                continue
            lone += 1
            newest, total = recent_events(store, lead_id, 50)
            assert read.activity.events_total == total
            assert _by_time(read.activity.events) == _by_time(newest)
            assert read.activity.data is not None
            apart = load_lead(store, lead_id)
            assert sorted(read.activity.data.events[lead_id]) == sorted(apart.events[lead_id])
            times = [(e["ts"], e["type"]) for e in read.lead.timeline]
            assert times == sorted(times, key=lambda t: (-t[0].timestamp(), t[1]))
    assert lone > 20


def _by_time(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Events in one order (two of the same time and type have none in SQL)."""
    return sorted((e["ts"], e["type"], e["url"] or "", e["visitor_id"] or "") for e in events)
