"""MQL entry by the API (:func:`leadgate.api.entry.enter_live`) writes what the store's own
entry writes (``stage_transitions`` numbered after the newest move, ``_follow``'s
``leads.stage`` and ``lead_handoff``, ``_entry_events_sql``'s outbox events), in fewer
statements: checked against that sequence of statements, run on a twin store."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.api.entry import enter_live
from leadgate.api.live import LiveScore
from leadgate.clock import FixedClock
from leadgate.handoff.outbox import enqueue_query
from leadgate.handoff.transitions import _entry_events_sql, _follow, _last_seq
from leadgate.store import Store

NOW = dt.datetime(2026, 3, 2, 9, 0, 0, 250_000, tzinfo=dt.timezone.utc)
EARLIER = dt.datetime(2026, 1, 5, 8, 0)

lead_case = st.fixed_dictionaries({
    "tier": st.sampled_from(["hot", "warm", "cold"]),
    "sales": st.booleans(),
    "total": st.floats(0, 200, allow_nan=False).map(lambda x: round(x, 3)),
    "disqualified": st.booleans(),
    "stage": st.sampled_from(["lead", "lead", "mql", "sal", None]),
    "handoff": st.sampled_from([None, "open", "touched"]),
})  # fmt: skip


def twin(leads: list[dict[str, object]], moved_before: int) -> Store:
    """A store holding ``leads`` (``L0``, ``L1``, ...), their handoff rows, and
    ``moved_before`` earlier transitions (so entry numbers after them)."""
    store = Store(":memory:", clock=FixedClock(NOW))
    for n, lead in enumerate(leads):
        store.execute("INSERT INTO leads (lead_id, stage) VALUES (?, ?)", [f"L{n}", lead["stage"]])
        if lead["handoff"] is not None:
            touched = EARLIER if lead["handoff"] == "touched" else None
            store.execute(
                "INSERT INTO lead_handoff VALUES (?, ?, 'old', ?)", [f"L{n}", EARLIER, touched]
            )
    for seq in range(1, moved_before + 1):
        store.execute(
            "INSERT INTO stage_transitions (seq, lead_id, from_stage, to_stage, moved_at, actor) "
            "VALUES (?, 'gone', 'lead', 'mql', ?, 'system')",
            [seq, EARLIER],
        )
    return store


def scores_of(leads: list[dict[str, object]]) -> list[LiveScore]:
    at = NOW.replace(tzinfo=None)
    return [
        LiveScore(f"L{n}", at, 1.0, 2.0, float(lead["total"]), "A", 1,  # type: ignore[arg-type]
                  str(lead["tier"]), bool(lead["disqualified"]), None, bool(lead["sales"]))
        for n, lead in enumerate(leads)
    ]  # fmt: skip


def reference(store: Store, definition_hash: str, scores: list[LiveScore]) -> list[str]:
    """The entry as the store's helpers write it (and as ``enter_live`` did before it
    wrote fewer statements): the transitions, ``_follow``, ``_entry_events_sql``."""
    stages = dict(store.execute("SELECT lead_id, coalesce(stage, 'lead') FROM leads").fetchall())
    entering = sorted(
        (s for s in scores if s.sales and not s.disqualified and stages[s.lead_id] == "lead"),
        key=lambda s: s.lead_id,
    )
    if not entering:
        return []
    since = _last_seq(store)
    for n, s in enumerate(entering, start=1):
        store.execute(
            "INSERT INTO stage_transitions (seq, lead_id, from_stage, to_stage, moved_at, actor, "
            "reason, definition_hash, score, tier) VALUES (?, ?, ?, 'mql', ?, 'system', "
            "'tier ' || ? || ' at score ' || round(?, 2), ?, ?, ?)",
            [since + n, s.lead_id, stages[s.lead_id], store.now(), s.tier, s.total,
             definition_hash, s.total, s.tier],
        )  # fmt: skip
    _follow(store, f"seq > {since}")
    enqueue_query(store, _entry_events_sql(since))
    return [s.lead_id for s in entering]


def written(store: Store) -> dict[str, object]:
    """Everything an entry writes, comparable across stores (an outbox message's id is
    random: its type, lead and body are compared)."""
    return {
        "transitions": store.execute("SELECT * FROM stage_transitions ORDER BY seq").fetchall(),
        "stages": store.execute("SELECT lead_id, stage FROM leads ORDER BY 1").fetchall(),
        "handoff": store.execute("SELECT * FROM lead_handoff ORDER BY 1").fetchall(),
        "outbox": sorted(
            (kind, lead, json.loads(body), state, created)
            for kind, lead, body, state, created in store.execute(
                "SELECT event_type, lead_id, body, state, created_at FROM outbox"
            ).fetchall()
        ),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leads=st.lists(lead_case, min_size=1, max_size=8), moved_before=st.integers(0, 3))
def test_live_entry_writes_what_the_stores_entry_writes(
    leads: list[dict[str, object]], moved_before: int
) -> None:
    with twin(leads, moved_before) as live, twin(leads, moved_before) as ref:
        with live.atomic():
            entered = enter_live(live, "h1", scores_of(leads))
        with ref.atomic():
            expected = reference(ref, "h1", scores_of(leads))
        assert entered == expected
        assert written(live) == written(ref)


def test_an_entry_restarts_the_sla_of_a_lead_seen_before_and_numbers_after_the_newest_move() -> (
    None
):
    leads: list[dict[str, object]] = [
        {"tier": "hot", "sales": True, "total": 61.257, "disqualified": False, "stage": None,
         "handoff": "touched"},
        {"tier": "hot", "sales": True, "total": 70.0, "disqualified": False, "stage": "lead",
         "handoff": None},
    ]  # fmt: skip
    store = twin(leads, 4)
    with store.atomic():
        assert enter_live(store, "h1", scores_of(leads)) == ["L0", "L1"]
    rows = store.execute("SELECT seq, lead_id, reason FROM stage_transitions WHERE seq > 4")
    assert rows.fetchall() == [
        (5, "L0", "tier hot at score 61.26"),
        (6, "L1", "tier hot at score 70.0"),
    ]
    at = NOW.replace(tzinfo=None)
    assert store.execute("SELECT * FROM lead_handoff ORDER BY 1").fetchall() == [
        ("L0", at, "hot", None),
        ("L1", at, "hot", None),
    ]
    bodies = [json.loads(b) for (b,) in store.execute("SELECT body FROM outbox").fetchall()]
    assert sorted(b["data"]["seq"] for b in bodies) == [5, 6]
    assert {b["type"] for b in bodies} == {"lead.mql"}
