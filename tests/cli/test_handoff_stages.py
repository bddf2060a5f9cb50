"""``leadgate move`` and ``leadgate history`` as a user runs them (a real subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.handoff.test_stages import T0, Clock, make_project

from . import leadgate as run


def test_move_and_history_through_the_cli(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", Clock(T0), {"big": 500, "mid": 50}).root
    scored = run("-C", str(root), "score", "--as-of", "2026-03-02", "--json")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["entered_mql"] == 1

    bad = run("-C", str(root), "move", "big", "won", "--json")
    assert bad.returncode == 1
    error = json.loads(bad.stderr)["error"]
    assert error["code"] == "LG600" and "sal, recycled, disqualified" in error["message"]

    steps = [
        ("sal",), ("contacted",), ("sql",), ("opportunity", "--amount", "900"),
        ("lost", "--reason", "went with a competitor"),
    ]  # fmt: skip
    for step in steps:
        done = run("-C", str(root), "move", "big@example.com", *step, "--as", "ana")
        assert done.returncode == 0, done.stderr
    record = json.loads(run("-C", str(root), "history", "big", "--json").stdout)
    assert record["stage"] == "lost" and record["legal_next"] == ["recycled"]
    assert record["first_touch_at"] is not None and record["mql_at"] is not None
    moves = [(t["from_stage"], t["to_stage"], t["actor"]) for t in record["transitions"]]
    assert moves == [
        ("lead", "mql", "system"), ("mql", "sal", "user:ana"), ("sal", "sql", "user:ana"),
        ("sql", "opportunity", "user:ana"), ("opportunity", "lost", "user:ana"),
    ]  # fmt: skip
    assert record["transitions"][3]["amount"] == 900

    table = run("-C", str(root), "history", "big")
    assert table.returncode == 0, table.stderr
    assert "went with a competitor" in table.stdout and "opportunity" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80


def test_a_rejection_without_a_listed_reason_and_an_ambiguous_lead(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", Clock(T0), {"a": 500, "b": 50})
    with project.store() as store:
        store.execute("UPDATE leads SET email = 'a@example.com'")
    root = str(project.root)
    ambiguous = run("-C", root, "history", "a@example.com", "--json")
    assert ambiguous.returncode == 1
    assert json.loads(ambiguous.stderr)["error"]["code"] == "LG405"
    rejected = run("-C", root, "move", "b", "disqualified", "--reason", "meh", "--json")
    assert rejected.returncode == 1
    assert json.loads(rejected.stderr)["error"]["code"] == "LG603"
    ok = run("-C", root, "move", "b", "disqualified", "--reason", "student")
    assert ok.returncode == 0 and "lead → disqualified (student)" in ok.stdout
    assert "none (final)" in ok.stdout
