"""``leadgate import scores``: scores written by another engine, loaded into the store.

A Spark run (:mod:`.spark`) writes Parquet files and a manifest with the definition's hash,
its text, the as-of time and the rule keys. Loading them replaces the scores of that
(definition, as-of) whole, in one transaction, exactly as a DuckDB run would have stored
them, so the handoff (MQL entry, routing, SLAs) works on them unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from ..errors import ImportFailed
from ..store import Store

SCORE_COLUMNS = (
    "lead_id, definition_hash, as_of, fit, engagement, total, grade, band, tier, "
    "disqualified, dq_reason, sla_due, route, contributions"
)


def read_manifest(folder: Path) -> dict[str, Any]:
    from .spark import MANIFEST

    path = folder / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImportFailed(
            f"{folder} has no {MANIFEST}: import scores reads the folder a "
            "`leadgate score --engine spark` run wrote."
        ) from None
    except (OSError, ValueError) as exc:
        raise ImportFailed(f"Cannot read {path}: {exc}.") from exc
    for key in ("definition_hash", "as_of", "source", "rule_keys"):
        if key not in manifest:
            raise ImportFailed(f"{path} lacks {key!r}: write it again with a Spark run.")
    return manifest


def load_scores(store: Store, folder: Path) -> tuple[dict[str, Any], int]:
    """Load the scores in ``folder`` (inside the caller's transaction); return the manifest
    and the number of scores loaded."""
    manifest = read_manifest(folder)
    as_of = dt.datetime.fromisoformat(manifest["as_of"])
    files = str(folder / "*.parquet")
    started = time.perf_counter()
    store.execute(
        "INSERT INTO definitions (definition_hash, name, version, source, created_at, rule_keys)"
        " SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS "
        "(SELECT 1 FROM definitions WHERE definition_hash = ?)",
        [
            manifest["definition_hash"],
            manifest.get("name"),
            manifest.get("version"),
            manifest["source"],
            store.now(),
            manifest["rule_keys"],
            manifest["definition_hash"],
        ],
    )
    store.execute(
        "DELETE FROM scores WHERE definition_hash = ? AND as_of = ?",
        [manifest["definition_hash"], as_of],
    )
    store.execute(
        f"INSERT INTO scores ({SCORE_COLUMNS}) SELECT {SCORE_COLUMNS} FROM read_parquet(?)",
        [files],
    )
    loaded = store.scalar(
        "SELECT count(*) FROM scores WHERE definition_hash = ? AND as_of = ?",
        [manifest["definition_hash"], as_of],
    )
    if loaded != manifest.get("leads", loaded):
        raise ImportFailed(
            f"{folder} holds {loaded} scores but its manifest says {manifest['leads']}: "
            "the folder is incomplete; run the Spark scoring again."
        )
    store.execute(
        "INSERT INTO score_runs VALUES (?, ?, ?, ?, ?)",
        [manifest["definition_hash"], as_of, store.now(), loaded, time.perf_counter() - started],
    )
    return manifest, int(loaded or 0)
