"""A small group commit hands its rows to DuckDB as lists and hashes its keys in Python
(issue #9, session 15): what it writes is what the large groups' path (Arrow tables, the
store's ``hash()``) writes, row for row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.api.event_writer import Kept, _hashes, _insert
from leadgate.api.inputs import EventIn
from leadgate.api.live import LiveScore, save_scores
from leadgate.api.resident import hash_agrees, text_hash
from leadgate.clock import FixedClock
from leadgate.store import Store

NOW = dt.datetime(2026, 11, 2, 9, 0)
_texts = st.text(max_size=40)
_maybe = st.none() | st.text(min_size=1, max_size=12)
_times = st.datetimes(dt.datetime(1960, 1, 1), dt.datetime(2030, 1, 1))


def _store() -> Store:
    return Store(":memory:", clock=FixedClock(NOW))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=70), max_size=8))
def test_text_hash_is_the_stores(texts: list[str]) -> None:
    """``text_hash`` gives DuckDB's ``hash()`` of any text: empty, inlined (12 bytes or
    fewer), longer, every remainder of an 8-byte block, beyond ASCII."""
    store = _store()
    hashed = store.scalar("SELECT list_transform(?::VARCHAR[], lambda k: hash(k))", [texts])
    assert [text_hash(t) for t in texts] == hashed
    assert _hashes(store, texts, python=True) == _hashes(store, texts, python=False)


def test_the_store_agrees() -> None:
    """This DuckDB's ``hash()`` is the one :func:`text_hash` computes: the server uses it."""
    assert hash_agrees(_store())


@st.composite
def _kept(draw: Any) -> list[Kept]:
    rows = []
    for n in range(draw(st.integers(1, 12))):
        lead = draw(st.none() | st.sampled_from(["L1", "L2", "l'3"]))
        event = EventIn(
            type=draw(st.sampled_from(["page_view", "demo_request"])),
            ts=draw(_times),
            lead_id=lead,
            email=draw(st.none() | st.just("a@b.co")) if lead is None else None,
            visitor_id=draw(_maybe),
            event_id=None,
            url=draw(_maybe),
            properties=draw(st.none() | st.just('{"a": [1, "é"]}') | st.just("{}")),
        )
        at = (event.ts - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)
        rows.append((event, f"k{n}", lead, at))
    return rows


@settings(max_examples=60, deadline=None)
@given(_kept())
def test_events_from_lists_are_those_from_arrow(kept: list[Kept]) -> None:
    """The events a small group inserts from lists are the rows the Arrow table gives:
    every column, NULLs, anonymous events, times before 1970, JSON properties."""
    stored = []
    for small in (0, len(kept)):  # 0: every group is large (Arrow)
        store = _store()
        _insert(store, kept, small=small)
        stored.append(store.query("SELECT * FROM events ORDER BY event_id"))
    assert stored[0] == stored[1]
    assert len(stored[0]) == len(kept)


_score = st.builds(
    LiveScore,
    lead_id=st.sampled_from(["L1", "L2", "L3", "o'brien"]),
    as_of=_times,
    fit=st.floats(-100, 100),
    engagement=st.floats(0, 100),
    total=st.floats(-100, 200),
    grade=st.none() | st.sampled_from(["A", "B"]) | st.integers(1, 3),
    band=st.none() | st.integers(0, 5) | st.just("high"),
    tier=st.none() | st.sampled_from(["hot", "warm"]),
    disqualified=st.booleans(),
    dq_reason=st.none() | st.just("competitor"),
    sales=st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_score, min_size=1, max_size=4, unique_by=lambda s: s.lead_id),
                min_size=1, max_size=3))  # fmt: skip
def test_scores_from_lists_are_those_from_arrow(groups: list[list[LiveScore]]) -> None:
    """Commits of scores saved from lists leave ``live_scores`` as the Arrow path leaves
    it: one row a lead, the last commit's, rows of leads not scored again kept."""
    stored = []
    for small in (0, 10):
        store = _store()
        for n, scores in enumerate(groups):
            with store.atomic():
                save_scores(store, f"h{n}", scores, small=small)
        stored.append(store.query("SELECT * FROM live_scores ORDER BY lead_id"))
    assert stored[0] == stored[1]
    assert len(stored[0]) == len({s.lead_id for g in groups for s in g})
