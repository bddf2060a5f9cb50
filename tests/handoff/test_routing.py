"""The routing engine: Hypothesis properties from issue 9, and its reasons."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.handoff.routing import RepState, RoutingSetup, assign, load_setup

UTC = dt.timezone.utc
TUESDAY_10 = dt.datetime(2026, 12, 1, 10, tzinfo=UTC)  # 10:00 in London, 11:00 in Madrid


def pool(reps: list[dict[str, Any]]) -> RoutingSetup:
    return load_setup(reps, {"rules": [{"name": "everyone", "to": "pool:ae"}]})


def leads(n: int, **fields: Any) -> list[dict[str, Any]]:
    return [{"lead_id": f"l{i}", **fields} for i in range(n)]


weights = st.lists(st.integers(1, 5), min_size=1, max_size=5)


@settings(max_examples=40, deadline=None)
@given(weights, st.integers(50, 400))
def test_a_weighted_pool_splits_by_the_weights(ws: list[int], n: int) -> None:
    setup = pool([{"name": f"r{i}", "teams": ["ae"], "weight": w} for i, w in enumerate(ws)])
    routed, _ = assign(leads(n), setup, {}, TUESDAY_10)
    got = Counter(r.rep for r in routed)
    assert sum(got.values()) == n
    for i, w in enumerate(ws):
        # (leads + ½) / weight, smallest first: each share within 1.5 leads of exact.
        assert abs(got[f"r{i}"] - n * w / sum(ws)) < 1.5


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["ooo", "night", "weekend", "here"]), min_size=1, max_size=5),
    st.integers(1, 60),
)
def test_an_unavailable_rep_gets_nothing(kinds: list[str], n: int) -> None:
    reps = []
    for i, kind in enumerate(kinds):
        rep: dict[str, Any] = {"name": f"r{i}", "teams": ["ae"]}
        if kind == "ooo":
            rep["out_of_office"] = ["2026-11-30..2026-12-02"]
        if kind == "night":
            rep["timezone"] = "Asia/Tokyo"  # 19:00 there
        if kind == "weekend":
            rep["days"] = ["sat", "sun"]
        reps.append(rep)
    routed, _ = assign(leads(n), pool(reps), {}, TUESDAY_10)
    here = {f"r{i}" for i, k in enumerate(kinds) if k == "here"}
    assert {r.rep for r in routed if r.routed} <= here
    if not here:
        assert not any(r.routed for r in routed)
        assert all("nobody available" in r.reason for r in routed)


caps = st.one_of(st.none(), st.integers(0, 6))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(caps, caps, st.integers(0, 4)), min_size=1, max_size=4),
    st.integers(0, 40),
)
def test_caps_are_never_exceeded_and_every_lead_has_an_owner_or_a_reason(
    specs: list[tuple[int | None, int | None, int]], n: int
) -> None:
    reps = [
        {"name": f"r{i}", "teams": ["ae"]}
        | ({"max_open": o} if o is not None else {})
        | ({"max_per_day": d} if d is not None else {})
        for i, (o, d, _) in enumerate(specs)
    ]
    state = {f"r{i}": RepState(open=start) for i, (_, _, start) in enumerate(specs)}
    routed, after = assign(leads(n), pool(reps), state, TUESDAY_10)
    got = Counter(r.rep for r in routed if r.routed)
    for i, (max_open, max_day, start) in enumerate(specs):
        name = f"r{i}"
        assert after[name].open == start + got[name]
        if max_open is not None:
            assert got[name] <= max(0, max_open - start)
        if max_day is not None:
            assert got[name] <= max_day
    for r in routed:
        assert r.routed or ("nobody available" in r.reason and "at cap" in r.reason)
        assert r.reason.startswith("rule 'everyone'")


@settings(max_examples=30, deadline=None)
@given(weights, st.integers(0, 50), st.integers(0, 23))
def test_the_same_input_gives_the_same_output(ws: list[int], n: int, hour: int) -> None:
    setup = pool([{"name": f"r{i}", "teams": ["ae"], "weight": w} for i, w in enumerate(ws)])
    now = TUESDAY_10.replace(hour=hour)
    state = {"r0": RepState(open=2, assigned=3)}
    first = assign(leads(n), setup, state, now)
    assert first == assign(leads(n), setup, state, now)
    assert state == {"r0": RepState(open=2, assigned=3)}  # the input state is not changed


def test_a_rep_back_from_away_is_not_flooded() -> None:
    setup = pool(
        [
            {"name": "ana", "teams": ["ae"]},
            {"name": "bo", "teams": ["ae"]},
            {"name": "cy", "teams": ["ae"], "out_of_office": ["2026-12-01"]},
        ]
    )
    _, state = assign(leads(40), setup, {}, TUESDAY_10)
    assert state["cy"].open == 0 and state["ana"].open == 20
    routed, _ = assign(leads(9), setup, state, TUESDAY_10 + dt.timedelta(days=1))
    got = Counter(r.rep for r in routed)
    # Back at the team's average: cy takes one in three, not the next 20.
    assert got == {"ana": 3, "bo": 3, "cy": 3}


def test_the_reason_chain_names_rule_pool_rep_weight_and_load() -> None:
    setup = load_setup(
        [
            {"name": "Ana", "teams": ["ae-emea"], "weight": 2, "max_open": 10},
            {"name": "Bo", "teams": ["ae-emea"], "out_of_office": ["2026-12-01..2026-12-04"]},
        ],
        {
            "rules": [
                {
                    "name": "emea enterprise",
                    "when": "country in ['DE', 'FR'] and company_size >= 1000",
                    "to": "pool:ae-emea",
                },
                {"name": "everyone else", "to": "rep:bo"},
            ]
        },
    )
    state = {"Ana": RepState(open=3)}
    routed, _ = assign(
        [{"lead_id": "x", "country": "de", "company_size": 5000}, {"lead_id": "y"}],
        setup,
        state,
        TUESDAY_10,
    )
    assert routed[0].reason == (
        "rule 'emea enterprise' → pool 'ae-emea' → Ana: next in turn, weight 2, 3 open of 10 "
        "(skipped Bo: out of office until 2026-12-04)"
    )
    assert not routed[1].routed and routed[1].rule == "everyone else"
    assert routed[1].reason == (
        "rule 'everyone else' → rep 'bo': nobody available (Bo: out of office until 2026-12-04)"
    )


def test_the_account_owner_gets_the_lead_else_the_next_rule() -> None:
    setup = load_setup(
        [
            {"name": "Ana", "email": "ana@acme.test", "teams": ["sales"]},
            {"name": "Zed", "teams": ["sales"], "max_open": 1},
        ],
        {
            "rules": [
                {"name": "existing account", "to": "account_owner"},
                {"name": "everyone else", "to": "team:sales"},
            ]
        },
    )
    batch = [
        {"lead_id": "a", "account_owner": "ANA@acme.test"},
        {"lead_id": "b", "account_owner": "Zed"},
        {"lead_id": "c", "account_owner": "Zed"},
        {"lead_id": "d", "account_owner": "nobody@else.test"},
        {"lead_id": "e"},
    ]
    routed, _ = assign(batch, setup, {"Ana": RepState(assigned=5)}, TUESDAY_10)
    assert [r.rep for r in routed] == ["Ana", "Zed", "Ana", "Ana", "Ana"]
    assert routed[0].reason == "rule 'existing account' → account owner Ana (0 open)"
    assert "the account owner Zed is at cap, 1 open of 1, next rule" in routed[2].reason
    assert "'nobody@else.test' is not a rep" in routed[3].reason
    assert routed[4].reason.startswith("rule 'existing account': the account has no owner")


def test_the_daily_cap_starts_again_on_the_reps_next_day() -> None:
    ana = {"name": "ana", "teams": ["ae"], "max_per_day": 2, "timezone": "Asia/Tokyo"}
    setup = pool([ana | {"working_hours": "00:00-24:00", "days": ["mon", "tue", "wed"]}])
    routed, state = assign(leads(3), setup, {}, TUESDAY_10)
    assert [r.routed for r in routed] == [True, True, False]
    routed, _ = assign(leads(3), setup, state, TUESDAY_10 + dt.timedelta(hours=6))  # Wed there
    assert [r.routed for r in routed] == [True, True, False]
