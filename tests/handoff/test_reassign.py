"""Reassignment after a breach: never to a rep who had the lead, never to one away."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.definition import load_compiled
from leadgate.handoff.breaches import reassign
from leadgate.handoff.routing import load_setup
from leadgate.handoff.routing_store import rep_states
from leadgate.handoff.sla import SlaClock
from leadgate.store import Store

UTC = dt.timezone.utc
TUESDAY_10 = dt.datetime(2026, 12, 1, 10, tzinfo=UTC)
COMPILED = load_compiled(text="name: t\nversion: '1'\ntiers:\n  - {name: hot, when: 'true'}\n")
KINDS = ["here", "ooo", "night", "weekend"]


def rep(i: int, kind: str) -> dict[str, Any]:
    table: dict[str, Any] = {"name": f"r{i}", "teams": ["ae"]}
    if kind == "ooo":
        table["out_of_office"] = ["2026-11-30..2026-12-02"]
    if kind == "night":
        table["timezone"] = "Asia/Tokyo"  # 19:00 there
    if kind == "weekend":
        table["days"] = ["sat", "sun"]
    return table


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KINDS), st.booleans()), min_size=1, max_size=6))
def test_reassign_never_picks_a_rep_who_had_the_lead_or_one_away(
    reps: list[tuple[str, bool]],
) -> None:
    setup = load_setup(
        [rep(i, kind) for i, (kind, _) in enumerate(reps)],
        {"rules": [{"name": "everyone", "to": "pool:ae"}]},
    )
    had = [f"r{i}" for i, (_, before) in enumerate(reps) if before]
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id, email) VALUES ('l1', 'l1@example.com')")
    store.execute("INSERT INTO lead_aliases (alias, lead_id) VALUES ('l1', 'l1')")
    for n, name in enumerate(had, 1):
        store.execute(
            "INSERT INTO assignments VALUES (?, 'l1', ?, 'everyone', 'turn', NULL, ?)",
            [n, name, TUESDAY_10.replace(tzinfo=None) - dt.timedelta(hours=10 - n)],
        )
    owner = had[-1] if had else None
    clock = SlaClock(
        "l1", "hot", owner, TUESDAY_10, TUESDAY_10, 3600.0, "calendar", "breached", -1.0
    )
    states = rep_states(store, setup)
    routed = reassign(
        store, clock, setup, COMPILED, TUESDAY_10, {h.lower() for h in had}, "everyone", states
    )
    free = {f"r{i}" for i, (kind, before) in enumerate(reps) if kind == "here" and not before}
    if free:
        assert routed.rep in free
        assert routed.reason.startswith("SLA breach: tier 'hot'")
        assert f"reassigned from {owner or 'nobody'}" in routed.reason
    else:
        assert routed.rep is None and "nobody available" in routed.reason
