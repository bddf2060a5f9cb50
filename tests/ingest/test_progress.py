"""The progress callback: total known at the first call, ``done`` climbing while it runs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from leadgate.ingest import import_file, progress
from leadgate.store import Store

ROWS = 300_000
SETTINGS = (
    "SELECT current_setting('enable_progress_bar'), current_setting('enable_progress_bar_print'),"
    " current_setting('progress_bar_time')"
)


def make_events(path: Path, fmt: str) -> None:
    option = {"parquet": "FORMAT parquet", "csv": "HEADER", "jsonl": "FORMAT json"}[fmt]
    duckdb.sql(
        f"""COPY (SELECT 'L' || (i % 5000) AS lead_id, 'page_view' AS type,
                         TIMESTAMP '2024-01-01' + to_seconds(i) AS ts, '/p/' || i AS url
                  FROM range({ROWS}) t(i)) TO '{path}' ({option})"""
    )


@pytest.mark.parametrize(
    ("fmt", "unit"), [("parquet", "rows"), ("csv", "bytes"), ("jsonl", "bytes")]
)
def test_progress_reports_the_total_first_and_climbs_to_it(tmp_path, monkeypatch, fmt, unit):
    # Poll often, so that a file this small is still seen in the middle of its statements.
    monkeypatch.setattr(progress, "POLL_SECONDS", 0.01)
    path = tmp_path / f"e.{fmt}"
    make_events(path, fmt)
    total = ROWS if unit == "rows" else path.stat().st_size
    calls: list[tuple[int, int, str]] = []
    with Store(tmp_path / "p.duckdb") as store:
        settings = store.execute(SETTINGS).fetchall()
        report = import_file(
            store, path, "events", batch_rows=50_000, progress=lambda *a: calls.append(a)
        )
        # DuckDB's own progress tracking is as it was.
        assert store.execute(SETTINGS).fetchall() == settings
    assert report.rows_loaded == ROWS
    assert calls[0] == (0, total, unit)
    assert calls[-1] == (total, total, unit)
    assert {(t, u) for _, t, u in calls} == {(total, unit)}
    done = [d for d, _, _ in calls]
    assert done == sorted(done)  # never goes down
    # Reported while the import ran, not only at its start and end.
    assert [d for d in done if 0 < d < total], calls


def test_leads_report_progress_by_the_same_contract(tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "POLL_SECONDS", 0.01)
    path = tmp_path / "leads.csv"
    path.write_text("lead_id,email\n" + "".join(f"L{i},p{i}@x.io\n" for i in range(2_000)))
    calls: list[tuple[int, int, str]] = []
    with Store(tmp_path / "p.duckdb") as store:
        import_file(
            store, path, "leads", batch_rows=500, enrich=False, progress=lambda *a: calls.append(a)
        )
    size = path.stat().st_size
    assert calls[0] == (0, size, "bytes") and calls[-1] == (size, size, "bytes")
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and len([d for d in done if 0 < d < size]) >= 3  # 4 batches
