"""An imported event or outcome named by an email two leads hold is a reject naming its
line and the leads: never given to the first of them by id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadgate.ingest import import_file
from leadgate.store import Store

from .conftest import write

TS = "2026-11-01T10:00:00Z"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_event_by_a_shared_email_is_rejected_naming_the_leads(
    store: Store, tmp_path: Path, fmt: str
) -> None:
    leads = "lead_id,email\nL1,ana@acme.com\nL2, Ana@Acme.com\nL3,bo@acme.com\n"
    assert import_file(store, write(tmp_path / "l.csv", leads), "leads").rows_loaded == 3
    rows = [
        ("ANA@acme.com", "", "pricing_page"),
        ("bo@acme.com", "", "pricing_page"),
        ("ana@acme.com", "L2", "demo_request"),  # the id says which: kept
    ]
    if fmt == "csv":
        text = "email,lead_id,type,ts\n" + "".join(f"{e},{i},{t},{TS}\n" for e, i, t in rows)
    else:
        text = "".join(
            json.dumps({"email": e, "lead_id": i or None, "type": t, "ts": TS}) + "\n"
            for e, i, t in rows
        )
    report = import_file(store, write(tmp_path / f"e.{fmt}", text), "events")
    assert (report.rows_loaded, report.rows_rejected) == (2, 1)
    reject = report.rejects[0]
    assert (reject.line, reject.column, reject.raw) == (2 if fmt == "csv" else 1, "email",
                                                         "ANA@acme.com")  # fmt: skip
    assert reject.reason.startswith("the email names 2 leads: L1, L2; give the lead_id")
    stored = store.execute("SELECT lead_id, type FROM events ORDER BY lead_id").fetchall()
    assert stored == [("L2", "demo_request"), ("L3", "pricing_page")]


def test_an_outcome_by_a_shared_email_is_rejected(store: Store, tmp_path: Path) -> None:
    leads = "lead_id,email\nL1,ana@acme.com\nL2,ana@acme.com\n"
    import_file(store, write(tmp_path / "l.csv", leads), "leads")
    outcomes = "email,outcome,ts\nana@acme.com,won,2026-11-01\n"
    report = import_file(store, write(tmp_path / "o.csv", outcomes), "outcomes")
    assert report.rows_rejected == 1 and "names 2 leads: L1, L2" in report.rejects[0].reason
    assert store.scalar("SELECT count(*) FROM outcomes") == 0


def test_a_lead_row_by_a_shared_email_is_rejected_unless_its_id_names_one(
    store: Store, tmp_path: Path
) -> None:
    """A leads row is a stored lead by its id (or an alias); else by its email, which two
    leads hold here: that row is refused, not given to the first lead by id."""
    leads = "lead_id,email,title\nL1,ana@acme.com,a\nL2,ana@acme.com,b\nL3,bo@acme.com,c\n"
    import_file(store, write(tmp_path / "l.csv", leads), "leads")
    by_email = "email,title\nAna@acme.com,CEO\nbo@acme.com,CTO\n"
    report = import_file(store, write(tmp_path / "e.csv", by_email), "leads")
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert report.rejects[0].line == 2 and "names 2 leads: L1, L2" in report.rejects[0].reason
    new_id = "lead_id,email,title\nHS-9,ana@acme.com,VP\nL2,ana@acme.com,Head\n"
    report = import_file(store, write(tmp_path / "n.csv", new_id), "leads")
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)  # L2 names itself: kept
    assert report.rejects[0].line == 2 and report.rejects[0].column == "email"
    titles = store.execute("SELECT lead_id, title FROM leads ORDER BY lead_id").fetchall()
    assert titles == [("L1", "a"), ("L2", "Head"), ("L3", "CTO")]
