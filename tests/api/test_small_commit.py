"""A small group commit runs fewer statements (issue #9, session 15): its keys' hashes are
computed in Python, not asked of the store, and a lead scored for the first time gets its
``live_scores`` row without a delete; what it writes is what it wrote before, row for row."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.api.event_writer import _hashes
from leadgate.api.group import Pending, commit_group
from leadgate.api.inputs import EventIn
from leadgate.api.live import LiveScore, LiveScores, in_list, save_scores
from leadgate.api.resident import hash_agrees, text_hash, text_hashes
from leadgate.clock import FixedClock
from leadgate.store import Store

from .conftest import api_project

NOW = dt.datetime(2026, 11, 2, 9, 0)
_texts = st.text(max_size=40)
_maybe = st.none() | st.text(min_size=1, max_size=12)
_times = st.datetimes(dt.datetime(1960, 1, 1), dt.datetime(2030, 1, 1))


def _store() -> Store:
    return Store(":memory:", clock=FixedClock(NOW))


_HASHES = _store()  # only its hash() is asked


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=70), max_size=8))
def test_text_hash_is_the_stores(texts: list[str]) -> None:
    """``text_hash`` gives DuckDB's ``hash()`` of any text: empty, inlined (12 bytes or
    fewer), longer, every remainder of an 8-byte block, beyond ASCII."""
    store = _HASHES
    hashed = store.scalar("SELECT list_transform(?::VARCHAR[], lambda k: hash(k))", [texts])
    assert [text_hash(t) for t in texts] == hashed
    assert _hashes(store, texts, python=True) == _hashes(store, texts, python=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40) | st.text(min_size=250, max_size=300), max_size=80))
def test_text_hashes_are_the_stores(texts: list[str]) -> None:
    """``text_hashes`` (the NumPy form a group's many keys take) gives each text the
    store's ``hash()``, in order: texts of every length in one matrix, and texts too wide
    for it (over 256 bytes) among them."""
    hashed = _HASHES.scalar("SELECT list_transform(?::VARCHAR[], lambda k: hash(k))", [texts])
    assert text_hashes(texts) == hashed
    assert _hashes(_HASHES, texts, python=True) == hashed


def test_the_store_agrees() -> None:
    """This DuckDB's ``hash()`` is the one :func:`text_hash` computes: the server uses it."""
    assert hash_agrees(_store())


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


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.lists(_score, min_size=1, max_size=4, unique_by=lambda s: s.lead_id),
             min_size=1, max_size=4),
    st.lists(st.sampled_from(["L1", "L2", "L3", "o'brien"]), max_size=4),
    st.lists(st.sampled_from(["L1", "L2", "L3", "o'brien"]), max_size=2),
)  # fmt: skip
def test_scores_saved_without_a_delete_are_the_same(
    groups: list[list[LiveScore]], before: list[str], erased: list[str]
) -> None:
    """Commits of scores saved knowing which leads have a row (a delete only for those)
    leave ``live_scores`` as saving with a delete for every lead leaves it: one row a
    lead, the last commit's, rows of leads not scored again kept; with rows stored
    before the server read them (``before``) and rows another writer deleted since
    (``erased``, an erasure: the held set then names leads without a row)."""
    stored = []
    for knows in (False, True):
        store = _store()
        live = LiveScores()
        if before:
            save_scores(store, "old", [_one(lead) for lead in sorted(set(before))])
        for n, scores in enumerate(groups):
            with store.atomic():
                saved = live.saved_rows(store) if knows else None
                save_scores(store, f"h{n}", scores, saved=saved)
            if n == 0 and erased:
                store.execute(f"DELETE FROM live_scores WHERE lead_id IN ({in_list(erased)})")
        stored.append(store.query("SELECT * FROM live_scores ORDER BY lead_id"))
    assert stored[0] == stored[1]


def _one(lead: str) -> LiveScore:
    return LiveScore(lead, NOW, 1.0, 2.0, 3.0, None, None, "hot", False, None, True)


def test_a_lead_scored_again_is_replaced_a_new_one_inserted() -> None:
    """The held set grows with every save; a lead saved before is replaced (its delete
    runs), a new one is inserted without one (a failed delete guess would raise: the
    primary key)."""
    store = _store()
    live = LiveScores()
    with store.atomic():
        save_scores(store, "h", [_one("L1")], saved=live.saved_rows(store))
    assert live.saved == {"L1"}
    with store.atomic():
        save_scores(store, "h2", [_one("L1"), _one("L2")], saved=live.saved_rows(store))
    assert live.saved == {"L1", "L2"}
    rows = store.execute("SELECT lead_id, definition_hash FROM live_scores ORDER BY 1").fetchall()
    assert rows == [("L1", "h2"), ("L2", "h2")]
    live.forget()
    assert live.saved is None


def test_a_small_group_asks_no_hash_and_deletes_only_rows_it_may_have(tmp_path: Path) -> None:
    """A group commit of single events on leads never scored runs neither the key hashes'
    statement nor the ``live_scores`` delete; the same lead's next event deletes its row
    (replaced, one row), and a repeated event is still found stored (a duplicate)."""
    project = api_project(tmp_path / "p")
    leads = tmp_path / "leads.jsonl"
    leads.write_text("".join(json.dumps({"lead_id": f"L{n}"}) + "\n" for n in range(3)))
    assert project.import_file(str(leads), "leads").rows_rejected == 0
    live = LiveScores()
    ts = NOW.replace(tzinfo=None) - dt.timedelta(hours=1)

    def commit(lead: str, kind: str = "page_view") -> tuple[list[str], Any]:
        statements: list[str] = []
        store.tracer = lambda sql, _params: statements.append(sql)
        report = commit_group(project, live, [Pending("events", [EventIn(kind, ts, lead)])])
        store.tracer = None
        return statements, report.answers[0].body

    with project.serving():  # the server's one store, held open
        store = project.store()
        commit("L0")  # the first commit reads the held store
        statements, body = commit("L1")
        assert body["stored"] == 1
        assert [s for s in statements if "INSERT INTO live_scores" in s]
        assert not [s for s in statements if "hash(" in s or "DELETE FROM live_scores" in s]
        statements, body = commit("L1", "demo_request")
        assert [s for s in statements if "DELETE FROM live_scores" in s]
        _, body = commit("L1", "demo_request")
        assert body["duplicates"] == 1
        rows = store.execute("SELECT lead_id FROM live_scores ORDER BY 1").fetchall()
    assert rows == [("L0",), ("L1",)]
