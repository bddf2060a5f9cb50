"""``--trace`` sees everything: every statement an import runs goes through the store's tracer.

DuckDB's own query log is the witness: each statement it ran during the import must be one
the tracer was shown.
"""

from __future__ import annotations

import pytest

from leadgate.ingest import import_file
from leadgate.store import Store

from .conftest import as_format

TEXT = (
    "event_id,lead_id,visitor_id,type,ts,url\n"
    "e1,L1,v1,page_view,2024-01-01 10:00,/a\n"
    "e2,L2,v1,pricng_page,2024-01-01 10:05,/b\n"  # unknown type: "did you mean" hints
    "e3,L3,,page_view,never,/c\n"  # bad time
    "e1,L1,v1,page_view,2024-01-01 10:00,/a\n"  # repeated key
    "e4,L4,v2,demo_request,2024-01-02,/d\n"
)


def logged(store: Store) -> list[str]:
    return [
        m
        for (m,) in store.conn.execute(
            "SELECT message FROM duckdb_logs WHERE type = 'QueryLog' ORDER BY timestamp"
        ).fetchall()
    ]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("again", [False, True], ids=["into empty", "into stored"])
def test_every_statement_of_an_import_with_rejects_is_traced(tmp_path, fmt, again):
    path = as_format(tmp_path, TEXT, fmt)
    traced: list[tuple[str, object]] = []
    with Store(tmp_path / "t.duckdb") as store:
        if again:
            import_file(store, path, "events")
        store.tracer = lambda sql, params: traced.append((sql, params))
        # The witness: DuckDB logs every query it runs on this connection from now on.
        store.conn.execute("CALL enable_logging('QueryLog')")
        report = import_file(store, path, "events", batch_rows=2)
        ran = logged(store)
        store.conn.execute("CALL disable_logging()")
    assert report.rows_rejected == 3
    assert ran, "DuckDB logged nothing: the witness is broken"
    statements = [sql for sql, _ in traced]
    untraced = [q for q in ran if not any(q.strip() in sql for sql in statements)]
    assert untraced == []
    # The rejects' own statements among them: the "did you mean" hints and the rows.
    hints = [p for sql, p in traced if sql.startswith("INSERT INTO _lg_suggest")]
    assert hints == [[("pricng_page", "pricing_page")]]
    assert any(sql.startswith("INSERT INTO rejects") for sql in statements)
