"""A large group's leads are rescored by the compiled plan over what the server holds
(leadgate.api.live_plan): the same scores as lead by lead, and as batch scoring, with the
definition reading an account's field and its intent signals, and a lead whose event is a
minute ahead of the clock scored as of that event."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from leadgate.api import live_plan
from leadgate.api.app import create_app
from leadgate.api.live import LiveScore
from leadgate.project import Project
from leadgate.scoring.event_steps import rules_values
from leadgate.scoring.sql import LIVE_COLUMNS

from .conftest import DEFINITION, NOW, api_project

# Every rule windowed (the server holds the events inside the look-back), a fit rule on
# the account's row and one on its intent signals; nine event rules, so the plan joins the
# events with the rules (a table the server hands it), where four are summed in one pass.
MORE = ["webinar_attended", "trial_signup", "email_open", "email_click", "case_study_view"]
PLANNED = (
    DEFINITION.replace("  half_life: 30d\n", "  half_life: 30d\n  window: 30d\n")
    .replace(
        "points: 20}\n",
        "points: 20}\n"
        "    - {name: software, when: \"account.industry = 'software'\", points: 15}\n"
        "    - {name: researching, when: \"intent('payables', 30d) >= 60\", points: 10}\n",
        1,
    )
    .replace(
        "points: -20}\n",
        "points: -20}\n"
        + "".join(f"    - {{type: {t}, points: {3 + i}, cap: 12}}\n" for i, t in enumerate(MORE)),
    )
)
assert PLANNED.count("window: 30d") == 2 and "intent(" in PLANNED
AHEAD = NOW + dt.timedelta(minutes=1)
TYPES = ["demo_request", "pricing_page", "page_view", "unsubscribe", *MORE]


# The same, with scores that read the other leads of the account: a tier on the account's
# engagement (the sum over its leads) and one on its engaged contacts.
ROLLUP = PLANNED.replace(
    "tiers:\n",
    "tiers:\n"
    '  - {name: team, when: "engaged_contacts(30d) >= 7", sla: 1h}\n'
    '  - {name: busy account, when: "account.engagement >= 200", sla: 1h}\n',
)
assert ROLLUP != PLANNED


def _project(
    root: Path, plan_leads: int, definition: str = PLANNED, no_account: bool = False
) -> Project:
    project = api_project(root, definition, f"plan_leads = {plan_leads}")
    accounts = root.parent / f"{root.name}-accounts.jsonl"
    accounts.write_text(
        '{"account_id": "a0", "name": "A0", "industry": "software"}\n'
        '{"account_id": "a1", "name": "A1", "industry": "retail"}\n'
        '{"account_id": "a2", "name": "A2", "industry": "software"}\n',
        encoding="utf-8",
    )
    intent = root.parent / f"{root.name}-intent.csv"
    intent.write_text(
        "account_id,topic,strength,ts\n"
        f"a0,payables,80,{(NOW - dt.timedelta(days=3)).isoformat()}\n"
        f"a1,payables,90,{(NOW - dt.timedelta(days=45)).isoformat()}\n"  # outside 30 days
        f"a2,payables,40,{(NOW - dt.timedelta(days=1)).isoformat()}\n",  # too weak
        encoding="utf-8",
    )
    # 30 leads over three accounts (every fourth names none: the import gives it the
    # account of its email's domain), imported: a lead upserted through the API has its
    # events read from the store (leadgate.api.resident), so lead by lead
    rng = random.Random(5)
    leads = root.parent / f"{root.name}-leads.jsonl"
    # with ``no_account``, every eighth lead has no email either: it has no account at all
    # (else the import matches it to the account of its email's domain)
    leads.write_text("".join(
        json.dumps({"lead_id": f"L{n}",
                    "email": None if no_account and n % 8 == 0 else f"p{n}@acme.com",
                    "seniority": rng.choice(["vp", "analyst"]),
                    "account_id": f"a{n % 3}" if n % 4 else None}) + "\n"
        for n in range(30)
    ), encoding="utf-8")  # fmt: skip
    # events stored before the server starts (it reads those of the last 30 days)
    events = root.parent / f"{root.name}-events.csv"
    rng = random.Random(6)  # not the requests' events (stored once: duplicates)
    events.write_text("lead_id,type,ts\n" + "".join(
        f"L{rng.randrange(30)},{rng.choice(TYPES)},"
        f"{(NOW - dt.timedelta(minutes=rng.randrange(60 * 24 * 60))).isoformat()}\n"
        for _ in range(80)
    ), encoding="utf-8")  # fmt: skip
    kinds = ((accounts, "accounts"), (intent, "intent"), (leads, "leads"), (events, "events"))
    for path, kind in kinds:
        assert project.import_file(str(path), kind).rows_rejected == 0
    return project


def _requests(ahead: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """Three requests of events of the 30 leads up to 60 days back; lead L29's last event
    is a minute ahead of the clock (unless not ``ahead``)."""
    rng = random.Random(5)
    out: list[tuple[str, dict[str, Any]]] = []
    for r in range(3):
        events = [
            {"lead_id": f"L{rng.randrange(30)}", "type": rng.choice(TYPES),
             "ts": (NOW - dt.timedelta(minutes=rng.randrange(60 * 24 * 60))).isoformat()}
            for _ in range(40)
        ]  # fmt: skip
        if r == 2 and ahead:
            events.append({"lead_id": "L29", "type": "pricing_page", "ts": AHEAD.isoformat()})
        out.append(("/v1/events", {"events": events}))
    return out


def _live_scores(
    project: Project, requests: list[tuple[str, dict[str, Any]]] | None = None
) -> tuple[dict[str, dict[str, Any]], int, list[str]]:
    """The live scores after the requests (:func:`_requests`'s by default), how many the
    plan computed, and the leads that entered MQL."""
    key = {"Authorization": f"Bearer {project.create_key('site', 'ingest').key}"}
    read = {"Authorization": f"Bearer {project.create_key('ops', 'read').key}"}
    with TestClient(create_app(project)) as client:
        for path, body in requests or _requests():
            answer = client.post(path, headers=key, json=body)
            assert answer.status_code == 200, answer.text
        metrics = client.get("/metrics", headers=read).text
    planned = re.search(r"^leadgate_leads_scored_by_plan_total (\d+)$", metrics, re.MULTILINE)
    assert planned is not None, metrics
    with project.store() as store:
        rows = store.query(
            "SELECT lead_id, as_of, fit, engagement, total, grade, band, tier, disqualified, "
            "dq_reason FROM live_scores"
        )
        entered = store.query(
            "SELECT lead_id FROM stage_transitions WHERE to_stage = 'mql' ORDER BY lead_id"
        )
    return {r["lead_id"]: r for r in rows}, int(planned.group(1)), [r["lead_id"] for r in entered]


def _batch(project: Project, as_of: dt.datetime) -> dict[str, dict[str, Any]]:
    project.score(as_of=as_of)
    with project.store() as store:
        rows = store.query(
            "SELECT lead_id, as_of, fit, engagement, total, grade, band, tier, disqualified, "
            "dq_reason FROM scores WHERE as_of = ?",
            [as_of.replace(tzinfo=None)],
        )
    return {r["lead_id"]: r for r in rows}


def test_the_plan_scores_a_group_as_lead_by_lead_and_batch_do(tmp_path: Path) -> None:
    by_plan = _project(tmp_path / "plan", plan_leads=1)
    one_by_one = _project(tmp_path / "one", plan_leads=1_000_000)
    (planned, n_planned, entered), (alone, n_alone, entered_alone) = (
        _live_scores(by_plan), _live_scores(one_by_one))  # fmt: skip
    assert len(planned) >= 15 and planned == alone
    # the leads whose plan scores reach a sales tier enter MQL, as lead by lead
    assert entered and entered == entered_alone
    # every lead a request touched was scored by the plan, but L29 at its last (ahead of
    # the clock: lead by lead)
    touched = sum(len({e["lead_id"] for e in body["events"]}) for _, body in _requests())
    assert n_alone == 0 and n_planned == touched - 1
    batch, ahead = _batch(by_plan, NOW), _batch(by_plan, AHEAD)
    assert planned.pop("L29") == ahead["L29"]  # as of its own event, which counts
    assert planned == {lead: batch[lead] for lead in planned}
    # the account's field and its intent signals each gave points to some lead
    assert {r["fit"] for r in planned.values()} >= {35.0, 45.0, 15.0}
    # the plan's rows are made the server's scores field by field, in order; its rules
    # are a table it is given
    assert (*LIVE_COLUMNS, "sales") == LiveScore._fields
    assert rules_values(by_plan.compiled()) is not None


def test_the_plan_scores_leads_whose_scores_read_their_account(tmp_path: Path) -> None:
    """A definition whose scores read the account's other leads: the plan is given every
    lead of the touched accounts, so it scores as batch scoring does; leads without an
    account are scored alone, as batch scoring does."""
    requests = _requests(ahead=False)[:1]  # 40 events: most of the 30 leads, not all
    # each touched lead scored with the numbers of its whole account, touched or not
    by_plan = _project(tmp_path / "plan", plan_leads=1, definition=ROLLUP, no_account=True)
    one_by_one = _project(tmp_path / "one", 1_000_000, definition=ROLLUP, no_account=True)
    (planned, n_planned, entered), (alone, n_alone, entered_alone) = (
        _live_scores(by_plan, requests), _live_scores(one_by_one, requests))  # fmt: skip
    assert len(planned) < 30 and planned == alone
    assert entered == entered_alone
    touched = sum(len({e["lead_id"] for e in body["events"]}) for _, body in requests)
    assert n_alone == 0 and n_planned == touched  # every group by the plan
    # at the end every lead is touched by an event too old to count (outside every
    # window): each is then scored with its account's final numbers, as batch scoring is
    old = (NOW - dt.timedelta(days=400)).isoformat()
    requests = [*_requests(ahead=False)]
    requests.append(("/v1/events", {"events": [
        {"lead_id": f"L{n}", "type": "page_view", "ts": old} for n in range(30)]}))  # fmt: skip
    by_plan = _project(tmp_path / "plan-all", plan_leads=1, definition=ROLLUP, no_account=True)
    planned = _live_scores(by_plan, requests)[0]
    assert len(planned) == 30 and planned == _batch(by_plan, NOW)
    # the account's numbers decided a tier: some lead is in one only they reach
    assert {r["tier"] for r in planned.values()} & {"team", "busy account"}


def test_an_account_with_an_event_ahead_of_the_clock_is_scored_lead_by_lead(
    tmp_path: Path,
) -> None:
    """The last request's L29 holds an event a minute ahead of the clock: its account's
    numbers as of that event are the exact scorer's (leadgate.api.live_exact), so that
    group is not planned, and the scores are those of lead by lead."""
    by_plan = _project(tmp_path / "plan", plan_leads=1, definition=ROLLUP)
    one_by_one = _project(tmp_path / "one", plan_leads=1_000_000, definition=ROLLUP)
    (planned, n_planned, entered), (alone, _, entered_alone) = (
        _live_scores(by_plan), _live_scores(one_by_one))  # fmt: skip
    assert planned == alone and entered == entered_alone
    first_two = sum(len({e["lead_id"] for e in body["events"]}) for _, body in _requests()[:2])
    assert n_planned == first_two


def test_leads_whose_scores_read_their_account_are_planned_by_their_accounts_size(
    tmp_path: Path,
) -> None:
    """``plan_leads`` counts the other leads of the touched accounts too: the plan's cost is
    theirs. L1, L2 and L3 are of the accounts a1, a2 and a0, which hold 22 of the 30 leads."""
    events = [{"lead_id": f"L{n}", "type": "page_view", "ts": NOW.isoformat()} for n in (1, 2, 3)]
    requests = [("/v1/events", {"events": events})]
    for plan_leads, planned in ((22, 3), (23, 0)):
        project = _project(tmp_path / str(plan_leads), plan_leads, definition=ROLLUP)
        assert _live_scores(project, requests)[1] == planned


def test_a_new_process_plans_from_the_template_its_store_kept(tmp_path: Path) -> None:
    """The plan's template is kept in the store (``plans``). A server in a new process (its
    prepared plans not yet made) reads it there while the group's tables are registered:
    read to its end, else DuckDB refuses to unregister them, and every group a restarted
    server planned answered 500 (session 25)."""
    project = _project(tmp_path / "plan", plan_leads=1)
    requests = _requests(ahead=False)
    live_plan._PREPARED.clear()  # as a new process starts (and every time below)
    assert _live_scores(project, requests[:1])[1] > 0
    with project.store() as store:
        assert store.scalar("SELECT count(*) FROM plans") > 0
    live_plan._PREPARED.clear()
    restarted = _live_scores(project, requests[1:2])  # asserts each answer is 200
    assert restarted[1] == len({e["lead_id"] for e in requests[1][1]["events"]})
