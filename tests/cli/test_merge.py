"""``leadgate merge`` and ``explain`` of a key two leads share, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from . import leadgate as run

LEADS = "lead_id,email,title\nx1,ana@acme.com,CTO\nx2, ANA@acme.com ,\nx3,bo@beta.io,CFO\n"


def test_merge_lists_then_applies_then_finds_nothing(tmp_path: Path) -> None:
    project = tmp_path / "p"
    assert run("init", str(project)).returncode == 0
    (project / "leads.csv").write_text(LEADS, encoding="utf-8")
    imported = run("-C", str(project), "import", "leads", str(project / "leads.csv"), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["shared_emails"] == 1

    ambiguous = run("-C", str(project), "explain", "Ana@Acme.com", "--json")
    assert ambiguous.returncode == 1
    error = json.loads(ambiguous.stderr)["error"]
    assert error["code"] == "LG405" and "x1, x2" in error["message"]

    listed = run("-C", str(project), "merge")
    assert listed.returncode == 0, listed.stderr
    assert "x1" in listed.stdout and "x2" in listed.stdout and "--apply" in listed.stdout
    applied = run("-C", str(project), "merge", "--apply", "--json")
    assert json.loads(applied.stdout) == {
        "applied": True,
        "groups": 1,
        "leads_merged": 1,
        "merges": [
            {"email": "ana@acme.com", "lead_id": "x1", "merged": ["x2"], "events": 0,
             "outcomes": 0}
        ],
    }  # fmt: skip
    again = run("-C", str(project), "merge", "--apply", "--json")
    assert json.loads(again.stdout)["groups"] == 0
    assert "nothing to merge" in run("-C", str(project), "merge").stdout

    run("-C", str(project), "score", "--as-of", "2026-11-01")
    for key in ("x2", "ana@acme.com"):
        explained = run("-C", str(project), "explain", key, "--json")
        assert explained.returncode == 0, explained.stderr
        assert json.loads(explained.stdout)["lead_id"] == "x1"
