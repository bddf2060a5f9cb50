"""``leadgate import scores``: scores written by another engine, loaded into the store.

A Spark run (:mod:`.spark`) writes Parquet files and a manifest with the definition's hash,
its text, the as-of time and the rule keys. Loading them replaces the scores of that
(definition, as-of) whole, in one transaction, exactly as a DuckDB run would have stored
them, so the handoff (MQL entry, routing, SLAs) works on them unchanged.

What is refused, before anything is written (:class:`ScoresRefused`, each with its code):
no manifest (LG510); a manifest that is not JSON or lacks a key (LG511); a manifest whose
hash is not the hash of the definition text it carries, or rows that name another hash or
as-of time than the manifest (LG512: files of two runs mixed in one folder, or an edited
manifest, would otherwise be stored under the wrong definition); a folder with no Parquet
files or fewer scores than the manifest counted (LG513).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import duckdb

from ..errors import LeadgateError
from ..store import Store


class ScoresRefused(LeadgateError, ValueError):
    """A folder of scores cannot be loaded as it is; ``code`` says why."""

    code = "LG510"

    def __init__(self, message: str, *, code: str = "LG510") -> None:
        super().__init__(message)
        self.code = code


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
        raise ScoresRefused(
            f"{folder} has no {MANIFEST}: import scores reads the folder a "
            "`leadgate score --engine spark` run wrote."
        ) from None
    except (OSError, ValueError) as exc:
        raise ScoresRefused(
            f"Cannot read {path}: {exc}. Run the Spark scoring again to rewrite it.",
            code="LG511",
        ) from exc
    if not isinstance(manifest, dict):
        raise ScoresRefused(f"{path} is not a JSON object: run the Spark scoring again.",
                            code="LG511")  # fmt: skip
    for key in ("definition_hash", "as_of", "source", "rule_keys"):
        if key not in manifest:
            raise ScoresRefused(f"{path} lacks {key!r}: run the Spark scoring again.", code="LG511")
    _check_hash(manifest, path)
    return manifest


def _check_hash(manifest: dict[str, Any], path: Path) -> None:
    """The manifest's hash must be the hash of the definition text it carries."""
    from ..definition import load_compiled
    from ..errors import DefinitionError

    try:
        compiled = load_compiled(text=str(manifest["source"]))
    except DefinitionError as exc:
        raise ScoresRefused(
            f"The definition in {path} does not load ({exc}): run the Spark scoring again.",
            code="LG512",
        ) from exc
    if compiled.hash != manifest["definition_hash"]:
        raise ScoresRefused(
            f"{path} says definition {str(manifest['definition_hash'])[:12]} but the "
            f"definition text it carries hashes to {compiled.hash[:12]}: the manifest was "
            "edited or mixed with another run's; run the Spark scoring again.",
            code="LG512",
        )


def _check_rows(store: Store, files: str, manifest: dict[str, Any], as_of: dt.datetime) -> None:
    """Every row names the manifest's definition and as-of time, and there are rows."""
    try:
        rows, other_hash, other_time = store.execute(
            "SELECT count(*), count(*) FILTER (WHERE definition_hash IS DISTINCT FROM ?),"
            " count(*) FILTER (WHERE as_of IS DISTINCT FROM ?) FROM read_parquet(?)",
            [manifest["definition_hash"], as_of, files],
        ).fetchall()[0]
    except duckdb.Error as exc:  # no file matches the pattern, or one is not Parquet
        raise ScoresRefused(
            f"Cannot read the scores {files}: {str(exc).splitlines()[0]}. Run the Spark "
            "scoring again.",
            code="LG513",
        ) from exc
    if other_hash or other_time:
        raise ScoresRefused(
            f"{other_hash} of the {rows} scores in {files} name another definition than "
            f"the manifest's {str(manifest['definition_hash'])[:12]}, {other_time} another "
            f"as-of time than {as_of:%Y-%m-%d %H:%M:%S}: the folder mixes runs; write it "
            "again with one Spark run.",
            code="LG512",
        )


def load_scores(store: Store, folder: Path) -> tuple[dict[str, Any], int]:
    """Load the scores in ``folder`` (inside the caller's transaction); return the manifest
    and the number of scores loaded."""
    manifest = read_manifest(folder)
    as_of = dt.datetime.fromisoformat(manifest["as_of"])
    files = str(folder / "*.parquet")
    _check_rows(store, files, manifest, as_of)
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
        raise ScoresRefused(
            f"{folder} holds {loaded} scores but its manifest says {manifest['leads']}: "
            "the folder is incomplete; run the Spark scoring again.",
            code="LG513",
        )
    store.execute(
        "INSERT INTO score_runs VALUES (?, ?, ?, ?, ?)",
        [manifest["definition_hash"], as_of, store.now(), loaded, time.perf_counter() - started],
    )
    return manifest, int(loaded or 0)
