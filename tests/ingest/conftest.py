"""Shared fixtures for the import tests: a real DuckDB file per test, sample files, checksums."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from leadgate.store import Store

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"
DATA_TABLES = ("leads", "accounts", "events", "visitor_links", "intent_signals", "outcomes")


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "test.duckdb") as s:
        yield s


@pytest.fixture
def data() -> Path:
    return DATA


def checksum(store: Store, tables=DATA_TABLES) -> dict[str, tuple[int, int]]:
    """Row count and an order-free hash of every data table (not the import log)."""
    out = {}
    for table in tables:
        out[table] = store.execute(
            f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} AS t"
        ).fetchone()
    return out


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def as_format(tmp_path: Path, text: str, fmt: str, name: str = "e") -> Path:
    """``text`` (a CSV) as a file of ``fmt``: the CSV itself, or its cells, all text, as JSON
    Lines or Parquet."""
    src = write(tmp_path / f"{name}.csv", text)
    if fmt == "csv":
        return src
    path = tmp_path / f"{name}.{fmt}"
    option = "FORMAT parquet" if fmt == "parquet" else "FORMAT json"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', all_varchar=true)) TO '{path}' ({option})")
    return path
