"""Shared fixtures for the import tests: a real DuckDB file per test, sample files, checksums."""

from __future__ import annotations

from pathlib import Path

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
