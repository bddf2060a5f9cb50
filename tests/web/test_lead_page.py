"""A lead's page (and its twin) says everything about the lead, each part agreeing with the
Project call that owns the fact: the SLA with ``Project.lead``, the events with the store,
the score over time with the explanation now, enriched values with the import."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from leadgate.project import Project

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
