"""``generate()``: a synthetic B2B dataset with its ground truth, writable as import files.

The files use exactly the column names the generic importer maps with no mapping, one file
a kind: ``leads``, ``accounts``, ``events``, ``intent``, ``outcomes`` (``.csv``, ``.parquet``
or ``.jsonl``). The truth (each lead's propensity, the coefficients) stays in memory unless
``write(..., truth=True)`` asks for ``truth.<ext>`` and ``truth.json`` beside them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .generate import make_accounts, make_events, make_intent, make_leads, window
from .truth import COEFFICIENTS, STEP_SLOPES, TARGET_RATES, outcomes

#: The columns of each file, in order: the contract with the importer.
FILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "leads": (
        "lead_id",
        "email",
        "first_name",
        "last_name",
        "title",
        "company",
        "company_domain",
        "country",
        "source",
        "created_at",
        "visitor_id",
        "persona",
        "form_answer",
    ),
    "accounts": (
        "account_id",
        "domain",
        "name",
        "company_size",
        "industry",
        "country",
        "annual_revenue",
        "tech",
        "is_customer",
        "is_competitor",
    ),
    "events": ("event_id", "lead_id", "visitor_id", "type", "ts", "url"),
    "intent": ("account_id", "topic", "strength", "ts"),
    "outcomes": ("lead_id", "outcome", "reason", "value", "ts"),
}
TIME_COLUMNS = {"created_at", "ts", "mql_at"}
FORMATS = {"csv": "csv", "parquet": "parquet", "jsonl": "json"}
DEFAULT_END = dt.datetime(2026, 1, 1)


def to_arrow(columns: dict[str, Any], names: tuple[str, ...]) -> pa.Table:
    """Arrow table of ``names`` from numpy columns: epoch-us times become TIMESTAMP (second
    precision, as CRM exports have), -1 sizes and NaN numbers become NULL."""
    arrays = {}
    for name in names:
        values = columns[name]
        if name == "event_id" and values.dtype != object:  # numbered: "E000000042"
            digits = pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), 9, "0")
            arrays[name] = pc.binary_join_element_wise("E", digits, "")
        elif name in TIME_COLUMNS:
            secs = np.asarray(values, dtype=np.int64) // 1_000_000
            arrays[name] = pa.array(secs, type=pa.timestamp("s"), mask=secs < 0)
        elif values.dtype == object:
            arrays[name] = pa.array(values, type=pa.string(), from_pandas=True)
        elif name == "company_size":
            arrays[name] = pa.array(values, mask=values < 0)
        else:
            arrays[name] = pa.array(values, from_pandas=True)
    return pa.table(arrays)


def write_table(table: pa.Table, path: Path, fmt: str) -> Path:
    """Write one Arrow table as CSV, Parquet or JSON lines through DuckDB's COPY."""
    conn = duckdb.connect()
    conn.register("t", table)
    options = "(FORMAT csv, HEADER)" if fmt == "csv" else f"(FORMAT {FORMATS[fmt]})"
    conn.execute(f"COPY t TO '{path.as_posix()}' {options}").fetchall()
    conn.close()
    return path


@dataclass
class SyntheticData:
    """Generated tables (Arrow) plus the ground truth that produced the outcomes."""

    seed: int
    end: dt.datetime
    accounts: pa.Table
    leads: pa.Table
    events: pa.Table
    intent: pa.Table
    outcomes: pa.Table
    #: per lead: lead_id, propensity, logit, is_mql, mql_at, true_seniority, ...
    truth: pa.Table
    coefficients: dict[str, float] = field(default_factory=dict)
    intercepts: dict[str, float] = field(default_factory=dict)

    def tables(self) -> dict[str, pa.Table]:
        return {name: getattr(self, name) for name in FILE_COLUMNS}

    def write(
        self, directory: str | Path, fmt: str = "csv", *, truth: bool = False
    ) -> dict[str, Path]:
        """Write one file a kind into ``directory``; return kind → path.

        >>> import tempfile
        >>> data = generate(seed=1, accounts=50, leads=200)
        >>> paths = data.write(tempfile.mkdtemp(), "parquet")
        >>> sorted(p.stem for p in paths.values())
        ['accounts', 'events', 'intent', 'leads', 'outcomes']
        """
        if fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {sorted(FORMATS)}. Got {fmt!r} instead.")
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = {k: write_table(t, out / f"{k}.{fmt}", fmt) for k, t in self.tables().items()}
        if truth:
            paths["truth"] = write_table(self.truth, out / f"truth.{fmt}", fmt)
            meta = {
                "seed": self.seed,
                "end": self.end.isoformat(),
                "coefficients": self.coefficients,
                "intercepts": self.intercepts,
                "step_slopes": STEP_SLOPES,
                "target_rates": TARGET_RATES,
            }
            (out / "truth.json").write_text(json.dumps(meta, indent=2) + "\n")
            paths["truth.json"] = out / "truth.json"
        return paths


def generate(
    seed: int = 0,
    accounts: int = 2_000,
    leads: int = 20_000,
    months: int = 12,
    end: dt.datetime = DEFAULT_END,
    *,
    events_per_lead: float = 30.0,
) -> SyntheticData:
    """Realistic B2B accounts, leads, a year of events, intent and sales outcomes.

    Same seed, same data. ``end`` is naive UTC (the store's convention).

    >>> data = generate(seed=0, accounts=100, leads=1_000)
    >>> data.leads.num_rows, data.leads.column_names[:3]
    (1000, ['lead_id', 'email', 'first_name'])
    >>> bool(0 < data.truth.column("propensity").to_numpy().mean() < 1)
    True
    """
    rng = np.random.default_rng(seed)
    acc = make_accounts(rng, accounts, end, months)
    people = make_leads(rng, acc, leads, end, months)
    events = make_events(rng, people, end, months, per_lead=events_per_lead)
    intent = make_intent(rng, acc, people, end, months)
    _, stop = window(end, months)
    result, truth = outcomes(rng, people, acc, events, intent, stop)
    order = np.argsort(events["ts"], kind="stable")  # files in time order, as exports are
    events = {k: v[order] for k, v in events.items()}
    truth_cols = {
        "lead_id": people["lead_id"],
        "propensity": truth["propensity"],
        "logit": truth["logit"],
        "is_mql": truth["is_mql"],
        "mql_at": truth["mql_at"],
        "true_seniority": people["true_seniority"],
        "true_department": people["true_department"],
        "email_kind": people["email_kind"],
        "interest": people["interest"],
    }
    return SyntheticData(
        seed=seed,
        end=end,
        accounts=to_arrow(acc, FILE_COLUMNS["accounts"]),
        leads=to_arrow(people, FILE_COLUMNS["leads"]),
        events=to_arrow(events, FILE_COLUMNS["events"]),
        intent=to_arrow(intent, FILE_COLUMNS["intent"]),
        outcomes=to_arrow(result, FILE_COLUMNS["outcomes"]),
        truth=to_arrow(truth_cols, tuple(truth_cols)),
        coefficients=dict(COEFFICIENTS),
        intercepts=truth["intercepts"],
    )
